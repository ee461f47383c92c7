"""Request and response bodies of the Better Auth endpoints, byte for byte.

Better Auth validates bodies with zod and reports every issue as
``[body.<field>] <zod message>``, joined by ``"; "``; these validators say the
same things in the same order, so a Better Auth client (or a person reading
its docs) sees the answers it expects. Dates are JavaScript's ``toJSON``:
UTC, milliseconds, ``Z``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from inbox.auth.models import AuthSession, AuthUser

# zod 4's z.email() pattern.
EMAIL_PATTERN = re.compile(
    r"^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
)
JSON_CONTENT_TYPE = re.compile(r"^application/([a-z0-9.+-]*\+)?json", re.IGNORECASE)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SIGN_IN_MEDIA_TYPES = (FORM_CONTENT_TYPE, "application/json")

Kind = Literal["string", "nonempty", "email", "boolean"]


class AuthError(Exception):
    """An error answered the way Better Auth answers it: ``{"message", "code"}``."""

    def __init__(self, status_code: int, message: str, code: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, str]:
        return {"message": self.message, "code": self.code}


def validation_error(message: str) -> AuthError:
    return AuthError(400, message, "VALIDATION_ERROR")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    optional: bool = False


def js_type(value: Any) -> str:
    """The type name zod reports as ``received ...``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Missing:
    """JavaScript's ``undefined``: no body, or no such key."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = Missing()


def _issue(value: Any, field: Field) -> str | None:
    expected = "boolean" if field.kind == "boolean" else "string"
    if isinstance(value, Missing):
        return None if field.optional else f"Invalid input: expected {expected}, received undefined"
    if js_type(value) != expected:
        return f"Invalid input: expected {expected}, received {js_type(value)}"
    if field.kind == "email" and not EMAIL_PATTERN.fullmatch(value):
        return "Invalid email address"
    if field.kind == "nonempty" and len(value) == 0:
        return "Too small: expected string to have >=1 characters"
    return None


def validate_body(
    body: Any, fields: tuple[Field, ...], *, record: bool = False, optional: bool = False
) -> dict[str, Any]:
    """The body's known fields (absent optional ones left out); raises the
    VALIDATION_ERROR zod would. ``record`` is zod's ``.and(z.record(...))``
    (sign-up), which reports a missing body twice; ``optional`` accepts no body."""
    if isinstance(body, Missing) and optional:
        return {}
    if not isinstance(body, dict):
        received = js_type(body) if not isinstance(body, Missing) else "undefined"
        issues = [f"[body] Invalid input: expected object, received {received}"]
        if record:
            issues.append(f"[body] Invalid input: expected record, received {received}")
        raise validation_error("; ".join(issues))
    values: dict[str, Any] = {}
    issues = []
    for field in fields:
        value = body.get(field.name, UNDEFINED)
        if (problem := _issue(value, field)) is not None:
            issues.append(f"[body.{field.name}] {problem}")
        elif not isinstance(value, Missing):
            values[field.name] = value
    if issues:
        raise validation_error("; ".join(issues))
    return values


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(content_type: str | None, raw: bytes, allowed: tuple[str, ...] | None = None) -> Any:
    """A request body as better-call reads it: JSON or form fields; UNDEFINED when empty."""
    content_type = content_type or ""
    if not raw:
        return UNDEFINED
    if allowed and content_type.lower().split(";")[0].strip() not in allowed:
        joined = ", ".join(allowed)
        if not content_type:
            raise AuthError(415, f"Content-Type is required. Allowed types: {joined}", "UNSUPPORTED_MEDIA_TYPE")
        raise AuthError(
            415, f'Content-Type "{content_type}" is not allowed. Allowed types: {joined}', "UNSUPPORTED_MEDIA_TYPE"
        )
    if JSON_CONTENT_TYPE.match(content_type.lower()):
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AuthError(400, "Invalid JSON in request body", "BAD_REQUEST") from exc
    if FORM_CONTENT_TYPE in content_type.lower():
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return raw.decode("utf-8", "replace")


def password_length(password: str) -> int:
    """JavaScript's ``.length``: UTF-16 code units (an emoji counts 2)."""
    return len(password.encode("utf-16-le", "surrogatepass")) // 2


def js_date(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_json(user: AuthUser) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "image": user.image,
        "createdAt": js_date(user.created_at),
        "updatedAt": js_date(user.updated_at),
        "id": user.id,
    }


def session_json(session: AuthSession) -> dict[str, Any]:
    return {
        "expiresAt": js_date(session.expires_at),
        "token": session.token,
        "createdAt": js_date(session.created_at),
        "updatedAt": js_date(session.updated_at),
        "ipAddress": session.ip_address,
        "userAgent": session.user_agent,
        "userId": session.user_id,
        "id": session.id,
    }


# Bodies, after validation.

SIGN_UP_FIELDS = (
    Field("name", "string"),
    Field("email", "email"),
    Field("password", "nonempty"),
    Field("image", "string", optional=True),
    Field("callbackURL", "string", optional=True),
    Field("rememberMe", "boolean", optional=True),
)
SIGN_IN_FIELDS = (
    Field("email", "string"),
    Field("password", "string"),
    Field("callbackURL", "string", optional=True),
    Field("rememberMe", "boolean", optional=True),
)
SIGN_OUT_FIELDS = (
    Field("callbackURL", "string", optional=True),
    Field("disableRedirect", "boolean", optional=True),
    Field("state", "string", optional=True),
)
REQUEST_RESET_FIELDS = (Field("email", "email"), Field("redirectTo", "string", optional=True))
RESET_PASSWORD_FIELDS = (Field("newPassword", "string"), Field("token", "string", optional=True))
REVOKE_SESSION_FIELDS = (Field("token", "string"),)


@dataclass(frozen=True, slots=True)
class SignUp:
    name: str
    email: str
    password: str
    image: str | None = None
    callback_url: str | None = None
    remember_me: bool = True

    @classmethod
    def parse(cls, body: Any) -> SignUp:
        v = validate_body(body, SIGN_UP_FIELDS, record=True)
        return cls(
            v["name"], v["email"], v["password"], v.get("image"), v.get("callbackURL"), v.get("rememberMe", True)
        )


@dataclass(frozen=True, slots=True)
class SignIn:
    email: str
    password: str
    callback_url: str | None = None
    remember_me: bool = True

    @classmethod
    def parse(cls, body: Any) -> SignIn:
        v = validate_body(body, SIGN_IN_FIELDS)
        return cls(v["email"], v["password"], v.get("callbackURL"), v.get("rememberMe", True))


@dataclass(frozen=True, slots=True)
class RequestPasswordReset:
    email: str
    redirect_to: str | None = None

    @classmethod
    def parse(cls, body: Any) -> RequestPasswordReset:
        v = validate_body(body, REQUEST_RESET_FIELDS)
        return cls(v["email"], v.get("redirectTo"))


@dataclass(frozen=True, slots=True)
class ResetPassword:
    new_password: str
    token: str | None = None

    @classmethod
    def parse(cls, body: Any, query_token: str | None) -> ResetPassword:
        v = validate_body(body, RESET_PASSWORD_FIELDS)
        return cls(v["newPassword"], v.get("token") or query_token)


def parse_sign_out(body: Any) -> None:
    validate_body(body, SIGN_OUT_FIELDS, optional=True)


def parse_revoke_session(body: Any) -> str:
    token: str = validate_body(body, REVOKE_SESSION_FIELDS)["token"]
    return token


# Origins and redirect targets.

_CONTROL_CHARACTERS = re.compile(r"[\u0000-\u001f\u007f-\u009f]")
_ENCODED_SEPARATOR = re.compile(r"%2[fF]|%5[cC]")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, as the WHATWG URL parser writes it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 80 if parts.scheme == "http" else 443
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def is_safe_relative_url(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//") or "\\" in value or _CONTROL_CHARACTERS.search(value):
        return False
    path = re.split(r"[?#]", value, maxsplit=1)[0]
    return not _ENCODED_SEPARATOR.search(path)


def is_trusted_url(url: str, trusted_origins: tuple[str, ...], *, allow_relative: bool) -> bool:
    if url.startswith("/"):
        return allow_relative and is_safe_relative_url(url)
    origin = origin_of(url)
    return origin is not None and origin in trusted_origins
