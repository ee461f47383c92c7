"""Every route handler of the app, in one list per mount point."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.accounts import AccountController
from api.activities import ActivityController
from api.ai import MetricsController, TriageController
from api.auth import AuthController
from api.contacts import ContactController
from api.drafts import DraftController
from api.email_accounts import EmailAccountController
from api.leads import LeadController
from api.metrics import PerformanceMetricsController
from api.sending import SendingController
from api.tasks import TaskController
from api.templates import TemplateController
from api.threads import EmailController, ThreadController
from api.tracking import TRACKING_HANDLERS
from api.users import UserController
from api.webhooks.gmail import GMAIL_WEBHOOK_HANDLERS
from api.webhooks.mailgun import MAILGUN_WEBHOOK_HANDLERS
from api.webhooks.sendgrid import SENDGRID_WEBHOOK_HANDLERS
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
    ThreadController,
    EmailController,
    TriageController,
    SendingController,
    DraftController,
    MetricsController,
    PerformanceMetricsController,
]

# Mounted at the root (web pages, webhooks).
PUBLIC_HANDLERS: list[ControllerRouterHandler] = [
    *GMAIL_WEBHOOK_HANDLERS,
    *MAILGUN_WEBHOOK_HANDLERS,
    *SENDGRID_WEBHOOK_HANDLERS,
    *TRACKING_HANDLERS,
]
