"""Structured JSON logs (Powertools Logger) with a correlation id per request or message.

Wired as Chalice middleware: Powertools' ``inject_lambda_context`` decorator breaks on Chalice
handlers. Domain modules log through the standard ``logging`` module; their records are routed
through the same JSON formatter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from chalice.app import Request

from chalicelib.settings import get_settings

logger = Logger(service="igny8-plugins", level=get_settings().log_level)


def configure_logging() -> None:
    copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})


def log_context(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Tag every log line of one request or queue message with ids that tie them together."""
    logger.remove_keys(["correlation_id", "path", "method"])
    if isinstance(event, Request):
        request_id = (event.context or {}).get("requestId")
        logger.append_keys(correlation_id=request_id, path=event.path, method=event.method)
    else:
        context = getattr(event, "context", None)
        logger.append_keys(correlation_id=getattr(context, "aws_request_id", None))
    return get_response(event)
