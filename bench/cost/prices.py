"""AWS list prices the cost model uses: us-east-1 (N. Virginia), on-demand, first pricing tier,
x86_64 Lambda (Chalice's default architecture), no free tier, no savings plan.

Stated on 2026-11-29 from AWS' public pricing pages (aws.amazon.com/<service>/pricing), as last
published before that date; this machine cannot reach them, so re-read them before quoting a
bill. Each price names its page.
"""

from __future__ import annotations

from dataclasses import dataclass

AS_OF = "2026-11-29"


@dataclass(frozen=True)
class Price:
    dollars: float
    per: str
    source: str


#: Lambda: duration per GB-second and requests (aws.amazon.com/lambda/pricing). Since 2025-08-01
#: the INIT phase of a cold start is billed as duration too.
LAMBDA_GB_SECOND = Price(0.0000166667, "GB-s", "aws.amazon.com/lambda/pricing (x86, first 6 B GB-s/month)")
LAMBDA_REQUEST = Price(0.20 / 1e6, "request", "aws.amazon.com/lambda/pricing")
#: API Gateway REST API (what Chalice creates), first 333 M requests a month.
API_GATEWAY_REQUEST = Price(3.50 / 1e6, "request", "aws.amazon.com/api-gateway/pricing (REST, first 333 M)")
#: Data transfer out to the internet from the region (API Gateway answers without a CDN).
REGION_EGRESS_GB = Price(0.09, "GB", "aws.amazon.com/ec2/pricing/on-demand (data transfer out, first 10 TB)")
#: CloudFront: HTTPS requests and transfer out in the United States/Europe (PriceClass_100);
#: origin fetches from AWS origins are free.
CLOUDFRONT_HTTPS_REQUEST = Price(0.0100 / 10_000, "request", "aws.amazon.com/cloudfront/pricing (HTTPS, US)")
CLOUDFRONT_EGRESS_GB = Price(0.085, "GB", "aws.amazon.com/cloudfront/pricing (US/Europe, first 10 TB)")
CLOUDFRONT_FUNCTION = Price(
    0.10 / 1e6, "invocation", "aws.amazon.com/cloudfront/pricing (CloudFront Functions)"
)
#: DynamoDB on-demand, after the 2024-11-01 halving: a strongly consistent read of up to 4 KB
#: is one read unit, a write of up to 1 KB one write unit.
DYNAMODB_READ_UNIT = Price(0.125 / 1e6, "read request unit", "aws.amazon.com/dynamodb/pricing/on-demand")
DYNAMODB_WRITE_UNIT = Price(0.625 / 1e6, "write request unit", "aws.amazon.com/dynamodb/pricing/on-demand")
#: CloudWatch Logs standard ingestion; each event is billed with 26 bytes of metadata.
LOGS_INGEST_GB = Price(0.50, "GB", "aws.amazon.com/cloudwatch/pricing (Logs, standard ingestion)")
LOG_EVENT_OVERHEAD_BYTES = 26

ALL = {
    "Lambda duration": LAMBDA_GB_SECOND,
    "Lambda request": LAMBDA_REQUEST,
    "API Gateway REST request": API_GATEWAY_REQUEST,
    "egress from the region": REGION_EGRESS_GB,
    "CloudFront HTTPS request": CLOUDFRONT_HTTPS_REQUEST,
    "CloudFront egress": CLOUDFRONT_EGRESS_GB,
    "CloudFront Function": CLOUDFRONT_FUNCTION,
    "DynamoDB read unit": DYNAMODB_READ_UNIT,
    "DynamoDB write unit": DYNAMODB_WRITE_UNIT,
    "CloudWatch Logs ingest": LOGS_INGEST_GB,
}
