"""moto as the local stack's AWS: its server, and the SQS event source Lambda would be.

Split from ``infra.local`` (which wires the stack together) because these are the two pieces
that run on threads of their own for the stack's whole life.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

REGION = "us-east-1"
#: How often a waiting loop looks again: the servers for a shutdown request (the standard
#: library's 0.5 s held each stop up by up to half a second) and the seed for the packager's verdict.
POLL_SECONDS = 0.05

log = logging.getLogger("igny8.local")


class AtomicDynamoMotoServer(ThreadedMotoServer):
    """moto's server, with DynamoDB requests applied one at a time.

    DynamoDB makes each conditional write atomic, and the download rate limits rely on that (of 50
    parallel requests exactly the allowance pass); moto's backends are not thread-safe, so two
    concurrent requests could both pass one condition. Other services keep their concurrency
    (an SQS long poll must not hold anyone up).
    """

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serialized(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
                return app(environ, start_response)  # type: ignore[no-any-return]
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(
            self._ip_address, self._port, serialized, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=POLL_SECONDS)


class _LambdaContext:
    """The few fields of a Lambda context that the handler and Powertools read."""

    function_name = "igny8-plugins-local-package_sources"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:igny8-plugins-local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


class PackagerPoller(threading.Thread):
    """Lambda's SQS event source, locally: receive, invoke the handler, delete on success.

    A failed invocation leaves the message to reappear after the visibility timeout, and moto
    moves it to the dead-letter queue after the template's maxReceiveCount, as AWS would.
    """

    def __init__(self, queue_url: str, handler: Any, session: boto3.session.Session) -> None:
        super().__init__(name="packager-poller", daemon=True)
        self._queue_url = queue_url
        self._handler = handler
        self._sqs = session.client("sqs")
        self._stopping = threading.Event()
        self._arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # the consumer must outlive any single failure, as Lambda does
                log.exception("packager poll failed")
                time.sleep(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            event = {
                "Records": [
                    {
                        "messageId": message["MessageId"],
                        "receiptHandle": message["ReceiptHandle"],
                        "body": message["Body"],
                        "attributes": message.get("Attributes", {}),
                        "messageAttributes": {},
                        "md5OfBody": message["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": self._arn,
                        "awsRegion": REGION,
                    }
                ]
            }
            try:
                self._handler(event, _LambdaContext())
            except Exception as exc:
                log.warning(
                    "packager failed on message %s (%s); it will be retried", message["MessageId"], exc
                )
                continue
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
