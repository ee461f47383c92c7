"""No request makes the API answer 5xx: schemathesis against the app's own
OpenAPI document (/schema/openapi.json), every operation, as a signed-in
workspace admin, with valid and invalid inputs. Documented responses must
also match their schemas.

Schemathesis drives hypothesis synchronously, while the app, the per-test
rolled-back database and the signed-in team live on the fixtures' event loop.
So the test is a plain function that sends each generated case through the
conftest ``AsyncTestClient`` by running that loop until the answer is back.
Every workspace record exists once (made through the API), and about half of
the cases name those real ids in their path instead of random ones.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import requests
import schemathesis
from httpx import Response
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient
from pydantic import SecretStr
from schemathesis import Case, CheckFunction
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from inbox.core.principal import Role
from inbox.settings import AuthSettings, Settings
from tests.api.test_tenant_isolation import Tenant, endpoints, seed
from tests.factories import Member

BASE_URL = "http://testserver.local"
# Fuzzed cases per operation, on top of schemathesis' explicit and coverage cases.
MAX_EXAMPLES = 50
TRANSPORT_KWARGS = frozenset({"method", "url", "headers", "files", "data", "params", "cookies", "json"})
# The Better Auth-compatible endpoints answer errors in Better Auth's shape ({"message", "code"}), not the
# {"status_code", "detail"} that Litestar documents for every 400; their bodies are not checked against the schema.
SCHEMA_CHECK_EXEMPT = ("/api/auth/",)


def _served_openapi() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json; serving it needs no database."""
    app = create_app(
        Settings(
            environment="test",
            database_url="postgresql+asyncpg://unused@127.0.0.1:1/unused",
            auth=AuthSettings(secret=SecretStr("s" * 48), base_url=BASE_URL),
        )
    )
    with TestClient(app=app, base_url=BASE_URL) as client:
        response = client.get("/schema/openapi.json")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


schema = schemathesis.openapi.from_dict(
    _served_openapi(),
    config=schemathesis.Config.from_dict(
        # Credentials come from the signed-in admin, not from generated headers and cookies.
        {"generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False}}
    ),
)


class Caller:
    """Sends schemathesis cases to the app on the fixtures' event loop, as one member."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: AsyncTestClient[Litestar], member: Member) -> None:
        self.loop = loop
        self.client = client
        self.member = member

    def send(self, case: Case[Any]) -> Response:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=self.member.headers)
        # requests prepares the request exactly as schemathesis' own transport would put it on the wire.
        prepared = requests.Session().prepare_request(
            requests.Request(**{key: value for key, value in kwargs.items() if key in TRANSPORT_KWARGS})
        )
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        assert body is None or isinstance(body, bytes), f"a streamed body: {case.operation.label}"
        headers = {key: v.decode("latin-1") if isinstance(v, bytes) else v for key, v in prepared.headers.items()}
        request = self.client.request(prepared.method or "GET", prepared.url or "", headers=headers, content=body)
        response = self.loop.run_until_complete(request)
        self.client.cookies.clear()
        return response


@pytest.fixture
async def fixtures_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.fixture
async def records(client: AsyncTestClient[Litestar], app: Litestar, team: dict[Role, Member]) -> Tenant:
    return await seed(client, app, team, f"fuzz-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def caller(
    fixtures_loop: asyncio.AbstractEventLoop, client: AsyncTestClient[Litestar], team: dict[Role, Member]
) -> Caller:
    return Caller(fixtures_loop, client, team[Role.ADMIN])


@schema.parametrize()
@schema.given(use_real_ids=st.booleans())
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: Case[Any], use_real_ids: bool, caller: Caller, records: Tenant) -> None:
    if use_real_ids and case.path_parameters:
        for name in case.path_parameters:
            if name in records.refs:
                case.path_parameters[name] = records.refs[name]
    response = caller.send(case)
    checks: list[CheckFunction] = [not_a_server_error]
    if not case.operation.path.startswith(SCHEMA_CHECK_EXEMPT):
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks)


# Values that have reached the database from query strings elsewhere: PostgreSQL refuses NUL in text,
# LIKE patterns carry their own metacharacters, and a long value must be refused, not choked on.
HOSTILE_QUERY_VALUES = ("a\x00b", "%_\\", "' OR '1'='1", "x" * 5000, "😀", "-1", "9" * 40)


async def test_hostile_query_parameters_never_cause_a_server_error(
    client: AsyncTestClient[Litestar], app: Litestar, records: Tenant
) -> None:
    """Deterministic where the fuzzing above is random: every query parameter of every /api list, each value."""
    failures = []
    for endpoint in endpoints(app):
        if endpoint.method != "GET" or not endpoint.under_api:
            continue
        for name in dict.fromkeys([*endpoint.query_params, "limit", "cursor", "sort"]):
            for value in HOSTILE_QUERY_VALUES:
                response = await client.get(
                    endpoint.url(records.refs), params={name: value}, headers=records.admin.headers
                )
                if response.status_code >= 500:
                    failures.append(f"GET {endpoint.url(records.refs)}?{name}={value[:20]!r} -> {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_invalid_body_fields_named_like_dependencies_are_client_errors(
    client: AsyncTestClient[Litestar], app: Litestar, records: Tenant
) -> None:
    """Litestar files a validation error under the field's name, and one whose name is a dependency's
    (``settings``, ``page``...) is taken for a server-side dependency failure: 500. Any such field is probed."""
    failures = []
    for endpoint in endpoints(app):
        model = endpoint.body_type
        fields = getattr(model, "model_fields", {})
        for name in set(fields) & set(endpoint.handler.resolve_dependencies()):
            url = endpoint.url(records.refs)
            response = await client.request(
                endpoint.method, url, json={name: [[["not", "valid"]]]}, headers=records.admin.headers
            )
            if response.status_code >= 500:
                failures.append(f"{endpoint.method} {url} {{{name!r}: [[['not', 'valid']]]}} -> {response.status_code}")
    assert not failures, "\n".join(failures)
