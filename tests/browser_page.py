"""Driving the page in Debian's headless Chromium: shared by the browser tests and the
screenshot script (``evals/screenshots/take.py``). The network is mapped away from everything
but 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ANSWER_TIMEOUT_MS = 90_000
INDEX_TIMEOUT_MS = 600_000


def open_page(browser: Any, url: str, viewport: dict[str, int], *, wait_ready: bool = True) -> Any:
    """A new page at ``url``; with ``wait_ready``, once the index's documents are listed."""
    page = browser.new_page(viewport=viewport)
    page.goto(url, wait_until="load")
    page.locator("#fp-question textarea").wait_for()
    if wait_ready:
        page.locator("#fp-welcome .fp-welcome").wait_for(timeout=INDEX_TIMEOUT_MS)
    return page


def ask(page: Any, question: str, turn: int) -> Any:
    """Ask ``question`` by the question box and wait until answer ``turn`` is complete."""
    page.locator("#fp-question textarea").fill(question)
    page.locator("#fp-ask").click()
    return wait_answer(page, turn)


def wait_answer(page: Any, turn: int) -> Any:
    """Wait until answer ``turn`` is complete (no longer busy); return its element."""
    page.wait_for_function(
        """(turn) => {
            const el = document.getElementById('fp-turn-' + turn);
            return el && !el.hasAttribute('aria-busy')
                && el.querySelector('.fp-a p, .fp-a .fp-chips');
        }""",
        arg=turn,
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # let the last streamed snapshot settle
    return page.locator(f"#fp-turn-{turn}")
