"""Screenshots of the web inbox for the README: the demo workspace in headless Chromium.

    uv run python scripts/screenshots.py [OUT_DIR]      (default: docs/)

Starts ``inbox serve --demo`` on a fresh data folder, signs in as the demo user and saves the inbox,
a thread with its draft, the manager dashboard and the inbox at phone width.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("INBOX_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


async def shoot(base: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 760})
        await page.goto(f"{base}/sign-in")
        await page.fill("input[name=email]", "demo@inbox.local")
        await page.fill("input[name=password]", "inbox-demo-password")
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/")
        await page.keyboard.press("j")
        await page.screenshot(path=str(out / "inbox.png"))
        await page.locator("#thread-list a.thread").first.click()
        await page.wait_for_selector("textarea[name=body]")
        await page.screenshot(path=str(out / "thread.png"), full_page=True)
        response = await page.goto(f"{base}/dashboard")
        if response is not None and response.status == 200:
            await page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        phone = await browser.new_page(viewport={"width": 390, "height": 800}, device_scale_factor=2)
        await phone.context.add_cookies(await page.context.cookies())
        await phone.goto(f"{base}/")
        await phone.screenshot(path=str(out / "phone.png"))
        await browser.close()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    port = 8765
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")} | {"INBOX_DATA_DIR": data}
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "inbox.cli", "serve", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            asyncio.run(shoot(base, out))
        finally:
            server.terminate()
            server.wait(timeout=15)
    sys.stderr.write(f"screenshots in {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
