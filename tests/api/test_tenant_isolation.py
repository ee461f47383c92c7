"""No workspace can see or touch another's records, through any route.

The routes are found by introspecting the app, so a route added later is
covered without editing this file. A route whose path names a record
(``{..._id}``) needs an entry in ``RESOURCES`` saying how to make one; without
it ``test_every_record_parameter_has_a_resource`` fails.

The sweep: both workspaces get one record of every resource through the API
(mail, which has no create route, through the ingestion store into the
workspace's mailbox); then the rival's admin and sales rep call every route
with the team's ids in the path. Naming another workspace's record must look
exactly like naming a record that does not exist (404), change nothing, and no
answer to the rival may carry any of the team's ids or addresses.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import generate_session_token, session_cookie_name, sign_cookie_value
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from inbox.threads.models import Email, EmailAttachment
from tests.factories import Member, make_member

Client = AsyncTestClient[Litestar]
Refs = dict[str, str]  # path parameter name -> the id of one record it can name


@dataclass(frozen=True)
class Ingested:
    """The records that ingesting one message with an attachment makes."""

    thread_id: str
    email_id: str
    attachment_id: str


@dataclass(frozen=True)
class Resource:
    """How to come by one record that the path parameter ``param`` can name."""

    param: str
    collection: str
    # The POST body that creates one, given the records made before it and a tag unique to the workspace.
    create: Callable[[Refs, str], dict[str, Any]] | None = None
    # A valid PATCH body that changes something visible.
    update: dict[str, Any] = field(default_factory=dict)
    # The record exists already (a member of the team, the workspace itself).
    existing: Callable[[dict[Role, Member]], str] | None = None
    # The same record under another name (a lead is a contact).
    alias_of: str | None = None
    # Made by ingestion, not by the API: mail from the contact into the mailbox (see ``ingest_mail``).
    ingested: Callable[[Ingested], str] | None = None


# In dependency order: a record may refer to the ones above it.
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "workspace_id",
        "/api/workspace",
        existing=lambda team: str(team[Role.ADMIN].workspace_id),
        update={"name": "Renamed by a stranger"},
    ),
    Resource(
        "user_id",
        "/api/users",
        existing=lambda team: str(team[Role.SALES_REP].user.id),
        update={"role": "admin"},
    ),
    Resource(
        "invitation_id",
        "/api/users/invitations",
        create=lambda refs, tag: {"email": f"invitee.{tag}@example.com", "role": "manager"},
    ),
    Resource(
        "account_id",
        "/api/accounts",
        create=lambda refs, tag: {
            "name": f"Acme {tag}",
            "domain": f"acme-{tag}.example",
            "owner_id": refs.get("user_id"),
        },
        update={"name": "Renamed by a stranger"},
    ),
    Resource(
        "contact_id",
        "/api/contacts",
        create=lambda refs, tag: {
            "email": f"carla.{tag}@example.com",
            "first_name": "Carla",
            "last_name": "Contact",
            "temperature": "hot",
            "account_id": refs.get("account_id"),
            "owner_id": refs.get("user_id"),
        },
        update={"title": "Renamed by a stranger"},
    ),
    Resource("lead_id", "/api/leads", alias_of="contact_id"),
    Resource(
        "task_id",
        "/api/tasks",
        create=lambda refs, tag: {
            "title": f"Call back {tag}",
            "priority": "high",
            "assigned_to_id": refs.get("user_id"),
            "contact_id": refs.get("contact_id"),
            "account_id": refs.get("account_id"),
        },
        update={"title": "Renamed by a stranger"},
    ),
    Resource(
        "activity_id",
        "/api/activities",
        create=lambda refs, tag: {
            "type": "note",
            "subject": f"Met {tag}",
            "body": "Talked about pricing.",
            "user_id": refs.get("user_id"),
            "contact_id": refs.get("contact_id"),
            "account_id": refs.get("account_id"),
        },
        update={"subject": "Renamed by a stranger"},
    ),
    Resource(
        "email_account_id",
        "/api/email-accounts",
        create=lambda refs, tag: {
            "email_address": f"sales.{tag}@example.com",
            "provider": "imap",
            "imap_host": "imap.example.com",
            "imap_port": 993,
            "smtp_host": "smtp.example.com",
            "smtp_port": 587,
            "username": f"sales.{tag}@example.com",
            "password": "correct horse battery staple",
            "user_id": refs.get("user_id"),
        },
        update={"display_name": "Renamed by a stranger"},
    ),
    Resource("thread_id", "/api/threads", ingested=lambda mail: mail.thread_id, update={"status": "closed"}),
    Resource("email_id", "/api/emails", ingested=lambda mail: mail.email_id, update={"inbox_status": "archived"}),
    Resource("attachment_id", "/api/emails/{email_id}/attachments", ingested=lambda mail: mail.attachment_id),
    Resource(
        "template_id",
        "/api/templates",
        create=lambda refs, tag: {
            "name": f"Follow-up {tag}",
            "subject": "Hello {{first_name}}",
            "body": "Just checking in, {{first_name}}.",
        },
        update={"name": "Renamed by a stranger"},
    ),
)
BY_PARAM = {resource.param: resource for resource in RESOURCES}


@dataclass
class Tenant:
    members: dict[Role, Member]
    refs: Refs
    emails: set[str]

    @property
    def admin(self) -> Member:
        return self.members[Role.ADMIN]

    @property
    def secrets(self) -> set[str]:
        ids = set(self.refs.values()) | {str(self.admin.workspace_id)}
        for member in self.members.values():
            ids |= {str(member.user.id), member.auth_user.id, member.token}
        return ids | self.emails


# Bodies for routes that read their body themselves (the auth endpoints) or where
# neither the resource's create/update body nor {} is valid. They aim at the target tenant.
BODIES: dict[tuple[str, str], Callable[[Tenant], Any]] = {
    ("POST", "/api/auth/sign-in/email"): lambda t: {"email": t.admin.user.email, "password": "not-the-password-1"},
    ("POST", "/api/auth/sign-up/email"): lambda t: {
        "email": t.admin.user.email,
        "password": "a-new-password-123",
        "name": "Mallory",
    },
    ("POST", "/api/auth/request-password-reset"): lambda t: {"email": t.admin.user.email, "redirectTo": "/reset"},
    ("POST", "/api/auth/reset-password"): lambda t: {"token": "x" * 24, "newPassword": "a-new-password-123"},
    ("POST", "/api/auth/revoke-session"): lambda t: {"token": t.admin.token},
    ("POST", "/api/auth/sign-out"): lambda t: {},
    ("PATCH", "/api/emails/{email_id}/draft"): lambda t: {"subject": "pwned", "body": "pwned"},
    ("POST", "/api/emails/{email_id}/draft/regenerate"): lambda t: {"tone": "casual"},
}
WEB_AUTH_PAGES = frozenset({"/sign-in", "/sign-out", "/forgot-password", "/reset-password"})
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/auth/reset-password/{token}"): {"callbackURL": "/reset"},
}

# Query parameters and body fields that name a user.
USER_FIELDS = frozenset({"owner_id", "assigned_to_id", "user_id", "created_by_id", "invited_by_id"})

# Handler parameters that are not query parameters.
RESERVED_KWARGS = frozenset(
    {"self", "data", "request", "state", "headers", "cookies", "query", "scope", "socket", "body"}
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "/api/accounts/{account_id}"
    path_params: dict[str, type]
    handler: HTTPRouteHandler

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def id_params(self) -> list[str]:
        return [name for name in self.path_params if name.endswith("_id")]

    @property
    def under_api(self) -> bool:
        return self.path == "/api" or self.path.startswith("/api/")

    @property
    def is_auth(self) -> bool:
        # The web inbox's sign-in pages too: they can end the caller's session.
        return self.path in WEB_AUTH_PAGES or self.path == "/api/auth" or self.path.startswith("/api/auth/")

    @property
    def query_params(self) -> list[str]:
        dependencies = set(self.handler.resolve_dependencies())
        return [
            name
            for name in self.handler.parsed_fn_signature.parameters
            if name not in dependencies and name not in RESERVED_KWARGS and name not in self.path_params
        ]

    @property
    def body_type(self) -> Any | None:
        data = self.handler.parsed_fn_signature.parameters.get("data")
        return None if data is None else data.annotation

    @property
    def resource(self) -> Resource | None:
        """The resource the route is about: its last record parameter, or its collection."""
        if self.id_params:
            return BY_PARAM.get(self.id_params[-1])
        return next((resource for resource in RESOURCES if resource.collection == self.path), None)

    def url(self, refs: Refs) -> str:
        values: dict[str, str] = {}
        for name, kind in self.path_params.items():
            if name in refs:
                values[name] = refs[name]
            elif kind is uuid.UUID:
                values[name] = str(uuid.uuid4())
            elif kind is int:
                values[name] = "1"
            else:
                values[name] = "x"
        return self.path.format(**values)


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every (method, route) of the app, reads first, then writes, deletes, and /api/auth last."""
    found = [
        Endpoint(method, route.path_format, {name: p.type for name, p in route.path_parameters.items()}, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        for method in handler.http_methods
        # Provider webhooks are authenticated by the provider's signature or token, never by a session, and
        # take their workspace from the stored mail they match: tests/api/test_*_webhook*.py cover them.
        if method not in ("OPTIONS", "HEAD") and not route.path_format.startswith("/webhooks/")
    ]
    order = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    return sorted(found, key=lambda e: (e.is_auth, order.get(e.method, 1), e.path, e.method))


def plausible_body(endpoint: Endpoint, target: Tenant, tag: str) -> Any | None:
    """A body the route's schema accepts, so that its answer is about the ids, not the body.

    Create bodies refer to ``target``'s records (accounts, owners...)."""
    override = BODIES.get((endpoint.method, endpoint.path))
    body_type = endpoint.body_type
    if body_type is None:
        return None if override is None else override(target)
    candidates: list[Any] = [] if override is None else [override(target)]
    resource = endpoint.resource
    if resource is not None:
        if not endpoint.id_params and resource.create is not None:
            candidates.append(_without_none(resource.create(target.refs, tag)))
        candidates.append(resource.update)
    candidates.append({})
    for candidate in candidates:
        if _accepts(body_type, candidate):
            return candidate
    pytest.fail(f"no valid body known for {endpoint}: add one to BODIES in {__name__}")


def foreign_refs_body(endpoint: Endpoint, target: Tenant) -> dict[str, Any] | None:
    """An update body pointing only at ``target``'s records (owner, account...), if the route takes one."""
    resource = endpoint.resource
    if endpoint.body_type is None or resource is None or resource.create is None:
        return None
    created = _without_none(resource.create(target.refs, "x"))
    body = {key: value for key, value in created.items() if key.endswith("_id")}
    return body if body and _accepts(endpoint.body_type, body) else None


def _accepts(body_type: Any, body: Any) -> bool:
    try:
        TypeAdapter(body_type).validate_json(json.dumps(body))
    except ValidationError:
        return False
    return True


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


async def seed(client: Client, app: Litestar, members: dict[Role, Member], tag: str) -> Tenant:
    """One record of every resource whose create route exists, made by the admin."""
    routes = {(e.method, e.path) for e in endpoints(app)}
    refs: Refs = {}
    emails = {member.user.email for member in members.values()}
    mail: Ingested | None = None
    for resource in RESOURCES:
        if resource.existing is not None:
            refs[resource.param] = resource.existing(members)
        elif resource.alias_of is not None:
            if resource.alias_of in refs:
                refs[resource.param] = refs[resource.alias_of]
        elif resource.ingested is not None:
            make_contact = BY_PARAM["contact_id"].create
            if mail is None and make_contact is not None and "email_account_id" in refs:
                mail = await ingest_mail(app, refs["email_account_id"], make_contact(refs, tag)["email"], tag)
            if mail is not None:
                refs[resource.param] = resource.ingested(mail)
        elif resource.create is not None and ("POST", resource.collection) in routes:
            body = _without_none(resource.create(refs, tag))
            created = await client.post(resource.collection, json=body, headers=members[Role.ADMIN].headers)
            assert created.status_code == 201, (
                f"creating a {resource.param} record: {created.status_code} {created.text}"
            )
            refs[resource.param] = created.json()["id"]
            emails |= set(_EMAIL.findall(json.dumps(body).lower()))
    return Tenant(members=members, refs=refs, emails=emails)


async def ingest_mail(app: Litestar, mailbox_id: str, sender: str, tag: str) -> Ingested:
    """A message with an attachment from ``sender`` into the mailbox, stored by the real ingestion store."""
    database: Database = app.state.database
    settings: Settings = app.state.settings
    message = EmailMessage()
    message["From"] = f"Carla Contact <{sender}>"
    message["Subject"] = f"Pricing for {tag}"
    message["Message-ID"] = f"<pricing.{tag}@example.com>"
    message.set_content(f"What does the team plan cost for {tag}?")
    message.add_attachment(f"terms of {tag}".encode(), maintype="application", subtype="pdf", filename="terms.pdf")
    async with database.transaction() as session:
        mailbox = await session.get(EmailAccount, uuid.UUID(mailbox_id))
        assert mailbox is not None
        message["To"] = mailbox.email_address
        blobs = LocalBlobStore(settings.blob_dir)
        result = await ingest_messages(session, mailbox, [IncomingMessage(raw=message.as_bytes())], blobs=blobs)
        (email_id,) = result.stored
        thread_id = await session.scalar(select(Email.thread_id).where(Email.id == email_id))
        attachment_id = await session.scalar(select(EmailAttachment.id).where(EmailAttachment.email_id == email_id))
    return Ingested(thread_id=str(thread_id), email_id=str(email_id), attachment_id=str(attachment_id))


def item_reader(app: Litestar, param: str) -> Endpoint | None:
    return next(
        (
            e
            for e in endpoints(app)
            if e.method == "GET" and list(e.path_params) == [param] and e.path.endswith(f"/{{{param}}}")
        ),
        None,
    )


async def snapshot(
    client: Client, app: Litestar, tenant: Tenant, params: Iterable[str] | None = None
) -> dict[str, Any]:
    """Records as their own admin reads them (by id, or from their list)."""
    records: dict[str, Any] = {}
    for param in tenant.refs if params is None else params:
        record_id = tenant.refs[param]
        reader = item_reader(app, param)
        if reader is not None:
            response = await client.get(reader.url(tenant.refs), headers=tenant.admin.headers)
            assert response.status_code == 200, f"{reader} as the owner: {response.status_code} {response.text}"
            records[param] = response.json()
            continue
        collection = BY_PARAM[param].collection
        if any(e.method == "GET" and e.path == collection for e in endpoints(app)):
            response = await client.get(collection, params={"limit": 200}, headers=tenant.admin.headers)
            assert response.status_code == 200, f"GET {collection} as the owner: {response.text}"
            body = response.json()
            items = body.get("items", []) if isinstance(body, dict) else body
            records[param] = next((item for item in items if item.get("id") == record_id), None)
    return records


def leaked(response: Response, secrets: set[str], sent: str) -> set[str]:
    """The secrets in an answer that the request did not itself carry."""
    text = response.text.lower()
    return {secret for secret in secrets if secret.lower() in text and secret.lower() not in sent}


async def call(
    client: Client, endpoint: Endpoint, refs: Refs, headers: dict[str, str], body: Any | None = None
) -> tuple[Response, str]:
    """Send one request; returns the answer and the request's text (for telling echoes from leaks)."""
    url = endpoint.url(refs)
    query = QUERIES.get((endpoint.method, endpoint.path), {})
    kwargs: dict[str, Any] = {"headers": headers, "params": query}
    if body is not None:
        kwargs["json"] = body
    response = await client.request(endpoint.method, url, **kwargs)
    client.cookies.clear()  # a sign-in's cookie must not ride along on the next request
    return response, (url + json.dumps(query) + json.dumps(body)).lower()


def test_every_record_parameter_has_a_resource(app: Litestar) -> None:
    missing = {
        f"{{{param}}} in {endpoint}"
        for endpoint in endpoints(app)
        if endpoint.under_api
        for param in endpoint.id_params
        if param not in BY_PARAM
    }
    assert not missing, f"add these to RESOURCES in {__name__} so the isolation sweep covers them: {sorted(missing)}"


async def test_rival_cannot_see_or_change_the_teams_records(
    client: Client,
    app: Litestar,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    session: AsyncSession,
    settings: Settings,
) -> None:
    tag = uuid.uuid4().hex[:8]
    ours = await seed(client, app, team, f"team-{tag}")
    theirs = await seed(client, app, rival, f"rival-{tag}")
    before = await snapshot(client, app, ours)
    assert len(before) >= 2, f"too little to protect: {sorted(before)}"
    failures: list[str] = []

    for role in (Role.ADMIN, Role.SALES_REP):
        for endpoint in endpoints(app):
            if endpoint.is_auth:
                # These can end the caller's session (sign-out): each gets a member of its own.
                member = await make_member(session, settings, workspace_id=theirs.admin.workspace_id, role=role)
            else:
                member = rival[role]
            sweep = Sweep(client, app, endpoint, role, member, ours, theirs, before)
            failures += await sweep.run()

    after = await snapshot(client, app, ours)
    for param, record in before.items():
        if after.get(param) != record:
            failures.append(f"the team's {param} record changed during the sweep: {record} -> {after.get(param)}")
    assert not failures, "\n".join(failures)


@dataclass
class Sweep:
    """One route called by one member of the rival workspace."""

    client: Client
    app: Litestar
    endpoint: Endpoint
    role: Role
    member: Member
    ours: Tenant
    theirs: Tenant
    before: dict[str, Any]
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(f"rival {self.role.value}: {self.endpoint}: {message}")

    async def call(self, refs: Refs, body: Any | None) -> Response:
        response, sent = await call(self.client, self.endpoint, refs, self.member.headers, body)
        if response.status_code >= 500:
            self.fail(f"-> {response.status_code}: {response.text[:300]}")
        if leaks := leaked(response, self.ours.secrets, sent):
            self.fail(f"-> {response.status_code} carries the team's {sorted(leaks)}: {response.text[:300]}")
        return response

    async def run(self) -> list[str]:
        endpoint = self.endpoint
        missing = [param for param in endpoint.id_params if param not in self.ours.refs]
        if endpoint.under_api and missing:
            self.fail(f"the team has no record for {missing}: its create route is missing or RESOURCES is wrong")
            return self.failures
        if endpoint.is_auth:
            await self.auth_route()
        elif endpoint.id_params and endpoint.under_api:
            await self.record_route()
        elif endpoint.method == "GET" and endpoint.under_api:
            await self.list_route()
        elif endpoint.under_api:
            await self.create_route()
        else:
            await self.call(self.ours.refs, plausible_body(endpoint, self.ours, "stranger"))
        return self.failures

    async def record_route(self) -> None:
        """The team's ids in the path: 404, as for ids that exist nowhere, and nothing changes."""
        body = plausible_body(self.endpoint, self.ours, "stranger")
        response = await self.call(self.ours.refs, body)
        if response.status_code != 404:
            control, _ = await call(self.client, self.endpoint, {}, self.member.headers, body)
            # A role check (403) that answers the same for ids that exist nowhere says nothing about the ids.
            if not (self.role is Role.SALES_REP and response.status_code == control.status_code == 403):
                self.fail(
                    f"the team's ids -> {response.status_code} (unknown ids -> {control.status_code}), "
                    f"expected 404: {response.text[:200]}"
                )
        if self.endpoint.method != "GET":
            params = set(self.endpoint.id_params) & set(self.before)
            now = await snapshot(self.client, self.app, self.ours, params)
            for param in params:
                if now[param] != self.before[param]:
                    self.fail(f"changed the team's {param}: {self.before[param]} -> {now[param]}")
                    self.before[param] = now[param]  # blame the next route only for its own changes
            await self.own_record_with_foreign_refs()

    async def own_record_with_foreign_refs(self) -> None:
        """The rival's own record, pointed at the team's records (owner, account...): refused."""
        body = foreign_refs_body(self.endpoint, self.ours)
        if body is None or self.role is not Role.ADMIN or self.endpoint.method == "DELETE":
            return
        if not all(param in self.theirs.refs for param in self.endpoint.id_params):
            return
        response = await self.call(self.theirs.refs, body)
        if response.status_code not in (400, 404):
            self.fail(f"the rival's own record given the team's {sorted(body)} -> {response.status_code}, expected 400")

    async def list_route(self) -> None:
        """The rival's lists and singletons: its own records, none of the team's, whatever the filters."""
        response = await self.call(self.ours.refs, None)
        allowed = (200,) if self.role is Role.ADMIN else (200, 403)
        if response.status_code not in allowed:
            self.fail(f"-> {response.status_code}, expected 200: {response.text[:200]}")
        resource = self.endpoint.resource
        own = self.theirs.refs.get(resource.param, "") if resource is not None else ""
        if self.role is Role.ADMIN and own and own not in response.text:
            self.fail(f"the rival's own record {own} is missing, so the sweep proves little")
        for name in self.endpoint.query_params:
            value = self.ours.refs.get("user_id" if name in USER_FIELDS else name)
            if value is None:
                continue
            filtered = await self.client.get(self.endpoint.url({}), params={name: value}, headers=self.member.headers)
            control = await self.client.get(
                self.endpoint.url({}), params={name: str(uuid.uuid4())}, headers=self.member.headers
            )
            if filtered.status_code != control.status_code or filtered.status_code >= 500:
                self.fail(f"?{name}=<the team's> -> {filtered.status_code}, unknown id -> {control.status_code}")
            if leaks := leaked(filtered, self.ours.secrets, value.lower()):
                self.fail(f"?{name}=<the team's> carries the team's {sorted(leaks)}")

    async def create_route(self) -> None:
        """A create pointing at the team's records (owner, account...) is refused with 400."""
        body = plausible_body(self.endpoint, self.ours, "stranger")
        response = await self.call(self.ours.refs, body)
        if not isinstance(body, dict):
            return
        team_ids = set(self.ours.refs.values())
        foreign = sorted(key for key, value in body.items() if value in team_ids)
        if not foreign or response.status_code in (400, 404):
            return
        if self.role is Role.SALES_REP and response.status_code == 403:
            # A role check (a rep may only own their records) that answers the same for ids that exist nowhere.
            unknown = {key: str(uuid.uuid4()) if value in team_ids else value for key, value in body.items()}
            control, _ = await call(self.client, self.endpoint, {}, self.member.headers, unknown)
            if control.status_code == 403:
                return
        self.fail(f"with the team's {foreign} -> {response.status_code}, expected 400: {response.text[:200]}")

    async def auth_route(self) -> None:
        """Auth endpoints aimed at the team's admin (sign in as them, revoke their session...)
        answer without the team's data and leave the team signed in."""
        await self.call(self.ours.refs, plausible_body(self.endpoint, self.ours, "stranger"))
        me = await self.client.get("/api/users/me", headers=self.ours.admin.headers)
        if me.status_code != 200:
            self.fail(f"the team's admin is signed out afterwards: GET /api/users/me -> {me.status_code}")


def _credentials(variant: str, member: Member, settings: Settings) -> dict[str, str]:
    cookie = session_cookie_name(settings.auth.base_url)
    forged = sign_cookie_value(member.token, "not-the-secret-" + "x" * 40)
    return {
        "none": {},
        "garbage bearer": {"Authorization": f"Bearer {generate_session_token()}"},
        "bearer with a forged signature": {"Authorization": f"Bearer {forged}"},
        "forged cookie": {"Cookie": f"{cookie}={forged}"},
        "unsigned cookie": {"Cookie": f"{cookie}={member.token}"},
        "garbage cookie": {"Cookie": f"{cookie}=garbage.c2lnbmF0dXJl"},
    }[variant]


@pytest.mark.parametrize(
    "variant",
    [
        "none",
        "garbage bearer",
        "bearer with a forged signature",
        "forged cookie",
        "unsigned cookie",
        "garbage cookie",
    ],
)
async def test_api_routes_refuse_requests_without_a_valid_session(
    client: Client, app: Litestar, team: dict[Role, Member], settings: Settings, variant: str
) -> None:
    ours = await seed(client, app, team, f"team-{uuid.uuid4().hex[:8]}")
    protected = [e for e in endpoints(app) if e.under_api and not e.is_auth]
    assert len(protected) >= 5
    headers = _credentials(variant, team[Role.ADMIN], settings)
    answers = {}
    for endpoint in protected:
        response, _ = await call(client, endpoint, ours.refs, headers, plausible_body(endpoint, ours, "anon"))
        answers[str(endpoint)] = response.status_code
    wrong = {name: status for name, status in answers.items() if status != 401}
    assert not wrong, f"expected 401 from every /api route with {variant}; got {wrong}"
    # The same requests with the real session get through: the 401s above are about the credentials.
    assert (await client.get("/api/users/me", headers=team[Role.ADMIN].headers)).status_code == 200
