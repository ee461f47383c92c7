from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.accounts import service
from inbox.accounts.repository import AccountRepository
from inbox.accounts.schemas import AccountCreate, AccountOut, AccountUpdate
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts"]

    @get()
    async def list_accounts(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        q: Annotated[str | None, QueryParameter(max_length=200, description="name or domain contains")] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        industry: Annotated[str | None, QueryParameter(max_length=255)] = None,
    ) -> PageOut[AccountOut]:
        """Companies. Sort by name (default), created_at or updated_at."""
        result = await AccountRepository(db_session, principal).list(
            q=q, owner_id=owner_id, industry=industry, sort=page.sort, limit=page.limit, cursor=page.cursor
        )
        return PageOut[AccountOut].model_validate(result, from_attributes=True)

    @post()
    async def create_account(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[AccountCreate],
    ) -> AccountOut:
        return AccountOut.model_validate(await service.create_account(db_session, principal, data))

    @get("/{account_id:uuid}")
    async def get_account(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        account_id: FromPath[uuid.UUID],
    ) -> AccountOut:
        return AccountOut.model_validate(await AccountRepository(db_session, principal).get(account_id))

    @patch("/{account_id:uuid}")
    async def update_account(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[AccountUpdate],
    ) -> AccountOut:
        return AccountOut.model_validate(await service.update_account(db_session, principal, account_id, data))

    @delete("/{account_id:uuid}")
    async def delete_account(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        account_id: FromPath[uuid.UUID],
    ) -> None:
        await service.delete_account(db_session, principal, account_id)
