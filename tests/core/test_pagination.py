from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import column

from inbox.core.errors import InvalidInput
from inbox.core.pagination import Sort, SortField, decode_cursor, encode_cursor

FIELDS = {"name": SortField(column("name")), "created_at": SortField(column("created_at"), datetime)}


def test_sort_parse_direction_and_default() -> None:
    assert Sort.parse(None, FIELDS, default="-created_at").token == "-created_at"
    parsed = Sort.parse("name", FIELDS, default="-created_at")
    assert (parsed.name, parsed.descending) == ("name", False)


def test_sort_parse_refuses_unknown_field_and_names_the_choices() -> None:
    with pytest.raises(InvalidInput) as caught:
        Sort.parse("password", FIELDS, default="name")
    assert caught.value.field == "sort"
    assert "created_at, name" in caught.value.message


def test_cursor_round_trips_datetime_and_id() -> None:
    sort = Sort.parse("-created_at", FIELDS, default="name")
    moment = datetime(2026, 11, 3, 9, 12, 5, 123456, tzinfo=UTC)
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(sort, moment, row_id), sort) == (moment, row_id)


def test_cursor_of_another_sort_is_refused() -> None:
    by_name = Sort.parse("name", FIELDS, default="name")
    cursor = encode_cursor(by_name, "alice", uuid.uuid4())
    with pytest.raises(InvalidInput, match="belongs to sort 'name'"):
        decode_cursor(cursor, Sort.parse("-name", FIELDS, default="name"))


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps(["created_at", "yesterday", str(uuid.uuid4())]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["created_at", "2026-01-01T00:00:00+00:00", "nope"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["created_at", 5, str(uuid.uuid4())]).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps(["created_at", "2026-01-01T00:00:00", str(uuid.uuid4())]).encode()
        ).decode(),
        "\u00e9\u00e9",
    ],
)
def test_tampered_cursors_are_client_errors(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, Sort.parse("created_at", FIELDS, default="name"))
    assert caught.value.field == "cursor"
