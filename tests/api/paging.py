"""Following next_cursor to the end, as a client does."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient


async def walk_pages(
    client: AsyncClient,
    path: str,
    *,
    headers: dict[str, str],
    total: int,
    max_pages: int = 20,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a list, page by page; each page must report ``total``,
    and the pages must end within ``max_pages``."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(max_pages):
        page = (
            await client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        ).json()
        assert page["total"] == total, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} {params}: pages never end")
