"""A private Dovecot IMAP server for the tests and the ingest benchmark.

``DovecotServer.start()`` runs ``dovecot -F`` with the project's own configuration (``dovecot.conf`` beside this
file) on free loopback ports, with its sockets, state, log and mail store in one temporary folder that ``stop()``
removes. Each user has a passwd-file of its own, so a test adds mailboxes while the server runs.

As root (CI) Dovecot's own unprivileged users do the work: ``dovenull`` for the login processes, ``dovecot`` for
the internal services and the mail store. As any other user every process runs as that user.

Endpoints, all on loopback:

- ``host:port`` plain IMAP (STARTTLS offered) and ``host:tls_port`` implicit TLS; ``tls_context()`` trusts the
  self-signed certificate generated at start;
- ``legacy_host:legacy_port``: the same mail store as an older server shows it: no IDLE (the polling
  fallback) and no SPECIAL-USE (the Sent folder is found by its name);
- XOAUTH2/OAUTHBEARER logins, checked by Dovecot against a token endpoint served from this process
  (``oauth2_token()`` issues a token).

``FaultyProxy`` sits between a client and the server and breaks a connection in the middle of a FETCH answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import imaplib
import ipaddress
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient

CONFIG_TEMPLATE = Path(__file__).with_name("dovecot.conf")
ADDRESS = "127.0.0.1"
# Linux routes all of 127.0.0.0/8 to the loopback interface: a second address lets a `local` block give it
# other IMAP settings (no IDLE, no SPECIAL-USE) on the same mail store.
LEGACY_ADDRESS = "127.0.0.2"
MAIL_DOMAIN = "example.com"
START_TIMEOUT = 20.0
# Messages per MULTIAPPEND command; with LITERAL+ a chunk is one round trip.
APPEND_CHUNK = 500
# doveadm's exit code (sysexits EX_NOUSER) when a user command matched nobody, e.g. kick without sessions.
_EX_NOUSER = 68
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([0-9:,]+)\]")


class DovecotError(RuntimeError):
    """The server could not be started or a doveadm command failed."""


@dataclass(frozen=True, slots=True)
class ImapUser:
    """Where and how to log in to one mailbox of the test server."""

    host: str
    port: int
    username: str
    password: str
    address: str


def find_dovecot() -> str | None:
    """The ``dovecot`` binary, also where ``/usr/sbin`` is not on PATH (non-root shells)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def to_crlf(raw: bytes) -> bytes:
    """Every line end as CRLF (bare LF and bare CR alike): how IMAP carries a message and how Dovecot serves it."""
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def served_bytes(raw: bytes) -> bytes:
    """What ``FETCH BODY[]`` returns for ``raw`` once appended: CRLF line ends, and NUL as 0x80 (Dovecot's
    replacement, since IMAP literals may not carry NUL)."""
    return to_crlf(raw).replace(b"\0", b"\x80")


class DovecotServer:
    """One running Dovecot instance; see the module docstring.

    Methods may be called from several threads at once (a test appending while another thread waits in IDLE):
    each opens its own connection or process.
    """

    def __init__(self, root: Path, binary: str) -> None:
        self.root = root
        self.binary = binary
        self.host = ADDRESS
        self.port = _free_port(ADDRESS)
        self.tls_port = _free_port(ADDRESS)
        self.legacy_host = LEGACY_ADDRESS
        self.legacy_port = _free_port(LEGACY_ADDRESS)
        self.config = root / "dovecot.conf"
        self.log = root / "dovecot.log"
        self.users_dir = root / "users"
        self._doveadm = shutil.which("doveadm") or str(Path(binary).with_name("doveadm"))
        self._process: subprocess.Popen[bytes] | None = None
        self._tokens = _TokenEndpoint()

    @classmethod
    def start(cls, binary: str | None = None) -> DovecotServer:
        """Write the configuration, start Dovecot and wait until every IMAP endpoint greets."""
        binary = binary or find_dovecot()
        if binary is None:
            raise DovecotError("dovecot not found (Debian: apt-get install dovecot-imapd)")
        server = cls(Path(tempfile.mkdtemp(prefix="inbox-dovecot-")), binary)
        try:
            server._launch()
        except BaseException:
            server.stop()
            raise
        return server

    def _launch(self) -> None:
        as_root = os.geteuid() == 0
        owner = pwd.getpwnam("dovecot") if as_root else pwd.getpwuid(os.geteuid())
        # The unprivileged Dovecot processes read the config and the users' files and own the mail store.
        self.root.chmod(0o755)
        mail_dir = self.root / "mail"
        mail_dir.mkdir()
        os.chown(mail_dir, owner.pw_uid, owner.pw_gid)
        self.users_dir.mkdir(mode=0o755)
        _write_self_signed_certificate(self.root / "tls")
        (self.root / "oauth2.conf.ext").write_text(
            f"tokeninfo_url = {self._tokens.url}\nusername_attribute = email\n", encoding="utf-8"
        )
        values = {
            "INSTANCE": f"inbox-test-{self.root.name}",
            "ROOT": str(self.root),
            "ADDRESS": ADDRESS,
            "LEGACY_ADDRESS": LEGACY_ADDRESS,
            "PORT": str(self.port),
            "TLS_PORT": str(self.tls_port),
            "LEGACY_PORT": str(self.legacy_port),
            "INTERNAL_USER": owner.pw_name,
            "INTERNAL_GROUP": grp.getgrgid(owner.pw_gid).gr_name,
            "LOGIN_USER": "dovenull" if as_root else owner.pw_name,
            "MAIL_UID": str(owner.pw_uid),
            "MAIL_GID": str(owner.pw_gid),
        }
        template = CONFIG_TEMPLATE.read_text(encoding="utf-8")
        self.config.write_text(re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], template), encoding="utf-8")
        command = [self.binary, "-F", "-c", str(self.config)]
        if not as_root:
            # chroot needs root; without it these services simply run in place.
            for service in ("imap-login", "anvil", "stats", "log"):
                command += ["-o", f"service/{service}/chroot="]
        with (self.root / "stderr.log").open("wb") as output:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        deadline = time.monotonic() + START_TIMEOUT
        endpoints = (
            (ADDRESS, self.port, None),
            (ADDRESS, self.tls_port, self.tls_context()),
            (LEGACY_ADDRESS, self.legacy_port, None),
        )
        for address, port, context in endpoints:
            while not _accepts(address, port, context):
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise DovecotError(f"dovecot did not start on {address}:{port}:\n{self.logs()}")
                time.sleep(0.05)

    def logs(self) -> str:
        """What Dovecot printed at start and its own log, for failure messages."""
        paths = (self.root / "stderr.log", self.log)
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths if p.exists())

    def stop(self) -> None:
        """Stop the server (SIGTERM to the master stops every process) and delete its folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._tokens.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- users and logins ----------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, *, legacy: bool = False) -> ImapUser:
        """A new mailbox (INBOX, Sent, Drafts, Trash); ``legacy=True`` logs in through the legacy endpoint."""
        if not re.fullmatch(r"[A-Za-z0-9._+-]+", name) or not re.fullmatch(r"[^:\s]+", password):
            raise ValueError(f"unusable test user name or password: {name!r}")
        path = self.users_dir / name
        with path.open("x", encoding="utf-8") as passwd:
            passwd.write(f"{name}:{{PLAIN}}{password}::::::\n")
        path.chmod(0o644)
        user = ImapUser(
            host=self.host, port=self.port, username=name, password=password, address=f"{name}@{MAIL_DOMAIN}"
        )
        return self.legacy(user) if legacy else user

    def legacy(self, user: ImapUser) -> ImapUser:
        """The same mailbox through the legacy endpoint (no IDLE, no SPECIAL-USE)."""
        return replace(user, host=self.legacy_host, port=self.legacy_port)

    def oauth2_token(self, user: ImapUser) -> str:
        """A bearer token Dovecot accepts for ``user`` in XOAUTH2/OAUTHBEARER logins until revoked."""
        token = secrets.token_urlsafe(24)
        self._tokens.tokens[token] = user.username
        return token

    def revoke_oauth2_token(self, token: str) -> None:
        self._tokens.tokens.pop(token, None)

    @contextlib.contextmanager
    def oauth2_outage(self) -> Iterator[None]:
        """The token endpoint answers 503 meanwhile: Dovecot cannot tell a good token from a bad one."""
        self._tokens.down.set()
        try:
            yield
        finally:
            self._tokens.down.clear()

    def tls_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's certificate (for ``tls_port`` and STARTTLS)."""
        return ssl.create_default_context(cafile=str(self.root / "tls" / "cert.pem"))

    # --- mail ----------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def client(self, user: ImapUser) -> Iterator[IMAPClient]:
        """A logged-in imapclient connection as ``user``, for test set-up."""
        client = IMAPClient(user.host, user.port, ssl=False, timeout=60)
        try:
            client.login(user.username, user.password)
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def append(
        self,
        user: ImapUser,
        messages: Iterable[bytes],
        folder: str = "INBOX",
        *,
        flags: tuple[str, ...] = (),
        internal_date: dt.datetime | None = None,
    ) -> list[int]:
        """APPEND ``messages`` with CRLF line ends (``to_crlf``) in MULTIAPPEND chunks; returns their UIDs in order.

        What FETCH BODY[] later returns is exactly ``served_bytes(message)``. ``internal_date`` sets every message's
        INTERNALDATE (the server's clock otherwise). About 2,500 corpus messages (10 kB on average) a second on
        the 2-core CI machine.
        """
        uids: list[int] = []
        with self.client(user) as client:
            # Many small writes per command: without NODELAY, Nagle and delayed ACKs cost 40 ms each.
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            chunk: list[dict[str, object]] = []
            for raw in messages:
                item: dict[str, object] = {"msg": to_crlf(raw), "flags": flags}
                if internal_date is not None:
                    item["date"] = internal_date
                chunk.append(item)
                if len(chunk) == APPEND_CHUNK:
                    uids += _multiappend(client, folder, chunk)
                    chunk = []
            if chunk:
                uids += _multiappend(client, folder, chunk)
        return uids

    def recreate_folder(self, user: ImapUser, folder: str = "INBOX") -> None:
        """Give ``folder`` a new UIDVALIDITY and its messages new UIDs, as a server-side rebuild would.

        The messages are moved out to a parking folder and back. A folder other than INBOX is deleted and
        created in between; INBOX cannot be deleted, so doveadm sets its UIDVALIDITY while it is empty.
        """
        parked = f"parked-{secrets.token_hex(4)}"
        with self.client(user) as client:
            client.create_folder(parked)
            _move_all(client, folder, parked)
            if folder.upper() == "INBOX":
                old = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
                self.doveadm("mailbox", "update", "-u", user.username, "--uid-validity", str(old + 1), folder)
            else:
                client.delete_folder(folder)
                client.create_folder(folder)
            _move_all(client, parked, folder)
            client.delete_folder(parked)

    def kick(self, user: ImapUser) -> None:
        """Disconnect every IMAP session of ``user`` at once (nothing happens when none is open)."""
        self.doveadm("kick", user.username, ok_codes=(0, _EX_NOUSER))

    def doveadm(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run ``doveadm`` against this instance; returns its output, raises DovecotError on failure."""
        result = subprocess.run(
            [self._doveadm, "-c", str(self.config), *args], capture_output=True, text=True, check=False
        )
        if result.returncode not in ok_codes:
            raise DovecotError(f"doveadm {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout


class FaultyProxy:
    """A TCP relay to ``target`` that breaks its first ``faults`` connections in the middle of a FETCH answer.

    Once a client line containing FETCH has been relayed and the server has answered with ``after_bytes`` more
    bytes, the relay either closes both sides (``stall=False``: a connection killed mid-fetch) or stops relaying
    while keeping both open (``stall=True``: a peer that went silent, which only a timeout detects). Later
    connections are relayed untouched, so a retry through the same proxy succeeds. ``user`` logs in through it.
    """

    def __init__(self, target: ImapUser, *, after_bytes: int = 4096, stall: bool = False, faults: int = 1) -> None:
        self.target = target
        self.after_bytes = after_bytes
        self.stall = stall
        self.faults_left = faults
        self.faults_done = 0
        self._listener = socket.create_server((ADDRESS, 0))
        self.user = replace(target, host=ADDRESS, port=self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="faulty-proxy", daemon=True).start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                downstream, _ = self._listener.accept()
                upstream = socket.create_connection((self.target.host, self.target.port), timeout=10)
            except OSError:
                return
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [downstream, upstream]
                faulty = self.faults_left > 0
                self.faults_left -= int(faulty)
            armed = threading.Event()
            threading.Thread(
                target=self._pump_commands, args=(downstream, upstream, armed, faulty), daemon=True
            ).start()
            threading.Thread(target=self._pump_answers, args=(upstream, downstream, armed), daemon=True).start()

    def _pump_commands(self, source: socket.socket, sink: socket.socket, armed: threading.Event, faulty: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if faulty and b"FETCH" in data.upper():
                    armed.set()
                sink.sendall(data)
        _close(sink)

    def _pump_answers(self, source: socket.socket, sink: socket.socket, armed: threading.Event) -> None:
        relayed = 0
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if armed.is_set():
                    if relayed + len(data) >= self.after_bytes:
                        sink.sendall(data[: self.after_bytes - relayed])
                        self.faults_done += 1
                        if self.stall:
                            self._closed.wait()
                        break
                    relayed += len(data)
                sink.sendall(data)
        _close(sink)
        _close(source)


class _TokenEndpoint:
    """The OAuth2 tokeninfo endpoint Dovecot asks about XOAUTH2 tokens: ``GET /tokeninfo?access_token=T``."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.down = threading.Event()
        tokens, down = self.tokens, self.down

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if down.is_set():
                    self.send_error(503)
                    return
                token = parse_qs(urlsplit(self.path).query).get("access_token", [""])[0]
                username = tokens.get(token)
                body = json.dumps({"email": username} if username else {"error": "invalid_token"}).encode()
                self.send_response(200 if username else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: request lines do not belong in the tests' output."""

        self._server = ThreadingHTTPServer((ADDRESS, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{ADDRESS}:{self._server.server_address[1]}/tokeninfo?access_token="
        threading.Thread(target=self._server.serve_forever, name="dovecot-oauth2", daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(address: str, port: int, context: ssl.SSLContext | None) -> bool:
    """True once ``address:port`` sends an IMAP greeting (the login process is up and has its auth)."""
    try:
        with socket.create_connection((address, port), timeout=2) as sock:
            if context is None:
                return sock.recv(4) == b"* OK"
            with context.wrap_socket(sock, server_hostname=address) as tls:
                return tls.recv(4) == b"* OK"
    except OSError:
        return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _multiappend(client: IMAPClient, folder: str, chunk: list[dict[str, object]]) -> list[int]:
    _status, data = client.multiappend(folder, chunk)
    match = _APPENDUID.search(data[0])
    if match is None:
        raise DovecotError(f"APPEND answered without APPENDUID: {data!r}")
    uids: list[int] = []
    for part in match.group(2).split(b","):
        first, _, last = part.partition(b":")
        uids.extend(range(int(first), int(last or first) + 1))
    return uids


def _move_all(client: IMAPClient, source: str, target: str) -> None:
    client.select_folder(source)
    if client.search("ALL"):
        client.move("1:*", target)
    client.unselect_folder()


def _write_self_signed_certificate(directory: Path) -> None:
    """A throwaway certificate for ``localhost`` and the loopback addresses (EC: no DH parameters needed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.IPv4Address(ADDRESS)),
            x509.IPAddress(ipaddress.IPv4Address(LEGACY_ADDRESS)),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir()
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = directory / "key.pem"
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
