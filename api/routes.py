"""Every route handler of the app, in one list per mount point."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.accounts import AccountController
from api.activities import ActivityController
from api.auth import AuthController
from api.contacts import ContactController
from api.email_accounts import EmailAccountController
from api.leads import LeadController
from api.tasks import TaskController
from api.templates import TemplateController
from api.users import UserController
from api.workspace import WorkspaceController

# Mounted under /api; the auth endpoints need no principal, the rest declare one.
API_HANDLERS: list[ControllerRouterHandler] = [
    AuthController,
    UserController,
    WorkspaceController,
    AccountController,
    ContactController,
    LeadController,
    TaskController,
    ActivityController,
    EmailAccountController,
    TemplateController,
]

# Mounted at the root (web pages, webhooks).
PUBLIC_HANDLERS: list[ControllerRouterHandler] = []
