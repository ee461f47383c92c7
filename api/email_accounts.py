from __future__ import annotations

import uuid

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut
from inbox.core.secrets import SecretBox
from inbox.mailboxes import service
from inbox.mailboxes.models import MailboxProvider, MailboxStatus
from inbox.mailboxes.repository import EmailAccountRepository
from inbox.mailboxes.schemas import EmailAccountCreate, EmailAccountOut, EmailAccountUpdate, MailboxSyncStateOut
from inbox.settings import Settings


class EmailAccountController(Controller):
    path = "/email-accounts"
    tags = ["email-accounts"]

    @get()
    async def list_email_accounts(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        provider: FromQuery[MailboxProvider | None] = None,
        status: FromQuery[MailboxStatus | None] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        is_active: FromQuery[bool | None] = None,
    ) -> PageOut[EmailAccountOut]:
        """Connected mailboxes (a sales rep sees their own and unowned ones).
        Sort by email_address (default) or created_at."""
        result = await EmailAccountRepository(db_session, principal).list(
            provider=provider,
            status=status,
            user_id=user_id,
            is_active=is_active,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[EmailAccountOut].model_validate(result, from_attributes=True)

    @post()
    async def create_email_account(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        data: JSONBody[EmailAccountCreate],
    ) -> EmailAccountOut:
        """Connect a mailbox (admins only)."""
        account = await service.create_mailbox(db_session, admin, data, SecretBox.from_settings(app_settings))
        return EmailAccountOut.model_validate(account)

    @get("/{email_account_id:uuid}")
    async def get_email_account(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_account_id: FromPath[uuid.UUID],
    ) -> EmailAccountOut:
        return EmailAccountOut.model_validate(await EmailAccountRepository(db_session, principal).get(email_account_id))

    @get("/{email_account_id:uuid}/sync-state")
    async def get_sync_state(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_account_id: FromPath[uuid.UUID],
    ) -> list[MailboxSyncStateOut]:
        """How far ingestion has read each folder of the mailbox (readable by whoever sees the mailbox;
        empty before its first sync)."""
        states = await EmailAccountRepository(db_session, principal).sync_states(email_account_id)
        return [MailboxSyncStateOut.model_validate(state) for state in states]

    @patch("/{email_account_id:uuid}")
    async def update_email_account(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        email_account_id: FromPath[uuid.UUID],
        data: JSONBody[EmailAccountUpdate],
    ) -> EmailAccountOut:
        """Change a mailbox (admins only). Omit password/oauth_tokens to keep them, send null to remove them."""
        account = await service.update_mailbox(
            db_session, admin, email_account_id, data, SecretBox.from_settings(app_settings)
        )
        return EmailAccountOut.model_validate(account)

    @delete("/{email_account_id:uuid}")
    async def delete_email_account(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        email_account_id: FromPath[uuid.UUID],
    ) -> None:
        """Disconnect a mailbox (admins only)."""
        await service.delete_mailbox(db_session, admin, email_account_id)
