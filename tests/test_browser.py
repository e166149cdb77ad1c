"""The page in a real headless Chromium: asking, citing, and staying inert to hostile documents.

The app is served in this process over a tiny corpus in a temporary folder: a WhatsApp
statement, a Signal policy, and two documents carrying script, ``onerror`` and ``javascript:``
payloads in their text and metadata. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright with the network mapped away from everything but 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from web_docs import CONTACTS_SENTENCE, WEB_DOCS

from qa.settings import Settings
from qa.ui.server import serve

if TYPE_CHECKING:
    from conftest import FreePort

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
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ANSWER_TIMEOUT_MS = 90_000
VIEWPORT = {"width": 1400, "height": 1000}
CONTACTS_QUESTION = "Is my contact list shared with Facebook?"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

DOCS = {
    **WEB_DOCS,
    # Plain text keeps Markdown link syntax verbatim, so the javascript: link reaches the page.
    "acme-tracker.txt": (
        "Acme Tracker retention notice\n"
        "Acme Tracker keeps your location history for ninety days "
        "<script>window.__xss=1</script> "
        '<img src=x onerror="window.__xss=2"> '
        "[click](javascript:window.__xss=3) before deleting it.\n"
        "Acme Tracker is a fitness app for runners.\n"
    ),
    "beacon-cookies.md": """---
title: Beacon cookie policy <img src=x onerror="window.__xss=4">
publisher: <script>window.__xss=5</script> Beacon Inc
kind: policy
language: en
document_date: 2021-02-01
url: javascript:window.__xss=6
---

# Cookies <b onmouseover="window.__xss=7">here</b>

Beacon sets a cookie named beacon_id that lasts for two years and identifies your browser.
""",
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, free_port: FreePort) -> Iterator[str]:
    """The app served over ``DOCS`` on a free 127.0.0.1 port, for the module's tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("web-browser")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        embedding_model="multilingual-e5-small",
        host="127.0.0.1",
        port=free_port(),
        auth_user=None,
        auth_password=None,
        llm_base_url=None,
    )
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright, with only 127.0.0.1 reachable."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class _Watch:
    """What a page did that it should not: dialogs, and requests to other hosts."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.external: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        host = urlsplit(request.url).hostname
        if host and host not in LOCAL_HOSTS:
            self.external.append(request.url)


def _open(browser: Any, url: str) -> tuple[Any, _Watch]:
    page = browser.new_page(viewport=VIEWPORT)
    watch = _Watch(page)
    page.goto(url, wait_until="load")
    page.locator("#fp-question textarea").wait_for()
    return page, watch


def _ask(page: Any, question: str, turn: int) -> Any:
    """Ask ``question`` and wait until answer number ``turn`` is complete; return its element."""
    page.locator("#fp-question textarea").fill(question)
    page.locator("#fp-ask").click()
    answer = page.locator('#fp-chat [data-testid="bot"]').nth(turn - 1)
    # The answer is complete once its source list (or abstention) has streamed in.
    answer.locator("a.fp-cite, strong").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(
        """() => {
            const box = document.querySelector('#fp-question textarea');
            const pending = document.querySelector('#fp-chat .pending, #fp-sources .pending');
            return box && box.value === '' && !pending;
        }""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.locator("#fp-sources article.fp-source").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(500)  # let the last streamed snapshot render
    return answer


def test_asking_cites_a_source_shown_in_the_sources_panel(browser: Any, app_url: str) -> None:
    page, watch = _open(browser, app_url)
    # Index metadata arrives with the page's load event, not in the served HTML.
    summary = page.locator("#fp-index-summary")
    summary.get_by_text("documents are indexed.").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert summary.inner_text().strip() == f"{len(DOCS)} documents are indexed."
    answer = _ask(page, CONTACTS_QUESTION, turn=1)

    cites = answer.locator("a.fp-cite")
    assert cites.count() >= 1
    target = cites.first.get_attribute("href") or ""
    assert target.startswith("#fp-t1-source-")
    card = page.locator(f"#fp-sources {target}")
    assert card.count() == 1
    assert "WhatsApp and your contacts" in card.inner_text()
    assert card.locator("mark.fp-quote").inner_text().strip() == CONTACTS_SENTENCE
    for label in ("Publisher", "Kind", "Date", "Language", "Section"):
        assert label in card.locator("dl.fp-meta").inner_text()
    link = card.locator("a", has_text="Open the original")
    assert link.get_attribute("href") == "https://www.whatsapp.com/contacts-statement"
    assert link.get_attribute("rel") == "noopener noreferrer"

    # The marker leads to the passage: clicking it flashes the card, without leaving the page.
    cites.first.click()
    page.wait_for_selector(f"#fp-sources {target}.fp-flash", timeout=5_000)
    assert page.url.rstrip("/") == app_url.rstrip("/")
    assert len(page.context.pages) == 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert watch.external == []
    assert watch.dialogs == []
    page.close()


def test_hostile_documents_stay_text(browser: Any, app_url: str) -> None:
    page, watch = _open(browser, app_url)
    first = _ask(page, "How long does Acme Tracker keep my location history?", turn=1)
    assert "<script>window.__xss=1</script>" in first.inner_text()
    sources_text = page.locator("#fp-sources").inner_text()
    assert '<img src=x onerror="window.__xss=2">' in sources_text
    assert "[click](javascript:window.__xss=3)" in sources_text

    _ask(page, "How long does the Beacon cookie last?", turn=2)
    sources_text = page.locator("#fp-sources").inner_text()
    assert "<script>window.__xss=5</script> Beacon Inc" in sources_text
    assert "javascript:window.__xss=6" in sources_text  # shown, not linked

    page.mouse.move(10, 10)
    for element in page.locator("#fp-sources mark, #fp-sources dd").all()[:20]:
        element.hover()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []
    for scope in ('#fp-chat [data-testid="bot"]', "#fp-chat [data-testid='user']", "#fp-sources"):
        injected = page.locator(f"{scope} img, {scope} script, {scope} iframe, {scope} b")
        assert injected.count() == 0, scope
    assert page.locator('a[href^="javascript:" i]').count() == 0
    hrefs = page.eval_on_selector_all(
        "#fp-chat a, #fp-sources a", "links => links.map(a => a.getAttribute('href') || '')"
    )
    assert all(h.startswith(("#fp-t", "https://", "http://")) for h in hrefs), hrefs
    assert watch.external == []
    page.close()
