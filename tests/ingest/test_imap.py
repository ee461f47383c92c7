"""The IMAP wrapper against the real Dovecot of ``tests/ingest/dovecot.py``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from inbox.ingest.imap import (
    FlagChange,
    ImapAuthError,
    ImapConnection,
    ImapConnectionError,
    ImapError,
    MailFolders,
)
from tests.ingest.corpus import corpus_entries
from tests.ingest.dovecot import DovecotServer, FaultyProxy, ImapUser, served_bytes

# No database here: the SQLite pass of scripts/test skips these (they would only run twice).
pytestmark = pytest.mark.no_db

TIMEOUT = 10.0


def message(n: int, size: int = 0) -> bytes:
    """A small LF-ended message, padded to about ``size`` bytes."""
    body = b"line of text that pads the message\n" * (size // 35)
    return b"From: a@example.org\nTo: b@example.com\nSubject: message %d\nMessage-ID: <m%d@example.org>\n\n%s" % (
        n,
        n,
        body or b"hello\n",
    )


@contextmanager
def logged_in(user: ImapUser, *, timeout: float = TIMEOUT) -> Iterator[ImapConnection]:
    with ImapConnection.connect(user.host, user.port, ssl=False, timeout=timeout) as connection:
        connection.login(user.username, user.password)
        yield connection


class AppendLater(threading.Thread):
    """APPENDs one message from another connection after ``delay`` seconds; ``appended_at`` is when it was done."""

    def __init__(self, dovecot: DovecotServer, user: ImapUser, delay: float) -> None:
        super().__init__()
        self.dovecot, self.user, self.delay = dovecot, user, delay
        self.appended_at = float("inf")
        self.start()

    def run(self) -> None:
        time.sleep(self.delay)
        self.dovecot.append(self.user, [message(999)])
        self.appended_at = time.monotonic()


# --- connecting and logging in -------------------------------------------------------------------------------


def test_login_reports_capabilities(imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        assert connection.has_idle
        assert connection.has_condstore
        assert {"IMAP4REV1", "SPECIAL-USE", "UIDPLUS"} <= connection.capabilities


@pytest.mark.parametrize("wrong", ["password", "username"])
def test_refused_credentials_raise_auth_error_and_close(imap_user: ImapUser, wrong: str) -> None:
    username = imap_user.username + ("-nobody" if wrong == "username" else "")
    password = imap_user.password + ("-wrong" if wrong == "password" else "")
    connection = ImapConnection.connect(imap_user.host, imap_user.port, ssl=False, timeout=TIMEOUT)
    with pytest.raises(ImapAuthError, match="AUTHENTICATIONFAILED"):
        connection.login(username, password)
    with pytest.raises(ImapConnectionError, match="closed"):
        connection.noop()


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ImapConnectionError, match=f"connect to 127.0.0.1:{port}"):
        ImapConnection.connect("127.0.0.1", port, ssl=False, timeout=TIMEOUT)


def test_implicit_tls_and_starttls(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    context = dovecot.tls_context()
    for port, ssl, starttls in ((dovecot.tls_port, True, False), (dovecot.port, False, True)):
        with ImapConnection.connect(
            dovecot.host, port, ssl=ssl, starttls=starttls, timeout=TIMEOUT, ssl_context=context
        ) as connection:
            connection.login(imap_user.username, imap_user.password)
            assert connection.select("INBOX").exists == 0


def test_untrusted_certificate_is_not_retried_as_a_connection_error(dovecot: DovecotServer) -> None:
    """The system's trust store does not know the test certificate: a configuration error, not a network one."""
    with pytest.raises(ImapError, match="certificate not trusted") as raised:
        ImapConnection.connect(dovecot.host, dovecot.tls_port, ssl=True, timeout=TIMEOUT)
    assert not isinstance(raised.value, ImapConnectionError)
    with pytest.raises(ImapError, match="certificate not trusted") as raised:
        ImapConnection.connect(dovecot.host, dovecot.port, ssl=False, starttls=True, timeout=TIMEOUT)
    assert not isinstance(raised.value, ImapConnectionError)


def test_xoauth2_login(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    token = dovecot.oauth2_token(imap_user)
    with ImapConnection.connect(imap_user.host, imap_user.port, ssl=False, timeout=TIMEOUT) as connection:
        connection.oauth2_login(imap_user.username, token)
        assert connection.select("INBOX").exists == 0

    dovecot.revoke_oauth2_token(token)
    connection = ImapConnection.connect(imap_user.host, imap_user.port, ssl=False, timeout=TIMEOUT)
    with pytest.raises(ImapAuthError, match="AUTHENTICATIONFAILED"):
        connection.oauth2_login(imap_user.username, token)


def test_login_failing_on_the_server_side_is_retried_not_an_auth_error(
    dovecot: DovecotServer, imap_user: ImapUser
) -> None:
    """An identity provider outage must not mark the mailbox as having bad credentials."""
    token = dovecot.oauth2_token(imap_user)
    connection = ImapConnection.connect(imap_user.host, imap_user.port, ssl=False, timeout=TIMEOUT)
    with dovecot.oauth2_outage(), pytest.raises(ImapConnectionError, match="UNAVAILABLE"):
        connection.oauth2_login(imap_user.username, token)


# --- folders -------------------------------------------------------------------------------------------------


def test_find_folders_by_special_use(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with dovecot.client(imap_user) as client:
        # Folders named like a Sent folder do not win over the one flagged \Sent.
        client.create_folder("Sent Items")
        client.create_folder("INBOX/Sent")
        flagged = [name for flags, _, name in client.list_folders() if b"\\Sent" in flags]
    assert flagged == ["Sent"]
    with logged_in(imap_user) as connection:
        assert connection.find_folders() == MailFolders(inbox="INBOX", sent="Sent")


def test_find_folders_by_name_without_special_use(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with logged_in(dovecot.legacy(imap_user)) as connection:
        assert "SPECIAL-USE" not in connection.capabilities
        assert connection.find_folders() == MailFolders(inbox="INBOX", sent="Sent")


def test_select_missing_folder_is_an_error_that_keeps_the_connection(imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        with pytest.raises(ImapError, match="SELECT") as raised:
            connection.select("No Such Folder")
        assert not isinstance(raised.value, ImapConnectionError)
        assert connection.select("INBOX").exists == 0


# --- reading messages ----------------------------------------------------------------------------------------


def test_corpus_round_trip_is_byte_exact(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    """Every corpus file comes back as appended: CRLF line ends (the corpus has LF, CRLF and CR files), NUL as 0x80."""
    entries = corpus_entries()
    assert len(entries) > 390
    uids = dovecot.append(imap_user, [entry.data for entry in entries])
    assert uids == sorted(uids) and len(set(uids)) == len(entries)
    before = datetime.now(UTC)
    with logged_in(imap_user) as connection:
        state = connection.select("INBOX")
        assert state.exists == len(entries) and state.uidnext == uids[-1] + 1
        assert state.highest_modseq is not None and state.highest_modseq > 0
        found = connection.search_since(1)
        assert found == uids
        fetched = [m for batch in range(0, len(found), 100) for m in connection.fetch(found[batch : batch + 100])]
    assert [m.uid for m in fetched] == uids
    for entry, fetched_message in zip(entries, fetched, strict=True):
        assert fetched_message.raw == served_bytes(entry.data), entry.path
        assert fetched_message.internal_date.tzinfo is UTC
        assert abs(fetched_message.internal_date - before) < timedelta(minutes=5)
        assert not fetched_message.seen
        assert fetched_message.modseq is not None
    # FETCH BODY.PEEK[] on a read-only SELECT left \Seen alone, as another client sees it.
    with dovecot.client(imap_user) as client:
        client.select_folder("INBOX")
        assert client.search("SEEN") == []


def test_bare_lf_message_is_served_with_crlf(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    """Dovecot stores what an APPEND sends, LF or not; FETCH always answers with CRLF line ends."""
    raw = b"From: a@example.org\nSubject: lf\n\nfirst\nsecond\n"
    with dovecot.client(imap_user) as client:
        client.append("INBOX", raw)
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        [fetched] = connection.fetch(connection.uids_after(0))
    assert fetched.raw == raw.replace(b"\n", b"\r\n")


def test_fetch_returns_uid_order_and_skips_unknown_uids(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(5)], flags=("\\Flagged",))
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        fetched = connection.fetch([uids[3], uids[0], uids[4] + 100, uids[1]])
        assert connection.fetch([]) == []
    assert [m.uid for m in fetched] == [uids[0], uids[1], uids[3]]
    assert [m.raw for m in fetched] == [served_bytes(message(n)) for n in (0, 1, 3)]
    assert all("\\Flagged" in m.flags for m in fetched)


def test_search_since_uses_the_internal_date(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    old = dovecot.append(imap_user, [message(1), message(2)], internal_date=datetime.now(UTC) - timedelta(days=10))
    new = dovecot.append(imap_user, [message(3)])
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        assert connection.search_since(5) == new
        assert connection.search_since(30) == old + new
        [fetched] = connection.fetch(old[:1])
    assert datetime.now(UTC) - fetched.internal_date > timedelta(days=9)


def test_uids_after_filters_the_star_quirk(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    """``UID SEARCH UID n:*`` matches the highest UID even when it is below n: it must not come back."""
    uids = dovecot.append(imap_user, [message(n) for n in range(3)])
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        assert connection.uids_after(0) == uids
        assert connection.uids_after(uids[0]) == uids[1:]
        assert connection.uids_after(uids[-1]) == []
        assert connection.uids_after(uids[-1] + 1000) == []
    with dovecot.client(imap_user) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UID", f"{uids[-1] + 1000}:*"]) == [uids[-1]]  # the quirk is real


def test_recreated_folder_has_a_new_uidvalidity(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    for folder in ("INBOX", "Sent"):
        uids = dovecot.append(imap_user, [message(n) for n in range(3)], folder)
        with logged_in(imap_user) as connection:
            before = connection.select(folder)
            raws = [m.raw for m in connection.fetch(uids)]
        dovecot.recreate_folder(imap_user, folder)
        with logged_in(imap_user) as connection:
            after = connection.select(folder)
            moved = connection.fetch(connection.uids_after(0))
            assert connection.find_folders().sent == "Sent"
        assert after.uidvalidity != before.uidvalidity
        assert after.exists == before.exists == 3
        assert [m.raw for m in moved] == raws


def test_changed_since_reports_flag_changes(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(3)])
    with logged_in(imap_user) as connection:
        state = connection.select("INBOX")
        assert state.highest_modseq is not None
        assert connection.changed_since(state.highest_modseq) == []
        with dovecot.client(imap_user) as client:
            client.select_folder("INBOX")
            client.add_flags([uids[1]], ["\\Seen"])
        changes = connection.changed_since(state.highest_modseq)
    assert [(c.uid, "\\Seen" in c.flags) for c in changes] == [(uids[1], True)]
    assert all(isinstance(c, FlagChange) and c.modseq > state.highest_modseq for c in changes)


# --- waiting for mail ----------------------------------------------------------------------------------------


def test_idle_wait_returns_true_when_mail_arrives(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        appender = AppendLater(dovecot, imap_user, 0.3)
        arrived = connection.idle_wait(30)
        returned_at = time.monotonic()
        appender.join()
        assert arrived
        # Within 2 s of the APPEND's completion (IDLE may even hear of it before the appender does).
        assert returned_at - appender.appended_at < 2.0
        assert len(connection.uids_after(0)) == 1
        # The session is usable after IDLE, and quiet again.
        assert connection.idle_wait(0.5) is False


def test_idle_over_tls_hears_mail_and_a_dropped_connection(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with ImapConnection.connect(
        dovecot.host, dovecot.tls_port, ssl=True, timeout=TIMEOUT, ssl_context=dovecot.tls_context()
    ) as connection:
        connection.login(imap_user.username, imap_user.password)
        connection.select("INBOX")
        assert connection.idle_wait(1.0) is False
        appender = AppendLater(dovecot, imap_user, 0.3)
        assert connection.idle_wait(30) is True
        appender.join()
        threading.Timer(0.3, dovecot.kick, args=(imap_user,)).start()
        started = time.monotonic()
        with pytest.raises(ImapConnectionError):
            connection.idle_wait(30)
        assert time.monotonic() - started < 3.0


def test_idle_wait_times_out_without_mail(imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        started = time.monotonic()
        assert connection.idle_wait(1.0) is False
        assert 0.9 < time.monotonic() - started < 2.0
        assert connection.noop() is False


def test_idle_wait_ends_soon_after_stop_is_set(imap_user: ImapUser) -> None:
    stop = threading.Event()
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        assert connection.idle_wait(30, stop) is False
        assert time.monotonic() - started < 1.5
        assert connection.noop() is False


def test_idle_wait_sees_mail_reported_during_an_earlier_command(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    """Mail that arrives after the last search is announced with the next command's answer: not lost before IDLE."""
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        dovecot.append(imap_user, [message(1)])
        connection.fetch([12345])  # any command; Dovecot adds "* 1 EXISTS" to its answer
        started = time.monotonic()
        assert connection.idle_wait(30) is True
        assert time.monotonic() - started < 0.5


def test_concurrent_use_is_refused(imap_user: ImapUser) -> None:
    stop = threading.Event()
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        waiter = threading.Thread(target=connection.idle_wait, args=(30, stop))
        waiter.start()
        time.sleep(0.2)
        with pytest.raises(RuntimeError, match="two threads"):
            connection.noop()
        stop.set()
        waiter.join()
        assert connection.noop() is False


def test_legacy_server_without_idle_is_polled_with_noop(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with logged_in(dovecot.legacy(imap_user)) as connection:
        assert not connection.has_idle
        connection.select("INBOX")
        with pytest.raises(ImapError, match="no IDLE"):
            connection.idle_wait(1)
        assert connection.noop() is False
        dovecot.append(imap_user, [message(1)])
        assert connection.noop() is True
        assert len(connection.uids_after(0)) == 1


# --- broken connections --------------------------------------------------------------------------------------


def _until_it_fails(call: Callable[[], object], *, seconds: float) -> None:
    """Repeat ``call`` until it raises (the exception propagates) or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        call()
        time.sleep(0.05)


def test_kicked_connection_raises_connection_error(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        dovecot.kick(imap_user)
        # The kick reaches the session's process a moment later: until then commands may still succeed.
        with pytest.raises(ImapConnectionError):
            _until_it_fails(lambda: connection.uids_after(0), seconds=10)
        with pytest.raises(ImapConnectionError, match="closed"):
            connection.noop()


def test_kick_during_idle_raises_connection_error(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    with logged_in(imap_user) as connection:
        connection.select("INBOX")
        threading.Timer(0.3, dovecot.kick, args=(imap_user,)).start()
        started = time.monotonic()
        with pytest.raises(ImapConnectionError):
            connection.idle_wait(30)
        assert time.monotonic() - started < 3.0


def test_connection_cut_mid_fetch_raises_and_a_new_one_succeeds(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    uids = dovecot.append(imap_user, [message(n, size=20_000) for n in range(20)])
    with FaultyProxy(imap_user, after_bytes=100_000) as proxy:
        with logged_in(proxy.user) as connection:
            connection.select("INBOX")
            with pytest.raises(ImapConnectionError, match="FETCH"):
                connection.fetch(uids)
        assert proxy.faults_done == 1
        with logged_in(proxy.user) as connection:
            connection.select("INBOX")
            assert [m.raw for m in connection.fetch(uids)] == [served_bytes(message(n, size=20_000)) for n in range(20)]


def test_stalled_fetch_times_out(dovecot: DovecotServer, imap_user: ImapUser) -> None:
    uids = dovecot.append(imap_user, [message(n, size=20_000) for n in range(20)])
    with (
        FaultyProxy(imap_user, after_bytes=100_000, stall=True) as proxy,
        logged_in(proxy.user, timeout=1.0) as connection,
    ):
        connection.select("INBOX")
        started = time.monotonic()
        with pytest.raises(ImapConnectionError, match="timed out"):
            connection.fetch(uids)
        assert time.monotonic() - started < 3.0
