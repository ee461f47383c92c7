from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.accounts.repository import AccountRepository
from inbox.accounts.schemas import AccountCreate, AccountUpdate
from inbox.core.principal import Principal
from inbox.users.ownership import check_owner


async def create_account(session: AsyncSession, principal: Principal, data: AccountCreate) -> Account:
    values = data.model_dump(exclude_unset=True)
    values["owner_id"] = await check_owner(session, principal, values.get("owner_id", principal.user_id))
    account = Account(workspace_id=principal.workspace_id, **values)
    return await AccountRepository(session, principal).add(account)


async def update_account(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, data: AccountUpdate
) -> Account:
    repository = AccountRepository(session, principal)
    account = await repository.get(account_id)
    values = data.model_dump(exclude_unset=True)
    if "owner_id" in values:
        values["owner_id"] = await check_owner(session, principal, values["owner_id"])
    repository.apply(account, values, not_null=("name", "custom_fields"))
    await repository.flush()
    return account


async def delete_account(session: AsyncSession, principal: Principal, account_id: uuid.UUID) -> None:
    repository = AccountRepository(session, principal)
    await repository.delete(await repository.get(account_id))
