"""Screenshots of the page for review: ``python evals/screenshots/take.py``.

Serves the sample corpus (``../shared/corpus``) into a fresh temporary index, so the first
shot is the first-start progress, then photographs at 1366x900 and 390x844: the empty page, an
answer, an abstention, an Indonesian answer, an earlier answer's citation followed, and the
Changes tab (the top of the view, and its first edited sentence). Uses
Debian's Chromium with the network mapped away from everything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_page import CHROMIUM, CHROMIUM_FLAGS, ask, open_page  # noqa: E402

from qa.settings import Settings  # noqa: E402
from qa.ui.server import serve  # noqa: E402

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
QUESTIONS = (
    "Is my contact list shared with Facebook?",
    "What does Signal store about me?",
    "Apakah daftar kontak saya dibagikan ke Facebook?",
    "What is the weather in Paris today?",
)


def main() -> None:
    """Serve, photograph, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    index = Path(tempfile.mkdtemp(prefix="fp-shots-")) / "index"
    settings = Settings(corpus_dir=args.corpus, index_dir=index, port=port, host="127.0.0.1")
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None)
    url = f"http://127.0.0.1:{port}/"
    from playwright.sync_api import sync_playwright

    out = args.out
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        for name, viewport in VIEWPORTS.items():
            page = open_page(browser, url, viewport, wait_ready=False)
            page.locator("#fp-progress .fp-progress").wait_for(timeout=60_000)
            # Once enough is done for an estimate of the time left.
            page.wait_for_function(
                "() => /about .+ left/.test(document.querySelector('#fp-progress').innerText)",
                timeout=120_000,
            )
            page.screenshot(path=str(out / f"{name}-first-start.png"))
            page.close()
        demo_status_wait(url)
        for name, viewport in VIEWPORTS.items():
            page = open_page(browser, url, viewport)
            page.screenshot(path=str(out / f"{name}-empty.png"))
            ask(page, QUESTIONS[0], 1)
            page.screenshot(path=str(out / f"{name}-answer.png"))
            ask(page, QUESTIONS[1], 2)
            ask(page, QUESTIONS[2], 3)
            page.screenshot(path=str(out / f"{name}-indonesian.png"))
            ask(page, QUESTIONS[3], 4)
            page.screenshot(path=str(out / f"{name}-abstention.png"))
            page.locator("#fp-turn-1 a.fp-cite").first.click()
            page.wait_for_timeout(400)
            page.screenshot(path=str(out / f"{name}-earlier-citation.png"))
            page.get_by_role("tab", name="Changes").click()
            page.locator("#fp-changes .fp-changes[data-new]").wait_for(timeout=60_000)
            page.wait_for_timeout(400)
            page.screenshot(path=str(out / f"{name}-changes.png"))
            # An edited sentence with both of its sides, in the middle of the window.
            page.evaluate(
                """() => Array.from(document.querySelectorAll('#fp-changes .fp-modified'))
                    .find((row) => !row.querySelector('.fp-blank'))
                    ?.scrollIntoView({ block: 'center' })"""
            )
            page.wait_for_timeout(200)
            page.screenshot(path=str(out / f"{name}-changes-edited.png"))
            page.close()
        browser.close()
    demo.close()


def demo_status_wait(url: str) -> None:
    """Wait until the server answers questions (its first index is built)."""
    from gradio_client import Client

    Client(url, verbose=False).predict("ready?", api_name="/answer")


if __name__ == "__main__":
    main()
