"""The review app in a real headless Chromium (Debian's chromium, driven by Playwright):
log in, open a call, click a quote and check the player's position, override an item with a
reason and find the decision in the store. Saves a screenshot of the call page to
tests/artifacts/review-call-page.png."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from test_store import db, make_user, seeded_sqlite  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
CALL = "insurance-payment-002"
PW = "a long enough password"

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")]


@pytest.fixture
def server(db):
    make_user(db, "rev1", "reviewer")
    proc = subprocess.Popen([sys.executable, "-m", "analyser", "review", "--db", db, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("review app: http://127.0.0.1:"), line  # bound to this machine only
        yield line.split()[2].rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_review_browser_quote_seeks_and_override_is_stored(server, db):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(f"{server}/calls/{CALL}")
        assert "/login" in page.url
        page.fill("input[name=name]", "rev1")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        page.wait_for_selector("#scorecard article.item")
        assert page.url.endswith(f"/calls/{CALL}")

        # A quote well into the call: clicking it moves the recording there.
        quote = page.locator("mark.q[data-seek]").filter(has_text="CARD").first
        seek = float(quote.get_attribute("data-seek"))
        assert seek > 5
        quote.click()
        page.wait_for_function("s => Math.abs(document.getElementById('player').currentTime - s) < 1.0", arg=seek,
                               timeout=10_000)
        at = page.evaluate("document.getElementById('player').currentTime")
        assert seek - 0.05 <= at < seek + 1.0
        page.evaluate("document.getElementById('player').pause()")

        # An evidence quote in the scorecard seeks too.
        ev = page.locator("button.ev[data-seek]").nth(2)
        ev_at = float(ev.get_attribute("data-seek"))
        ev.click()
        page.wait_for_function("s => Math.abs(document.getElementById('player').currentTime - s) < 1.0", arg=ev_at)
        page.evaluate("document.getElementById('player').pause()")

        # Override the greeting: the reason is required before anything is sent.
        item = page.locator("#item-greeting")
        draft = item.locator("header .chip").first.inner_text().strip().lower()
        item.locator("details.override summary").click()
        item.locator("details.override input[type=radio]").first.check()
        final = item.locator("details.override input[type=radio]").first.get_attribute("value")
        item.locator("details.override button.primary").click()  # empty reason: the browser refuses
        page.wait_for_timeout(300)
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from decisions").fetchone()[0] == 0
        item.locator("textarea[name=reason]").fill("The agent said 'hiya', not a greeting we accept.")
        item.locator("details.override button.primary").click()
        page.wait_for_selector("#item-greeting.decided.override")
        assert final in page.locator("#item-greeting .chip.final").inner_text().lower()
        page.locator("#item-offer_help button.ok").click()
        page.wait_for_selector("#item-offer_help.decided.confirm")
        assert "2/" in page.locator("#decided").inner_text()
        page.screenshot(path=str(ARTIFACTS / "review-call-page.png"))
        browser.close()
    assert not errors, errors
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select item_id, reviewer, action, draft_answer, final_answer, reason from decisions "
                            "order by id").fetchall()
    assert rows[0] == ("greeting", "rev1", "override", draft, final,
                       "The agent said 'hiya', not a greeting we accept.")
    assert rows[1][:3] == ("offer_help", "rev1", "confirm")
    assert (ARTIFACTS / "review-call-page.png").stat().st_size > 10_000
