"""Domain errors. Each carries the HTTP status it maps to and a message a
client can act on; the web layer renders them with one exception handler.
Services raise these, never HTTP exceptions."""

from __future__ import annotations

from typing import Any, ClassVar


class InboxError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status_code": self.status_code, "code": self.code, "detail": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.extra:
            body["extra"] = self.extra
        return body


class InvalidInput(InboxError):
    status_code = 400
    code = "INVALID_INPUT"


class Unauthorized(InboxError):
    status_code = 401
    code = "UNAUTHORIZED"


class Forbidden(InboxError):
    status_code = 403
    code = "FORBIDDEN"


class NotFound(InboxError):
    status_code = 404
    code = "NOT_FOUND"

    @classmethod
    def of(cls, what: str) -> NotFound:
        return cls(f"{what} not found")


class Conflict(InboxError):
    status_code = 409
    code = "CONFLICT"


class RateLimited(InboxError):
    status_code = 429
    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
