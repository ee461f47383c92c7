from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository
from inbox.mailboxes.models import EmailAccount, MailboxProvider, MailboxStatus, MailboxSyncState

SORTS = {
    "email_address": SortField(EmailAccount.email_address),
    "created_at": SortField(EmailAccount.created_at, datetime),
}


class EmailAccountRepository(WorkspaceRepository[EmailAccount]):
    model = EmailAccount
    label = "email account"
    owner_attribute = "user_id"

    async def list(
        self,
        *,
        provider: MailboxProvider | None,
        status: MailboxStatus | None,
        user_id: uuid.UUID | None,
        is_active: bool | None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[EmailAccount]:
        stmt = self.scoped()
        stmt = self.where_equal(
            stmt,
            {
                EmailAccount.provider: provider,
                EmailAccount.status: status,
                EmailAccount.user_id: user_id,
            },
        )
        if is_active is not None:
            stmt = stmt.where(EmailAccount.is_active.is_(is_active))
        return await paginate(
            self.session,
            stmt,
            id_column=EmailAccount.id,
            sort=Sort.parse(sort, SORTS, default="email_address"),
            limit=limit,
            cursor=cursor,
        )

    async def sync_states(self, email_account_id: uuid.UUID) -> Sequence[MailboxSyncState]:
        """The sync progress of a mailbox the principal sees, one row per folder, by folder name."""
        account = await self.get(email_account_id)
        stmt = (
            select(MailboxSyncState)
            .where(MailboxSyncState.workspace_id == self.workspace_id, MailboxSyncState.email_account_id == account.id)
            .order_by(MailboxSyncState.folder)
        )
        return (await self.session.execute(stmt)).scalars().all()

    def conflict_message(self, exc: Any) -> str:
        return "a mailbox with this email_address already exists in the workspace"


async def accounts_with_secrets(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> list[EmailAccount]:
    """Mailboxes of every workspace that hold a credential, in id order from
    ``after``: for operator tasks (key rotation) only, never for a request."""
    stmt = select(EmailAccount).where(
        or_(EmailAccount.encrypted_password.is_not(None), EmailAccount.encrypted_oauth_tokens.is_not(None))
    )
    if after is not None:
        stmt = stmt.where(EmailAccount.id > after)
    result = await session.execute(stmt.order_by(EmailAccount.id).limit(limit))
    return list(result.scalars())
