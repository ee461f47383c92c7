"""One IMAP connection to one mailbox: the only code that talks to imapclient.

The sync above it works in UIDs: ``select`` gives UIDVALIDITY, UIDNEXT and (with CONDSTORE) HIGHESTMODSEQ;
``search_since`` / ``uids_after`` list the UIDs to fetch; ``fetch`` returns the raw bytes of a batch in one round
trip without setting ``\\Seen``; ``idle_wait`` (or ``noop`` polling where the server has no IDLE) says when to look
again.

Errors come in three kinds, so the caller knows what to do:

- ``ImapAuthError``: the server refused the credentials. Retrying will not help: mark the mailbox in error.
- ``ImapConnectionError``: the connection broke (socket error, timeout, EOF, BYE, a server that is temporarily
  unavailable). The connection is closed; reconnect with backoff.
- ``ImapError`` itself: the server refused or garbled a command (a folder that does not exist, a missing
  capability, an untrusted certificate). The connection stays usable where it can.

Thread confinement: imapclient is synchronous and not thread-safe. An ``ImapConnection`` must be used by one
thread at a time (run it in a worker thread, e.g. ``asyncio.to_thread``, one call after another); a call made
while another is running raises ``RuntimeError``. The only cross-thread signal is the ``threading.Event`` given to
``idle_wait``, which ends the wait within ``IDLE_SLICE_SECONDS``. Every socket operation has a timeout, so no call
blocks forever on a dead peer.
"""

from __future__ import annotations

import contextlib
import imaplib
import select
import socket
import ssl as ssl_lib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

# imaplib refuses response lines over 1 MB; the UID list of a large folder (SEARCH) is one line.
imaplib._MAXLINE = max(imaplib._MAXLINE, 64 * 1024 * 1024)  # type: ignore[attr-defined]

# How often idle_wait looks at its stop event and at the socket while the server is silent.
IDLE_SLICE_SECONDS = 0.5
# Common names of the Sent folder on servers that do not flag it \Sent (RFC 6154), tried in order.
SENT_FOLDER_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "INBOX.Sent",
    "INBOX/Sent",
    "INBOX.Sent Items",
    "INBOX.Sent Messages",
)
# RFC 5530 response codes of a login that failed for a reason other than the credentials.
_TRANSIENT_LOGIN_CODES = ("[UNAVAILABLE]", "[SERVERBUG]", "[LIMIT]", "[INUSE]")
_NOT_SELECTABLE = {"\\noselect", "\\nonexistent"}


class ImapError(Exception):
    """An IMAP operation failed; the subclasses say whether to retry."""


class ImapAuthError(ImapError):
    """The server refused the credentials (password or OAuth token). Do not retry with the same ones."""


class ImapConnectionError(ImapError):
    """The connection broke or the server is temporarily unavailable. Reconnect with backoff."""


@dataclass(frozen=True, slots=True)
class MailFolders:
    """The folders the sync reads; ``sent`` is None when the mailbox has none that can be recognised."""

    inbox: str
    sent: str | None


@dataclass(frozen=True, slots=True)
class FolderState:
    """A folder as SELECT (read-only) reports it. ``highest_modseq`` is None without CONDSTORE."""

    uidvalidity: int
    uidnext: int
    highest_modseq: int | None
    exists: int


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """One message's raw bytes as the server serves them (CRLF line ends), with its IMAP metadata."""

    uid: int
    raw: bytes
    internal_date: datetime  # aware, UTC
    flags: tuple[str, ...]
    modseq: int | None

    @property
    def seen(self) -> bool:
        return any(flag.lower() == "\\seen" for flag in self.flags)


@dataclass(frozen=True, slots=True)
class FlagChange:
    """The flags of a message whose MODSEQ moved past the one asked about (CONDSTORE)."""

    uid: int
    flags: tuple[str, ...]
    modseq: int


class ImapConnection:
    """A logged-in (or about to be) IMAP session; make one with ``ImapConnection.connect``.

    Use it as a context manager, or call ``logout()``. After an ``ImapConnectionError`` the session is closed and
    every further call raises ``ImapConnectionError``: make a new connection.
    """

    def __init__(self, client: IMAPClient) -> None:
        client.normalise_times = False  # aware INTERNALDATEs
        # imapclient turns on imaplib's debug output (routed to its logger): imaplib then formats every response,
        # message bodies included, into log strings whether or not they are logged. That costs more than the
        # parsing of a large FETCH and would put mail content into debug logs.
        client._imap.debug = 0
        self._client: IMAPClient | None = client
        self._lock = threading.Lock()
        self._capabilities: frozenset[str] = frozenset()
        self._condstore = False
        self._selected: str | None = None
        # New mail announced (EXISTS/RECENT) and not yet reported by idle_wait or noop.
        self._news = False

    # --- connection and login ------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        *,
        ssl: bool,
        starttls: bool = False,
        timeout: float,
        ssl_context: ssl_lib.SSLContext | None = None,
    ) -> ImapConnection:
        """Open a session: implicit TLS (``ssl``), or plain then upgraded (``starttls``), or plain.

        ``timeout`` (seconds) bounds the connect and every later read or write. ``ssl_context`` defaults to the
        system's verifying context. STARTTLS that the server does not offer is an error, never a silent downgrade.
        """
        if ssl and starttls:
            raise ValueError("choose implicit TLS (ssl) or STARTTLS, not both")
        context = ssl_context or ssl_lib.create_default_context()
        where = f"{host}:{port}"
        try:
            client = IMAPClient(host, port, ssl=ssl, ssl_context=context if ssl else None, timeout=timeout)
        except ssl_lib.SSLCertVerificationError as exc:
            raise ImapError(f"connect to {where}: certificate not trusted: {exc.verify_message}") from exc
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapConnectionError(f"connect to {where}: {_describe(exc)}") from exc
        connection = cls(client)
        if starttls:
            try:
                with connection._call("STARTTLS") as started:
                    if not started.has_capability("STARTTLS"):
                        raise ImapError(f"{where} does not offer STARTTLS")
                    try:
                        started.starttls(context)
                    except ssl_lib.SSLCertVerificationError as exc:
                        raise ImapError(
                            f"STARTTLS with {where}: certificate not trusted: {exc.verify_message}"
                        ) from exc
            except ImapError:
                # Never leave a plaintext session behind a failed upgrade.
                connection._drop()
                raise
        return connection

    def login(self, username: str, password: str) -> None:
        """LOGIN with a password; ``ImapAuthError`` when refused."""
        with self._call("LOGIN") as client:
            try:
                client.login(username, password)
            except imap_exceptions.LoginError as exc:
                raise self._login_failure(exc) from exc
            self._after_login(client)

    def oauth2_login(self, username: str, access_token: str) -> None:
        """AUTHENTICATE XOAUTH2 with a bearer token (Gmail, Outlook); ``ImapAuthError`` when refused."""
        initial = f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()
        answered = False

        def mechanism(challenge: bytes) -> bytes:
            # The first step sends the token; a failed login gets a JSON error as challenge, answered empty.
            nonlocal answered
            if answered:
                return b""
            answered = True
            return initial

        with self._call("AUTHENTICATE") as client:
            try:
                client.sasl_login("XOAUTH2", mechanism)
            except imap_exceptions.LoginError as exc:
                raise self._login_failure(exc) from exc
            self._after_login(client)

    def _login_failure(self, exc: imap_exceptions.LoginError) -> ImapError:
        self._drop()
        # imapclient turns every failure during login into LoginError, a dropped connection included; the
        # original imaplib error (with the server's text) is its context.
        cause = exc.__context__ if isinstance(exc.__context__, imaplib.IMAP4.error) else exc
        message = _describe(cause)
        if isinstance(cause, imaplib.IMAP4.abort):
            return ImapConnectionError(f"login: {message}")
        if any(code in message.upper() for code in _TRANSIENT_LOGIN_CODES):
            return ImapConnectionError(f"login: {message}")
        return ImapAuthError(f"login refused: {message}")

    def _after_login(self, client: IMAPClient) -> None:
        self._capabilities = frozenset(c.decode("ascii", "replace").upper() for c in client.capabilities())
        if "CONDSTORE" in self._capabilities and "ENABLE" in self._capabilities:
            # Enabled once per session: SELECT then reports HIGHESTMODSEQ and FETCH reports MODSEQ.
            self._condstore = b"CONDSTORE" in {c.upper() for c in client.enable("CONDSTORE")}

    @property
    def capabilities(self) -> frozenset[str]:
        """The server's capabilities after login, upper-cased (``"IDLE"``, ``"CONDSTORE"``, ``"AUTH=XOAUTH2"``...)."""
        if not self._capabilities:
            with self._call("CAPABILITY") as client:
                return frozenset(c.decode("ascii", "replace").upper() for c in client.capabilities())
        return self._capabilities

    @property
    def has_idle(self) -> bool:
        return "IDLE" in self.capabilities

    @property
    def has_condstore(self) -> bool:
        """True once CONDSTORE is enabled for this session (after login)."""
        return self._condstore

    def logout(self) -> None:
        """Say LOGOUT and close the socket; best effort, the connection is closed either way."""
        with self._exclusive():
            client = self._client
            if client is None:
                return
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()
            self._drop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.logout()

    # --- folders -------------------------------------------------------------------------------------------

    def find_folders(self) -> MailFolders:
        """INBOX and the Sent folder: the one flagged ``\\Sent`` (RFC 6154), else the first common name."""
        with self._call("LIST") as client:
            listing: list[tuple[tuple[Any, ...], Any, Any]] = client.list_folders()
        inbox = "INBOX"
        sent: str | None = None
        by_name: dict[str, str] = {}
        for raw_flags, _delimiter, raw_name in listing:
            name = raw_name.decode("utf-8", "replace") if isinstance(raw_name, bytes) else str(raw_name)
            flags = {_text(flag).lower() for flag in raw_flags}
            if flags & _NOT_SELECTABLE:
                continue
            if name.upper() == "INBOX":
                inbox = name
            elif sent is None and "\\sent" in flags:
                sent = name
            by_name.setdefault(name.lower(), name)
        if sent is None:
            sent = next((by_name[c.lower()] for c in SENT_FOLDER_NAMES if c.lower() in by_name), None)
        return MailFolders(inbox=inbox, sent=sent)

    def select(self, folder: str) -> FolderState:
        """Open ``folder`` read-only (EXAMINE): fetching never changes flags, nothing is expunged."""
        with self._call(f"SELECT {folder!r}") as client:
            response = client.select_folder(folder, readonly=True)
            self._selected = folder
            uidvalidity = response.get(b"UIDVALIDITY")
            if uidvalidity is None:
                raise ImapError(f"SELECT {folder!r}: the server sent no UIDVALIDITY")
            uidnext = response.get(b"UIDNEXT")
            if uidnext is None:
                # RFC 3501 makes it optional in SELECT; STATUS always has it.
                uidnext = client.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"]
            highest_modseq = response.get(b"HIGHESTMODSEQ") if self._condstore else None
            # SELECT's own EXISTS is not news for idle_wait.
            _drain_new_mail(client)
            self._news = False
        return FolderState(
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext),
            highest_modseq=int(highest_modseq) if highest_modseq is not None else None,
            exists=int(response.get(b"EXISTS", 0)),
        )

    # --- messages in the selected folder -------------------------------------------------------------------

    def search_since(self, days: int) -> list[int]:
        """UIDs of the messages that arrived (INTERNALDATE) in the last ``days`` days, ascending."""
        since = (datetime.now(UTC) - timedelta(days=days)).date()
        with self._call("SEARCH SINCE", selected=True) as client:
            return sorted(int(uid) for uid in client.search(["SINCE", since]))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid``, ascending.

        ``UID n:*`` always matches the message with the highest UID, even when that UID is below ``n``
        (RFC 3501 6.4.8), so the answer is filtered.
        """
        with self._call("SEARCH UID", selected=True) as client:
            found = client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in (int(u) for u in found) if uid > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """Raw bytes, INTERNALDATE, flags (and MODSEQ) of ``uids`` in one round trip, ascending by UID.

        ``BODY.PEEK[]`` leaves ``\\Seen`` alone. Messages the server no longer has are left out.
        """
        if not uids:
            return []
        items = [b"BODY.PEEK[]", b"INTERNALDATE", b"FLAGS"]
        if self._condstore:
            items.append(b"MODSEQ")
        with self._call("FETCH", selected=True) as client:
            response: dict[int, dict[bytes, Any]] = client.fetch(list(uids), items)
        messages = []
        for uid in sorted(response):
            data = response[uid]
            raw = data.get(b"BODY[]")
            internal_date = data.get(b"INTERNALDATE")
            if not isinstance(raw, bytes) or internal_date is None:
                continue
            messages.append(
                FetchedMessage(
                    uid=int(uid),
                    raw=raw,
                    internal_date=_as_utc(internal_date),
                    flags=tuple(_text(flag) for flag in data.get(b"FLAGS", ())),
                    modseq=_modseq(data),
                )
            )
        return messages

    def changed_since(self, modseq: int) -> list[FlagChange]:
        """Messages whose flags changed after ``modseq`` (CONDSTORE), ascending by UID."""
        if not self._condstore:
            raise ImapError("the server has no CONDSTORE")
        with self._call("SEARCH MODSEQ", selected=True) as client:
            # The session sees other sessions' flag changes only after it syncs: NOOP first.
            _text_response, responses = client.noop()
            self._note_news(client, responses)
            uids = list(client.search(["MODSEQ", str(modseq + 1)]))
            response: dict[int, dict[bytes, Any]] = client.fetch(uids, [b"FLAGS", b"MODSEQ"]) if uids else {}
        changes = []
        for uid in sorted(response):
            changed = _modseq(response[uid])
            if changed is not None and changed > modseq:
                flags = tuple(_text(flag) for flag in response[uid].get(b"FLAGS", ()))
                changes.append(FlagChange(uid=int(uid), flags=flags, modseq=changed))
        return changes

    # --- waiting for new mail ------------------------------------------------------------------------------

    def idle_wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait in IDLE (RFC 2177) on the selected folder; True when the server reported new mail.

        Returns after at most ``timeout`` seconds, or within ``IDLE_SLICE_SECONDS`` once ``stop`` is set, or as
        soon as an EXISTS/RECENT response arrives. New mail reported during earlier commands counts too, so mail
        that arrived between the last search and this call is not missed. True means "look again with
        ``uids_after``", not a count. Keep ``timeout`` under 29 minutes (servers drop longer idles).
        """
        if not self.has_idle:
            raise ImapError("the server has no IDLE: poll with noop() and uids_after()")
        with self._call("IDLE", selected=True) as client:
            self._note_news(client)
            if self._take_news():
                return True
            client.idle()
            arrived = False
            deadline = time.monotonic() + timeout
            while not arrived and not (stop is not None and stop.is_set()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                responses = client.idle_check(timeout=min(remaining, IDLE_SLICE_SECONDS))
                if any(_is_bye(r) for r in responses) or (not responses and _peer_closed(client.socket())):
                    raise ConnectionResetError("the server closed the connection during IDLE")
                arrived = any(_is_new_mail(r) for r in responses)
            _text_response, responses = client.idle_done()
            self._note_news(client, responses)
            return self._take_news() or arrived

    def noop(self) -> bool:
        """NOOP: keeps the session alive and collects updates; True when the server reported new mail."""
        with self._call("NOOP") as client:
            _text_response, responses = client.noop()
            self._note_news(client, responses)
            return self._take_news()

    def _note_news(self, client: IMAPClient, responses: Sequence[tuple[Any, ...]] = ()) -> None:
        self._news = _drain_new_mail(client) or any(_is_new_mail(r) for r in responses) or self._news

    def _take_news(self) -> bool:
        news, self._news = self._news, False
        return news

    # --- plumbing ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("ImapConnection used by two threads at once; it is confined to one at a time")
        try:
            yield
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def _call(self, action: str, *, selected: bool = False) -> Iterator[IMAPClient]:
        """Run one operation: one thread at a time, errors mapped to ours, a broken connection closed."""
        with self._exclusive():
            client = self._client
            if client is None:
                raise ImapConnectionError(f"{action}: the connection is closed")
            if selected and self._selected is None:
                raise ImapError(f"{action}: no folder selected")
            try:
                yield client
            except imaplib.IMAP4.abort as exc:
                self._drop()
                raise ImapConnectionError(f"{action}: {_describe(exc)}") from exc
            except imaplib.IMAP4.error as exc:
                raise ImapError(f"{action}: {_describe(exc)}") from exc
            except OSError as exc:
                self._drop()
                raise ImapConnectionError(f"{action}: {_describe(exc)}") from exc

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.shutdown()


def _describe(exc: BaseException) -> str:
    """An error's text; imaplib passes the server's answer as bytes."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if len(exc.args) == 1 and isinstance(exc.args[0], bytes):
        return exc.args[0].decode("utf-8", "replace")
    return str(exc) or type(exc).__name__


def _text(value: object) -> str:
    """A flag or name as imapclient returns it (bytes, or int for a numeric atom) as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _modseq(data: dict[bytes, Any]) -> int | None:
    value = data.get(b"MODSEQ")
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    return int(value) if value is not None else None


def _is_new_mail(response: tuple[Any, ...]) -> bool:
    """``* n EXISTS`` or ``* n RECENT`` with n > 0, as imapclient parses untagged responses."""
    if len(response) < 2 or not isinstance(response[0], int):
        return False
    return response[1] == b"EXISTS" or (response[1] == b"RECENT" and response[0] > 0)


def _is_bye(response: tuple[Any, ...]) -> bool:
    return bool(response) and response[0] == b"BYE"


def _drain_new_mail(client: IMAPClient) -> bool:
    """Whether EXISTS/RECENT came with an earlier command's answer; forgets every such unsolicited response.

    imaplib files untagged responses that no command asked for (EXISTS, EXPUNGE, flag FETCHes) in a dict that
    grows for the life of the session; every imapclient call has taken its own answers out before returning.
    """
    untagged: dict[str, list[Any]] = client._imap.untagged_responses
    arrived = bool(untagged.get("EXISTS")) or any(v not in (b"0", "0", None) for v in untagged.get("RECENT", ()))
    untagged.clear()
    return arrived


def _peer_closed(sock: socket.socket) -> bool:
    """True when the peer has closed the TCP connection, seen by a zero-byte peek that consumes nothing.

    imapclient's ``idle_check`` reads an EOF as "no responses", so a dropped idle would look like a quiet one.
    The peek uses the plain socket's ``recv`` so it also works under TLS (it sees raw bytes, which is enough),
    and only runs when the socket is readable, so the socket's timeout never makes it wait.
    """
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        data = socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, TimeoutError):
        return False
    except OSError:
        return True
    return data == b""
