"""Fixtures for tests that send through the SMTP server on loopback, loaded for every test by the root
conftest (``pytest_plugins``): ``smtp`` (the module's server, emptied for each test) and ``mailbox`` (the
sales rep's mailbox sending to it). A module's own fixture of the same name takes precedence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from tests.factories import Member
from tests.sending.factories import mailbox_values
from tests.sending.smtp_server import SmtpServer


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.reset()
    return smtp_server


@pytest.fixture
async def mailbox(
    session: AsyncSession, settings: Settings, team: dict[Role, Member], smtp: SmtpServer
) -> EmailAccount:
    """The sales rep's mailbox, sending to ``smtp``."""
    rep = team[Role.SALES_REP]
    account = EmailAccount(
        workspace_id=rep.workspace_id, user_id=rep.user.id, **mailbox_values(settings, smtp.host, smtp.port)
    )
    session.add(account)
    await session.commit()
    return account
