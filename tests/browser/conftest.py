"""A real server and headless Chromium for the workspace's browser journeys.

The app runs on a temporary SQLite file (or HELPLINE_TEST_DATABASE_URL) behind werkzeug's
server in a thread on 127.0.0.1; Playwright drives Debian's Chromium. No Chromium: the tests
are skipped with the reason, except in CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete
from werkzeug.serving import make_server

from core import settings
from tests.conftest import need

CHROMIUM = os.environ.get("HELPLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # A fake microphone (a beeping tone) and no permission prompt: the phone records from it.
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def browser():
    need(Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the playwright Python package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app_config, tmp_path):
    """The help line served over HTTP on a free port, with the demo schools loaded.

    Nobody is on consultation duty, so every call ends in a voice message whatever the hour.
    """
    from core.extensions import db
    from core.models import DutyKind, DutySlot
    from helpline.app import create_app
    from helpline.demo import load_demo

    app = create_app({**app_config, "TESTING": False, "PUBLIC_URL": "http://127.0.0.1"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_demo("demo-password")
        db.session.execute(delete(DutySlot).where(DutySlot.kind == DutyKind.CONSULTATION))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    settings.configure(app, PUBLIC_URL=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.url = app.config["PUBLIC_URL"]
    yield app
    server.shutdown()
    thread.join(5)
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900},
                                  permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A refused form (HTTP 400) is part of a journey; any other failed load or error is not.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and (
        "status of 400" not in m.text) else None)
    page.errors = errors
    yield page
    context.close()


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
