"""Every model of the service, imported so that ``Base.metadata`` is complete.

Import this module (not a single domain's) wherever the whole schema is
needed: Alembic, tests, and anything that resolves relationships by name.
"""

from __future__ import annotations

from inbox.accounts.models import Account
from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.activities.models import Activity, ActivityType
from inbox.auth.models import AuthAccount, AuthSession, AuthUser, Verification
from inbox.contacts.models import Contact, ContactStatus, Temperature, leads
from inbox.core.db import Base
from inbox.insights.models import AiInsight, AiUsage, InsightType
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxProvider, MailboxStatus, MailboxSyncState
from inbox.metrics.models import PerformanceMetric
from inbox.sequences.models import (
    EnrollmentStatus,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceStep,
    StepType,
)
from inbox.templates.models import EmailTemplate, Tone
from inbox.threads.models import (
    DeliveryStatus,
    Direction,
    Email,
    EmailAttachment,
    EmailEvent,
    EmailEventType,
    EmailThread,
    InboxStatus,
    ThreadStatus,
)
from inbox.users.models import Invitation, User, UserRole
from inbox.workspaces.models import Workspace

metadata = Base.metadata

__all__ = [
    "Account",
    "Action",
    "ActionPriority",
    "ActionSource",
    "ActionStatus",
    "ActionType",
    "Activity",
    "ActivityType",
    "AiInsight",
    "AiUsage",
    "AuthAccount",
    "AuthSession",
    "AuthUser",
    "Base",
    "Contact",
    "ContactStatus",
    "DeliveryStatus",
    "Direction",
    "Email",
    "EmailAccount",
    "EmailAttachment",
    "EmailEvent",
    "EmailEventType",
    "EmailTemplate",
    "EmailThread",
    "EnrollmentStatus",
    "FolderSyncStatus",
    "InboxStatus",
    "InsightType",
    "Invitation",
    "MailboxProvider",
    "MailboxStatus",
    "MailboxSyncState",
    "PerformanceMetric",
    "Sequence",
    "SequenceEnrollment",
    "SequenceStatus",
    "SequenceStep",
    "StepType",
    "Temperature",
    "ThreadStatus",
    "Tone",
    "User",
    "UserRole",
    "Verification",
    "Workspace",
    "leads",
    "metadata",
]
