"""Every route handler of the app, in one list per mount point."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.accounts import AccountController
from api.email_accounts import EmailAccountController
from api.templates import TemplateController

# Mounted under /api; the auth endpoints need no principal, the rest declare one.
API_HANDLERS: list[ControllerRouterHandler] = [
    AccountController,
    EmailAccountController,
    TemplateController,
]

# Mounted at the root (web pages, webhooks).
PUBLIC_HANDLERS: list[ControllerRouterHandler] = []
