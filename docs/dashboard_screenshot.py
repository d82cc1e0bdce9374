"""Regenerate docs/dashboard.png: the repair desk of the demo data's dispatcher.

    python docs/dashboard_screenshot.py [--database-url postgresql://…/scratch_db]

Runs ``edom-graphql serve --demo`` in a scratch data directory (with the embedded
PostgreSQL unless a database URL is given), takes the dispatcher's token from
``edom-graphql token dispatcher``, opens /dashboard in the system Chromium, waits until
the board is live and saves the screenshot next to this file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import async_playwright, expect

OUTPUT = Path(__file__).with_name("dashboard.png")
VIEWPORT = {"width": 1600, "height": 560}
CLI = [sys.executable, "-m", "edom_graphql.server.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit("the server did not become ready")


async def shoot(base_url: str, token: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = await browser.new_page(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
        await page.goto(f"{base_url}/dashboard")
        await page.fill("#token", token)
        await page.click("#sign-in-button")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        await expect(page.locator("li.card").first).to_be_visible()
        await page.screenshot(path=str(OUTPUT))
        await browser.close()


def main(database_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="edom-shot-") as data_dir:
        port = free_port()
        env = {
            **os.environ,
            "EDOM_ENVIRONMENT": "development",
            "EDOM_DATA_DIR": data_dir,
            "EDOM_LOG_JSON": "false",
            "EDOM_LOG_LEVEL": "WARNING",
        }
        if database_url:
            env["EDOM_DATABASE_URL"] = database_url
        else:
            env.pop("EDOM_DATABASE_URL", None)
        server = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
            [*CLI, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(base_url, server)
            token = subprocess.run(  # noqa: S603
                [*CLI, "token", "dispatcher"], env=env, check=True, capture_output=True, text=True
            ).stdout.strip()
            asyncio.run(shoot(base_url, token))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty scratch PostgreSQL database")
    main(parser.parse_args().database_url)
