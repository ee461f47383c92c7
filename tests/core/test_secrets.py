from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.core.secrets import SecretBox, UndecryptableSecret
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.mailboxes.service import mailbox_oauth_tokens, mailbox_password, rotate_mailbox_secrets
from inbox.settings import Settings
from tests.factories import Member

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def box_of(tmp_path: Path, *keys: str) -> SecretBox:
    settings = Settings(environment="test", data_dir=tmp_path, encryption_keys=[SecretStr(key) for key in keys])
    return SecretBox.from_settings(settings)


def test_rotation_onto_a_new_key(tmp_path: Path) -> None:
    old = box_of(tmp_path, KEY_A)
    token = old.encrypt("hunter2")
    assert token != "hunter2"
    assert "hunter2" not in token
    assert old.decrypt(token) == "hunter2"
    assert not old.needs_rotation(token)

    both = box_of(tmp_path, KEY_B, KEY_A)
    assert both.decrypt(token) == "hunter2"
    assert both.needs_rotation(token)
    rotated = both.rotate(token)
    assert rotated != token
    assert not both.needs_rotation(rotated)
    assert Fernet(KEY_B.encode()).decrypt(rotated.encode()) == b"hunter2"

    new_only = box_of(tmp_path, KEY_B)
    assert new_only.decrypt(rotated) == "hunter2"
    with pytest.raises(UndecryptableSecret):
        new_only.decrypt(token)


def test_new_secrets_use_the_first_key(tmp_path: Path) -> None:
    token = box_of(tmp_path, KEY_B, KEY_A).encrypt("s3cret")
    assert box_of(tmp_path, KEY_B).decrypt(token) == "s3cret"
    with pytest.raises(UndecryptableSecret):
        box_of(tmp_path, KEY_A).decrypt(token)


def test_unknown_key_or_garbage_is_a_domain_error(tmp_path: Path) -> None:
    stranger = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    box = box_of(tmp_path, KEY_B, KEY_A)
    for token in (stranger, "not a token"):
        with pytest.raises(UndecryptableSecret) as raised:
            box.decrypt(token)
        assert "INBOX_ENCRYPTION_KEYS" in raised.value.message
        assert raised.value.status_code == 500
        with pytest.raises(UndecryptableSecret):
            box.rotate(token)
        assert box.needs_rotation(token)


def test_bad_key_configuration_does_not_echo_the_key() -> None:
    with pytest.raises(ValueError, match="entry 2") as raised:
        SecretBox([KEY_A, "short-key"])
    assert "short-key" not in str(raised.value)
    with pytest.raises(ValueError, match="empty"):
        SecretBox([])


async def _mailbox(
    session: AsyncSession, member: Member, box: SecretBox, address: str, *, tokens: bool
) -> EmailAccount:
    account = EmailAccount(
        workspace_id=member.workspace_id,
        user_id=member.user.id,
        email_address=address,
        provider=MailboxProvider.GMAIL if tokens else MailboxProvider.IMAP,
        encrypted_password=None if tokens else box.encrypt(f"pw-{address}"),
        encrypted_oauth_tokens=box.encrypt('{"access_token": "at", "refresh_token": null, "expires_at": null}')
        if tokens
        else None,
    )
    session.add(account)
    await session.flush()
    return account


async def test_rotate_mailbox_secrets_of_every_workspace(
    session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member], tmp_path: Path
) -> None:
    old, both, new_only = box_of(tmp_path, KEY_A), box_of(tmp_path, KEY_B, KEY_A), box_of(tmp_path, KEY_B)
    ours = await _mailbox(session, team[Role.ADMIN], old, "ours@example.com", tokens=False)
    theirs = await _mailbox(session, rival[Role.ADMIN], old, "theirs@example.com", tokens=True)
    already_new = await _mailbox(session, team[Role.ADMIN], both, "new@example.com", tokens=False)
    untouched_token = already_new.encrypted_password
    session.add(
        EmailAccount(workspace_id=team[Role.ADMIN].workspace_id, email_address="bare@example.com", provider="gmail")
    )
    await session.commit()

    assert await rotate_mailbox_secrets(session, both) == 2
    await session.commit()

    rows = {
        row.email_address: row
        for row in (await session.execute(select(EmailAccount).execution_options(populate_existing=True))).scalars()
    }
    assert rows["new@example.com"].encrypted_password == untouched_token
    assert mailbox_password(rows["ours@example.com"], new_only) == "pw-ours@example.com"
    tokens = mailbox_oauth_tokens(rows["theirs@example.com"], new_only)
    assert tokens is not None
    assert tokens.access_token == "at"
    assert rows["bare@example.com"].encrypted_password is None
    assert ours.id != theirs.id

    assert await rotate_mailbox_secrets(session, both) == 0
    assert await rotate_mailbox_secrets(session, new_only) == 0


async def test_rotation_stops_on_a_secret_no_key_opens(
    session: AsyncSession, team: dict[Role, Member], tmp_path: Path
) -> None:
    stranger = box_of(tmp_path, Fernet.generate_key().decode())
    lost = await _mailbox(session, team[Role.ADMIN], stranger, "lost@example.com", tokens=False)
    with pytest.raises(UndecryptableSecret) as raised:
        await rotate_mailbox_secrets(session, box_of(tmp_path, KEY_B, KEY_A))
    assert raised.value.extra["email_account_id"] == str(lost.id)
