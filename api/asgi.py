"""ASGI entry point for uvicorn and other servers: ``api.asgi:app``.

This is the web process's composition root: besides the app it starts the
background services of the embedded mode (an in-process worker and IMAP
ingestion) or, with Redis, installs the broker that webhooks enqueue on.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from api.app import create_app
from workers.embedded import background_services


@contextlib.asynccontextmanager
async def _background(app: Litestar) -> AsyncIterator[None]:
    async with background_services(app.state.settings, app.state.database):
        yield


app = create_app(background=_background)
