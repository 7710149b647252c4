"""Structured JSON logs (Powertools Logger) with a correlation id per request or message, and
CloudWatch metrics in Embedded Metric Format (Powertools Metrics), flushed once per invocation.

Wired as Chalice middleware: Powertools' ``inject_lambda_context``/``log_metrics`` decorators
break on Chalice handlers. Domain modules log through the standard ``logging`` module; their
records are routed through the same JSON formatter. Request headers are never logged (site keys
and admin tokens travel in them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Request, Response

# The level comes from LOG_LEVEL (or POWERTOOLS_LOG_LEVEL), read by Powertools itself: nothing here
# may read the service's settings at import, or `chalice package` fails on a fresh clone.
logger = Logger(service="igny8-plugins")
metrics = Metrics(namespace="IGNY8/Plugins", service="igny8-plugins")


def configure_logging() -> None:
    copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})


def count(name: str) -> None:
    """One more of something worth a graph: CheckUpdate, UpdateOffered, Download, ..."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Tag every log line of one request or queue message with ids that tie them together, count
    the answer's class (4xx, 5xx, rate-limited), and flush the invocation's metrics."""
    logger.remove_keys(["correlation_id", "path", "method"])
    if isinstance(event, Request):
        request_id = (event.context or {}).get("requestId")
        logger.append_keys(correlation_id=request_id, path=event.path, method=event.method)
    else:
        context = getattr(event, "context", None)
        logger.append_keys(correlation_id=getattr(context, "aws_request_id", None))
    try:
        response = get_response(event)
        if isinstance(response, Response):
            _count_status(response.status_code)
        return response
    except Exception:
        count("HandlerErrors")
        raise
    finally:
        metrics.flush_metrics()


def _count_status(status: int) -> None:
    if status == 429:
        count("RateLimited")
    if 400 <= status < 500:
        count("Responses4xx")
    elif status >= 500:
        count("Responses5xx")
