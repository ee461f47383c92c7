from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.repository import AccountRepository
from inbox.contacts.models import Contact
from inbox.contacts.repository import ContactRepository
from inbox.contacts.schemas import ContactCreate, ContactTagsChange, ContactUpdate, unique_tags
from inbox.core.db import utcnow
from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.users.ownership import check_owner

NOT_NULL = ("email", "status", "temperature", "tags", "custom_fields", "unsubscribed", "bounced")


async def create_contact(session: AsyncSession, principal: Principal, data: ContactCreate) -> Contact:
    values = data.model_dump()
    owner_id = values["owner_id"] if "owner_id" in data.model_fields_set else principal.user_id
    values["owner_id"] = await check_owner(session, principal, owner_id)
    await AccountRepository(session, principal).check_reference(values["account_id"], field="account_id")
    now = utcnow()
    if values["unsubscribed"]:
        values["unsubscribed_at"] = now
    if values["bounced"]:
        values["bounced_at"] = now
    contact = Contact(workspace_id=principal.workspace_id, **values)
    return await ContactRepository(session, principal).add(contact)


async def update_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, data: ContactUpdate
) -> Contact:
    repository = ContactRepository(session, principal)
    contact = await repository.get(contact_id)
    values = data.model_dump(exclude_unset=True)
    if "owner_id" in values:
        values["owner_id"] = await check_owner(session, principal, values["owner_id"])
    if "account_id" in values:
        await AccountRepository(session, principal).check_reference(values["account_id"], field="account_id")
    now = utcnow()
    if "unsubscribed" in values and values["unsubscribed"] != contact.unsubscribed:
        values["unsubscribed_at"] = now if values["unsubscribed"] else None
    if "bounced" in values and values["bounced"] != contact.bounced:
        values["bounced_at"] = now if values["bounced"] else None
    repository.apply(contact, values, not_null=NOT_NULL)
    await repository.flush()
    return contact


async def change_tags(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, change: ContactTagsChange
) -> Contact:
    repository = ContactRepository(session, principal)
    contact = await repository.get(contact_id)
    removed = set(change.remove)
    try:
        tags = unique_tags([tag for tag in contact.tags if tag not in removed] + change.add)
    except ValueError as exc:
        raise InvalidInput(f"tags: {exc}", field="tags") from exc
    repository.apply(contact, {"tags": tags})
    await repository.flush()
    return contact


async def delete_contact(session: AsyncSession, principal: Principal, contact_id: uuid.UUID) -> None:
    repository = ContactRepository(session, principal)
    await repository.delete(await repository.get(contact_id))
