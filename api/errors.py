"""One place where errors become HTTP answers.

Domain errors carry their status; database errors that can only come from
bad input (a value out of range, a constraint) become 4xx; anything else is a
bug, logged with its traceback and answered 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DataError, IntegrityError

from inbox.core.errors import Conflict, InboxError, InvalidInput, RateLimited

logger = logging.getLogger(__name__)


def _json(
    body: dict[str, object], status_code: int, headers: dict[str, str] | None = None
) -> Response[dict[str, object]]:
    return Response(content=body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def inbox_error_handler(_: Request[Any, Any, Any], exc: InboxError) -> Response[dict[str, object]]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return _json(exc.to_dict(), exc.status_code, headers)


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, object]]:
    # Reached only when a constraint fires at commit, after the repositories'
    # own checks: a concurrent duplicate or a reference that vanished.
    logger.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    return inbox_error_handler(request, Conflict("this change conflicts with existing data"))


def data_error_handler(request: Request[Any, Any, Any], exc: DataError) -> Response[dict[str, object]]:
    logger.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
    return inbox_error_handler(request, InvalidInput("a value is out of range or not valid for its field"))


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, object]]:
    body: dict[str, object] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return _json(body, exc.status_code, dict(exc.headers) if exc.headers else None)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(
        {"status_code": 500, "detail": "internal server error"},
        HTTP_500_INTERNAL_SERVER_ERROR,
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    InboxError: inbox_error_handler,
    IntegrityError: integrity_error_handler,
    DataError: data_error_handler,
    HTTPException: http_exception_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
