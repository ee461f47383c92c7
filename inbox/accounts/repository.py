from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from inbox.accounts.models import Account
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository

SORTS = {
    "name": SortField(func.lower(Account.name)),
    "created_at": SortField(Account.created_at, datetime),
    "updated_at": SortField(Account.updated_at, datetime),
}


class AccountRepository(WorkspaceRepository[Account]):
    model = Account
    label = "account"
    owner_attribute = "owner_id"

    async def list(
        self,
        *,
        q: str | None,
        owner_id: uuid.UUID | None,
        industry: str | None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Account]:
        stmt = self.scoped()
        if q:
            pattern = f"%{q.lower()}%"
            stmt = stmt.where(or_(func.lower(Account.name).like(pattern), Account.domain.like(pattern)))
        if owner_id is not None:
            stmt = stmt.where(Account.owner_id == owner_id)
        if industry is not None:
            stmt = stmt.where(func.lower(Account.industry) == industry.lower())
        return await paginate(
            self.session,
            stmt,
            id_column=Account.id,
            sort=Sort.parse(sort, SORTS, default="name"),
            limit=limit,
            cursor=cursor,
        )

    async def by_domain(self, domain: str) -> Account | None:
        stmt = select(Account).where(Account.workspace_id == self.workspace_id, Account.domain == domain)
        account: Account | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return account

    def conflict_message(self, exc: Any) -> str:
        return "an account with this domain already exists in the workspace"
