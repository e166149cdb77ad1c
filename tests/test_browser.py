"""The page in a real headless Chromium: answers that keep their own sources, a page that stays
put, Indonesian labels, examples from the index, the phone layout, accessibility (axe-core), the
first-start progress, and hostile documents that stay text.

The app is served in this process over a tiny corpus in a temporary folder: a WhatsApp
statement, a Signal policy, and two documents carrying script, ``onerror`` and ``javascript:``
payloads in their text and metadata. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright with the network mapped away from everything but 127.0.0.1. axe-core is the npm
package (``npm install axe-core``, as the README says), injected into the page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from browser_page import CHROMIUM, CHROMIUM_FLAGS, ask, open_page, wait_answer
from web_docs import CONTACTS_SENTENCE, WEB_DOCS

from qa.index.ingest import writer_lock
from qa.settings import Settings
from qa.ui.changes_page import ChangesPage
from qa.ui.server import serve

if TYPE_CHECKING:
    from conftest import FreePort

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = Path(os.environ.get("FINEPRINT_AXE_JS", ROOT / "node_modules/axe-core/axe.min.js"))
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CONTACTS_QUESTION = "Is my contact list shared with Facebook?"
SIGNAL_QUESTION = "What does Signal store about me?"
COOKIE_QUESTION = "How long does the Beacon cookie last?"
# Compares two companies, so cites a passage of each: its sources are longer than a short
# window's panel.
TWO_SOURCES_QUESTION = "What do WhatsApp and Signal do with my phone number?"
INDONESIAN_QUESTION = "Apakah daftar kontak saya dibagikan ke Facebook?"
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
# What the documents' titles and publishers are: the examples must name one of them.
INDEXED_NAMES = (
    "WhatsApp and your contacts",
    "WhatsApp LLC",
    "Signal Privacy Policy",
    "Signal Messenger LLC",
    "Acme Tracker",
    "Beacon cookie policy",
    "Beacon Inc",
)


def _settings(root: Path, port: int, docs: dict[str, str]) -> Settings:
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        embedding_model="multilingual-e5-small",
        host="127.0.0.1",
        port=port,
        auth_user=None,
        auth_password=None,
        llm_base_url=None,
    )


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, free_port: FreePort) -> Iterator[str]:
    """The app served over ``DOCS`` on a free 127.0.0.1 port, its index built, for the module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    settings = _settings(tmp_path_factory.mktemp("web-browser"), free_port(), DOCS)
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None, wait_for_index=True)
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


def _open(browser: Any, url: str, viewport: dict[str, int] = DESKTOP) -> tuple[Any, _Watch]:
    page = open_page(browser, url, viewport, wait_ready=False)
    watch = _Watch(page)
    page.locator("#fp-welcome .fp-welcome").wait_for(timeout=120_000)
    return page, watch


def _scroll_y(page: Any) -> float:
    return float(page.evaluate("window.scrollY"))


def _inside(page: Any, inner: str, outer: str) -> bool:
    """Whether element ``inner`` is at least partly visible inside ``outer`` and the window."""
    return bool(
        page.evaluate(
            """([inner, outer]) => {
                const a = document.querySelector(inner).getBoundingClientRect();
                const b = document.querySelector(outer).getBoundingClientRect();
                return a.bottom > b.top && a.top < b.bottom
                    && a.top < window.innerHeight && a.bottom > 0;
            }""",
            [inner, outer],
        )
    )


def _click_without_playwright_scrolling(page: Any, selector: str) -> float:
    """Bring ``selector`` into view, note the page's scroll, click it; return the noted scroll.

    Playwright scrolls an element into view before clicking it; noting the scroll afterwards
    separates that from anything the page itself does.
    """
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    page.wait_for_timeout(100)
    before = _scroll_y(page)
    element.click()
    page.wait_for_timeout(300)
    return before


# -- answers keep their sources; the page stays put -----------------------------------------------


def test_each_answer_keeps_its_own_sources(browser: Any, app_url: str) -> None:
    page, watch = _open(browser, app_url)
    ask(page, CONTACTS_QUESTION, 1)
    ask(page, SIGNAL_QUESTION, 2)
    third = ask(page, COOKIE_QUESTION, 3)
    # The latest answer's sources are shown; its top is in view in the conversation.
    assert page.locator('#fp-sources section[data-turn="3"]').is_visible()
    assert not page.locator('#fp-sources section[data-turn="1"]').is_visible()
    assert _inside(page, "#fp-turn-3 .fp-q", "#fp-chat")
    assert third.locator("a.fp-chip").count() >= 1

    # [1] of the first answer leads to the first answer's passage, scrolling only the panel.
    before = _click_without_playwright_scrolling(page, "#fp-turn-1 a.fp-cite")
    card = page.locator("#fp-sources #fp-t1-source-1")
    assert card.is_visible()
    assert card.locator("mark.fp-quote").inner_text().strip() == CONTACTS_SENTENCE
    assert not page.locator('#fp-sources section[data-turn="3"]').is_visible()
    assert _inside(page, "#fp-sources #fp-t1-source-1", "#fp-sources")
    assert _scroll_y(page) == before
    assert _inside(page, "#fp-turn-1 a.fp-cite", "#fp-chat")  # the chat did not leave
    page.wait_for_selector("#fp-t1-source-1.fp-flash", timeout=2_000, state="attached")
    assert page.url.rstrip("/") == app_url.rstrip("/")

    # Hovering a marker previews its quoted sentence.
    page.locator("#fp-turn-2 a.fp-cite").first.hover()
    preview = page.locator("#fp-preview")
    preview.wait_for(state="visible", timeout=2_000)
    quoted = page.locator("#fp-t2-source-1 mark.fp-quote").first.text_content() or ""
    assert quoted.strip() and quoted.strip() in preview.inner_text()

    # The document card has its metadata once and a real link.
    doc = page.locator("#fp-sources article.fp-doc", has=page.locator("#fp-t1-source-1"))
    assert doc.locator("dl.fp-meta").count() == 1
    link = doc.locator("a", has_text="Open the original")
    assert link.get_attribute("href") == "https://www.whatsapp.com/contacts-statement"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "earlier-citation.png"))
    assert watch.external == [] and watch.dialogs == []
    page.close()


def _rect(page: Any, selector: str) -> dict[str, float]:
    return dict(
        page.evaluate(
            """(selector) => {
                const r = document.querySelector(selector).getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
            }""",
            selector,
        )
    )


def _visible_in_panel(page: Any, selector: str) -> bool:
    """Whether ``selector`` is wholly inside the sources panel, below its sticky heading."""
    return bool(
        page.evaluate(
            """(selector) => {
                const a = document.querySelector(selector).getBoundingClientRect();
                const panel = document.querySelector('#fp-sources').getBoundingClientRect();
                const section = document.querySelector(selector).closest('.fp-turn-sources');
                const head = section.querySelector('.fp-turn-head').getBoundingClientRect();
                return a.top >= head.bottom - 1 && a.bottom <= panel.bottom + 1
                    && a.bottom <= window.innerHeight;
            }""",
            selector,
        )
    )


def test_a_followed_marker_shows_its_card_and_quote_beside_its_preview(
    browser: Any, app_url: str
) -> None:
    # A short window, so the panel scrolls: the card's title and metadata must stay in view
    # with the highlighted quote, and the marker's preview must not cover the quote.
    page, _watch = _open(browser, app_url, {"width": 1366, "height": 560})
    ask(page, CONTACTS_QUESTION, 1)
    ask(page, TWO_SOURCES_QUESTION, 2)
    markers = page.locator("#fp-turn-2 a.fp-cite")
    assert markers.count() >= 2
    assert page.evaluate(
        "() => { const s = document.querySelector('#fp-sources');"
        " return s.scrollHeight > s.clientHeight; }"
    )
    last = markers.count()
    for turn, marker in ((2, last), (1, 1)):
        page.evaluate("document.querySelector('#fp-sources').scrollTop = 0")
        link = page.locator(f'#fp-turn-{turn} a.fp-cite[data-marker="{marker}"]').first
        link.scroll_into_view_if_needed()
        page.mouse.move(5, 5)
        link.click()
        page.wait_for_timeout(300)
        source = f"#fp-t{turn}-source-{marker}"
        card = f"#fp-sources article.fp-doc:has({source})"
        assert _visible_in_panel(page, f"{card} .fp-title"), (turn, marker)
        assert _visible_in_panel(page, f"{card} dl.fp-meta"), (turn, marker)
        assert _visible_in_panel(page, f"{source} mark.fp-quote"), (turn, marker)
        for show in ("click", "hover"):
            if show == "hover":
                page.mouse.move(5, 5)
                page.wait_for_timeout(300)
                link.hover()
            page.locator("#fp-preview").wait_for(state="visible", timeout=2_000)
            tip = _rect(page, "#fp-preview")
            quote = _rect(page, f"{source} mark.fp-quote")
            covers = (
                tip["left"] < quote["right"]
                and quote["left"] < tip["right"]
                and tip["top"] < quote["bottom"]
                and quote["top"] < tip["bottom"]
            )
            assert not covers, (show, tip, quote)
    page.close()


def test_an_unanswered_turn_has_no_sources_heading(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    page.get_by_text("Filters (apply to the next question)").click()
    page.locator("#fp-date-from textarea, #fp-date-from input").first.fill("01/02/2021")
    page.locator("#fp-question textarea").fill(CONTACTS_QUESTION)
    page.locator("#fp-ask").click()
    turn = wait_answer(page, 1)
    assert "Please fix the filters" in turn.inner_text()
    section = page.locator("#fp-sources section[data-turn='1']")
    assert section.locator("h3").count() == 0
    assert section.inner_text().strip() == "No sources: question 1 got no answer."
    assert turn.locator(".fp-inline-sources").count() == 0
    page.close()


def test_an_empty_question_adds_no_turn(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    page.locator("#fp-question textarea").fill("   ")
    page.locator("#fp-question textarea").press("Enter")
    page.locator("#fp-ask").click()
    page.wait_for_timeout(1_500)
    assert page.locator(".fp-turn").count() == 0
    assert page.locator("#fp-welcome .fp-welcome").is_visible()
    page.close()


def test_an_indonesian_answer_has_indonesian_labels(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    answer = ask(page, INDONESIAN_QUESTION, 1)
    assert answer.locator(".fp-q .fp-who").inner_text().strip().lower() == "anda"
    assert answer.locator(".fp-chips-label").inner_text().strip() == "Sumber:"
    labels = page.locator("#fp-sources dl.fp-meta dt").all_inner_texts()
    assert {"Penerbit", "Jenis", "Tanggal", "Bahasa"} <= set(labels)
    assert "Publisher" not in labels
    assert page.locator("#fp-ask").inner_text().strip() == "Tanya"
    assert page.locator("#fp-question").get_by_text("Pertanyaan").count() >= 1
    assert page.locator("#fp-sources a", has_text="Buka dokumen asli").count() >= 1
    page.close()


def test_examples_come_from_the_index_and_ask_when_clicked(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    examples = page.locator("button.fp-example")
    texts = examples.all_inner_texts()
    assert texts, "no example questions"
    for text in texts:
        assert any(name in text for name in INDEXED_NAMES), text
    rows = page.locator("#fp-welcome tbody tr").all_inner_texts()
    assert len(rows) == len(DOCS)
    assert any("WhatsApp and your contacts" in r and "2021-01-12" in r for r in rows)
    examples.first.click()
    answer = wait_answer(page, 1)
    assert answer.locator(".fp-q p").inner_text().strip() == texts[0].strip()
    assert not page.locator("#fp-welcome .fp-welcome").is_visible()
    # Every example was checked by asking it: it is answered, first from the document it names.
    for number, text in enumerate(texts, start=1):
        if number > 1:
            ask(page, text, number)
        turn = page.locator(f"#fp-turn-{number}")
        assert turn.locator(".fp-abstain").count() == 0, text
        first = page.locator(f"#fp-sources section[data-turn='{number}'] article.fp-doc").first
        title = first.locator(".fp-title").inner_text().strip()
        assert title in text, (text, title)
        assert "…" not in text
    page.close()


# -- accessibility -------------------------------------------------------------------------------


# Runs of axe, a second apart, before a violation counts (see ``_axe``).
AXE_TRIES = 5


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe's serious and critical violations once they hold still.

    Gradio dims components while an event runs (a pending one at opacity 0.2, a loading veil
    over others), and measured then every colour fails contrast: CI under load saw it after
    the Changes link's second event. A violation that persists over ``AXE_TRIES`` runs a
    second apart is real; one that goes away was the page settling.
    """
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core is missing at {AXE_JS}: run 'npm install --no-save axe-core@4' in the "
            "repository (the README's test setup), or point FINEPRINT_AXE_JS at axe.min.js"
        )
    page.wait_for_function("() => !document.querySelector('.pending')", timeout=30_000)
    page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = []
    for attempt in range(AXE_TRIES):
        if attempt:
            page.wait_for_timeout(1_000)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if not found:
            break
    return found


def test_axe_finds_no_serious_violations(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    assert _axe(page) == []
    ask(page, CONTACTS_QUESTION, 1)
    ask(page, "What does Acme say about the weather on Mars?", 2)
    page.locator("#fp-turn-1 a.fp-cite").first.hover()
    assert _axe(page) == []
    page.close()


def test_keyboard_reaches_markers_and_their_sources(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url)
    box = page.locator("#fp-question textarea")
    box.focus()
    box.type(CONTACTS_QUESTION)
    box.press("Enter")
    wait_answer(page, 1)
    box.focus()
    # Back from the question box into the answer: its chips, then its markers.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.matches('a.fp-cite')"):
            break
    else:
        pytest.fail("no marker reachable by keyboard from the question box")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("fp-t1-source-")
    page.keyboard.press("Tab")  # on to the source's own link
    assert page.evaluate("document.activeElement.closest('#fp-sources') !== null")
    page.close()


# -- the phone layout ----------------------------------------------------------------------------


def _in_window(page: Any, selector: str, below: str = "") -> bool:
    """Whether ``selector`` is wholly in the window (and above element ``below``, if given)."""
    return bool(
        page.evaluate(
            """([selector, below]) => {
                const a = document.querySelector(selector).getBoundingClientRect();
                const floor = below
                    ? document.querySelector(below).getBoundingClientRect().top
                    : window.innerHeight;
                return a.top >= 0 && a.bottom <= Math.min(floor, window.innerHeight)
                    && a.left >= 0 && a.right <= window.innerWidth;
            }""",
            [selector, below],
        )
    )


def test_phone_layout(browser: Any, app_url: str) -> None:
    page, _watch = _open(browser, app_url, PHONE)
    # The question box is on the first screen, above no empty chat.
    box = page.locator("#fp-question textarea").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The documents table stacks its rows: every date and language is on the screen.
    wrap = page.locator("#fp-welcome .fp-table-wrap")
    assert wrap.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    for cell in page.locator("#fp-welcome tbody td").all():
        if cell.inner_text().strip():
            cell_box = cell.bounding_box()
            assert cell_box is not None and cell_box["x"] + cell_box["width"] <= PHONE["width"]
    date = page.locator("#fp-welcome tbody td", has_text="2021-01-12").first
    assert date.get_attribute("data-label") == "Date"  # shown before the value on a phone
    ask(page, CONTACTS_QUESTION, 1)
    ask(page, SIGNAL_QUESTION, 2)
    # The panel beside the chat is gone; each answer's sources follow it.
    assert not page.locator("#fp-sources-col").is_visible()
    inline = page.locator("#fp-turn-1 .fp-inline-sources")
    assert inline.is_visible()
    assert CONTACTS_SENTENCE in inline.inner_text()
    # The question box stays reachable below a conversation.
    box = page.locator("#fp-question textarea").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    # The inline sources are part of the page, not a box of their own that clips its text.
    clipped = page.evaluate(
        """() => Array.from(document.querySelectorAll('.fp-inline-sources')).filter(
            (box) => box.scrollHeight > box.clientHeight + 1
                || box.scrollWidth > box.clientWidth + 1
        ).length"""
    )
    assert clipped == 0
    # A tapped marker moves the page straight to its own answer's copy of the passage: the
    # document card's title and the highlighted quote in view, above the question box.
    page.locator("#fp-turn-1 a.fp-cite").first.scroll_into_view_if_needed()
    page.locator("#fp-turn-1 a.fp-cite").first.click()
    page.wait_for_selector("#fp-m1-source-1.fp-flash", timeout=2_000, state="attached")
    page.wait_for_timeout(300)
    card = "article.fp-doc:has(#fp-m1-source-1)"
    assert _in_window(page, f"{card} .fp-title", below="#fp-ask-row")
    assert _in_window(page, "#fp-m1-source-1 mark.fp-quote", below="#fp-ask-row")
    assert not page.locator("#fp-preview").is_visible()  # the passage itself shows the quote
    assert _axe(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"))
    page.close()


# -- the first start -----------------------------------------------------------------------------


def test_first_start_shows_progress_then_answers(
    browser: Any, tmp_path: Path, free_port: FreePort
) -> None:
    settings = _settings(tmp_path, free_port(), dict(WEB_DOCS))
    # Another writer holds the index, so indexing waits and its progress can be seen; the
    # page must be up all the same.
    lock = writer_lock(settings.index_dir)
    lock.acquire()
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None)
    try:
        url = f"http://127.0.0.1:{settings.port}/"
        page = open_page(browser, url, DESKTOP, wait_ready=False)
        progress = page.locator("#fp-progress .fp-progress")
        progress.wait_for(timeout=30_000)
        assert f"0 of {len(WEB_DOCS)} documents" in progress.inner_text()
        assert page.locator("#fp-progress progress").count() == 1
        assert _axe(page) == []
        page.locator("#fp-question textarea").fill(CONTACTS_QUESTION)
        page.locator("#fp-ask").click()
        early = wait_answer(page, 1)
        assert "still being indexed" in early.inner_text()
        lock.release()
        # The progress goes away by itself once the index is built.
        progress.wait_for(state="detached", timeout=120_000)
        summary = page.locator("#fp-index-summary")
        summary.get_by_text(f"{len(WEB_DOCS)} documents are indexed.").wait_for(timeout=10_000)
        page.locator("#fp-ask").click()  # the question was kept in the box
        answer = wait_answer(page, 2)
        assert answer.locator("a.fp-cite").count() >= 1
        page.close()
    finally:
        if lock.is_locked:
            lock.release()
        demo.close()


# -- hostile documents ---------------------------------------------------------------------------


def test_hostile_documents_stay_text(browser: Any, app_url: str) -> None:
    page, watch = _open(browser, app_url)
    first = ask(page, "How long does Acme Tracker keep my location history?", 1)
    assert "<script>window.__xss=1</script>" in first.inner_text()
    sources_text = page.locator("#fp-sources").inner_text()
    assert '<img src=x onerror="window.__xss=2">' in sources_text
    assert "[click](javascript:window.__xss=3)" in sources_text

    ask(page, COOKIE_QUESTION, 2)
    sources_text = page.locator("#fp-sources").inner_text()
    assert "<script>window.__xss=5</script> Beacon Inc" in sources_text
    assert "javascript:window.__xss=6" in sources_text  # shown, not linked

    page.mouse.move(10, 10)
    for element in page.locator("#fp-sources mark, #fp-sources dd, a.fp-cite").all()[:20]:
        if element.is_visible():
            element.hover()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []
    for scope in ("#fp-chat", "#fp-sources", "#fp-welcome", "#fp-preview"):
        injected = page.locator(f"{scope} img, {scope} script, {scope} iframe, {scope} b")
        assert injected.count() == 0, scope
    assert page.locator('a[href^="javascript:" i]').count() == 0
    hrefs = page.eval_on_selector_all(
        "#fp-chat a, #fp-sources a", "links => links.map(a => a.getAttribute('href') || '')"
    )
    assert all(h.startswith(("#fp-", "https://", "http://")) for h in hrefs), hrefs
    assert watch.external == []
    page.close()


# -- the changes view ----------------------------------------------------------------------------

SERIES_DIR = "Acme/Privacy Policy"
_ACME_SHARING = "We share your phone number with our payment partner to process refunds."
_ACME_ADDED = 'We now share your city with delivery partners <img src=x onerror="window.__xss=8">.'
_ACME_CONTACT = (
    "## Contact\n\nWrite to our privacy team at privacy@acme.example with any question. We "
    "answer every letter within a month. Our office is in Jakarta and opens on weekdays."
)


def _acme(stated: str, days: int, added: bool = False) -> str:
    sharing = f"{_ACME_SHARING} {_ACME_ADDED}" if added else _ACME_SHARING
    return (
        f"# Acme Privacy Policy\n\nLast modified: {stated}\n\n## Retention\n\nWe keep "
        f"undelivered messages for up to {days} days as we try to deliver them. Delivered "
        f"messages are deleted from our servers.\n\n## Sharing\n\n{sharing}\n\n{_ACME_CONTACT}\n"
    )


GLOBEX_DIR = "Globex/Privacy Policy"


def _globex(stated: str, months: str) -> str:
    return (
        f"# Globex Privacy Policy\n\nLast modified: {stated}\n\n## Location\n\nGlobex "
        f"stores the location of your parcel lockers for {months} months after your last "
        "delivery. We never sell your location to advertisers.\n"
    )


# Three versions of one Open Terms Archive series and a broken capture between the first two.
VERSION_DOCS = {
    f"{SERIES_DIR}/2020-07-08T00-00-00Z.md": _acme("July 1, 2020", 30),
    f"{SERIES_DIR}/2020-08-01T00-00-00Z.md": "# Legal\n\n- [Terms](https://acme.example/t)\n",
    f"{SERIES_DIR}/2020-11-20T00-00-00Z.md": _acme("November 18, 2020", 60),
    f"{SERIES_DIR}/2021-02-01T00-00-00Z.md": _acme("January 4, 2021", 60, added=True),
    # A second series: a link followed from an answer about it replaces the first series.
    f"{GLOBEX_DIR}/2022-03-01T00-00-00Z.md": _globex("February 20, 2022", "three"),
    f"{GLOBEX_DIR}/2022-09-15T00-00-00Z.md": _globex("September 12, 2022", "six"),
}
SHARING_QUESTION = "Who does Acme share my phone number with?"
RETENTION_QUESTION = "How long does Acme keep undelivered messages?"
GLOBEX_QUESTION = "How long does Globex store the location of my parcel lockers?"
# How long each comparison takes in the test of picks made while one is computing.
SLOW_COMPARE_SECONDS = 3.0


@pytest.fixture(scope="module")
def versions_url(tmp_path_factory: pytest.TempPathFactory, free_port: FreePort) -> Iterator[str]:
    """The app served over ``VERSION_DOCS`` (an Open Terms Archive series), for the module."""
    settings = _settings(tmp_path_factory.mktemp("web-versions"), free_port(), {})
    for doc_id, text in VERSION_DOCS.items():
        (settings.corpus_dir / doc_id).parent.mkdir(parents=True, exist_ok=True)
        (settings.corpus_dir / doc_id).write_text(text, encoding="utf-8")
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None, wait_for_index=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()


def _open_changes(page: Any) -> Any:
    page.get_by_role("tab", name="Changes").click()
    view = page.locator("#fp-changes .fp-changes[data-new]")
    view.wait_for(timeout=30_000)
    return view


def _pick(page: Any, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_the_changes_view_shows_two_versions_side_by_side(browser: Any, versions_url: str) -> None:
    page, watch = _open(browser, versions_url)
    view = _open_changes(page)
    # The previous and the current version by default, each heading with its dates.
    assert (
        page.locator("#fp-changes-series input").input_value() == "Acme Privacy Policy (3 versions)"
    )
    assert page.locator("#fp-changes-old input").input_value() == "2020-11-18 to 2021-01-04"
    assert page.locator("#fp-changes-new input").input_value() == "2021-01-04 to now (current)"
    heads = view.locator(".fp-diff-head").all_inner_texts()
    assert heads == [
        "Older version, in force 2020-11-18 to 2021-01-04",
        "Newer version, in force since 2021-01-04 (current)",
    ]
    added = view.locator(".fp-row.fp-added .fp-new ins")
    assert added.count() == 1 and added.is_visible()
    assert added.inner_text() == _ACME_ADDED  # the payload is text
    assert (
        _rect(page, "#fp-changes .fp-added .fp-new")["left"]
        > _rect(page, "#fp-changes .fp-added .fp-old")["right"] - 1
    )  # side by side
    # Unchanged sections are folded, named by their heading.
    folded = view.locator("details.fp-section:not([open]) > summary")
    assert "Retention" in folded.all_inner_texts()[0]
    assert not view.locator("details.fp-section:not([open]) .fp-row").first.is_visible()
    assert "broken capture" not in view.inner_text()

    # The first version against the current one: the edit's words, and the broken capture.
    _pick(page, "fp-changes-old", "2020-07-01 to 2020-11-18")
    page.wait_for_function(
        "() => document.querySelector('#fp-changes .fp-changes')?.dataset.old.includes('07-08')",
        timeout=30_000,
    )
    edited = view.locator(".fp-row.fp-modified")
    assert edited.locator(".fp-old del").all_inner_texts()[-1] == "30"
    assert edited.locator(".fp-new ins").all_inner_texts()[-1] == "60"
    note = view.locator(".fp-changes-note").inner_text()
    assert "A capture recorded on 2020-08-01 is not a version: it was a broken capture" in note
    assert page.locator("#fp-changes img, #fp-changes script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert _axe(page) == []
    assert watch.external == [] and watch.dialogs == []
    page.close()


def test_see_how_this_changed_opens_the_cited_version_and_its_predecessor(
    browser: Any, versions_url: str
) -> None:
    page, _watch = _open(browser, versions_url)
    # Other versions picked first: the link's versions must win over the tab's last pick.
    _open_changes(page)
    _pick(page, "fp-changes-old", "2020-07-01 to 2020-11-18")
    page.wait_for_function(
        "() => document.querySelector('#fp-changes .fp-changes')?.dataset.old.includes('07-08')",
        timeout=30_000,
    )
    page.get_by_role("tab", name="Questions").click()
    ask(page, SHARING_QUESTION, 1)
    link = page.locator("#fp-sources a.fp-see-changes").first
    assert link.inner_text() == "See how this changed"
    link.click()
    view = page.locator("#fp-changes .fp-changes[data-new]")
    view.wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="Changes").get_attribute("aria-selected") == "true"
    assert view.get_attribute("data-new") == f"{SERIES_DIR}/2021-02-01T00-00-00Z.md"
    assert view.get_attribute("data-old") == f"{SERIES_DIR}/2020-11-20T00-00-00Z.md"
    assert page.locator("#fp-changes-old input").input_value() == "2020-11-18 to 2021-01-04"
    # Keyboard and screen-reader users continue from the view's heading.
    page.wait_for_function("() => document.activeElement?.id === 'fp-changes-view'", timeout=5_000)
    assert _in_window(page, "#fp-changes-view")
    assert view.locator(".fp-added ins").inner_text() == _ACME_ADDED
    page.wait_for_timeout(1_500)  # nothing else replaces the followed view
    assert view.get_attribute("data-old") == f"{SERIES_DIR}/2020-11-20T00-00-00Z.md"
    page.close()


def test_links_from_answers_about_two_series_open_each_without_an_error(
    browser: Any, versions_url: str
) -> None:
    page, _watch = _open(browser, versions_url)
    # Gradio's error toasts, and the error badges its status trackers show on components.
    errors = "#fp-changes-pick .error, .toast-body.error"
    ask(page, SHARING_QUESTION, 1)
    page.locator('#fp-sources section[data-turn="1"] a.fp-see-changes').first.click()
    view = page.locator("#fp-changes .fp-changes[data-new]")
    view.wait_for(timeout=30_000)
    assert view.get_attribute("data-new") == f"{SERIES_DIR}/2021-02-01T00-00-00Z.md"
    page.wait_for_timeout(1_000)
    # Back to the chat, a question about the other series, and its link.
    page.get_by_role("tab", name="Questions").click()
    ask(page, GLOBEX_QUESTION, 2)
    link = page.locator('#fp-sources section[data-turn="2"] a.fp-see-changes').first
    assert link.get_attribute("data-doc", timeout=5_000).startswith(GLOBEX_DIR)
    link.click()
    page.wait_for_function(
        "(dir) => document.querySelector('#fp-changes .fp-changes')?.dataset.new?.startsWith(dir)",
        arg=GLOBEX_DIR,
        timeout=30_000,
    )
    page.wait_for_timeout(2_000)  # any late event, and its toast, has come by now
    assert page.locator(errors).count() == 0, page.locator(errors).all_inner_texts()
    assert page.get_by_role("tab", name="Changes").get_attribute("aria-selected") == "true"
    assert view.get_attribute("data-old") == f"{GLOBEX_DIR}/2022-03-01T00-00-00Z.md"
    assert view.get_attribute("data-new") == f"{GLOBEX_DIR}/2022-09-15T00-00-00Z.md"
    assert (
        page.locator("#fp-changes-series input").input_value()
        == "Globex Privacy Policy (2 versions)"
    )
    assert page.locator("#fp-changes-old input").input_value() == "2022-02-20 to 2022-09-12"
    assert page.locator("#fp-changes-new input").input_value() == "2022-09-12 to now (current)"
    page.close()


def test_the_changes_view_on_a_phone(browser: Any, versions_url: str) -> None:
    page, _watch = _open(browser, versions_url, PHONE)
    # The answer's own sources follow it on a phone; their link opens the view too.
    ask(page, SHARING_QUESTION, 1)
    page.locator("#fp-turn-1 .fp-inline-sources a.fp-see-changes").first.click()
    view = page.locator("#fp-changes .fp-changes[data-new]")
    view.wait_for(timeout=30_000)
    page.wait_for_function("() => document.activeElement?.id === 'fp-changes-view'", timeout=5_000)
    assert _in_window(page, "#fp-changes-view")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Stacked: the added sentence takes the screen's width, with no empty older side beside it.
    added = _rect(page, "#fp-changes .fp-added .fp-new")
    assert added["right"] - added["left"] > PHONE["width"] * 0.7
    assert not view.locator(".fp-added .fp-old").is_visible()
    for dropdown in ("fp-changes-series", "fp-changes-old", "fp-changes-new"):
        box = _rect(page, f"#{dropdown}")
        assert box["left"] >= 0 and box["right"] <= PHONE["width"], dropdown
        assert box["right"] - box["left"] > PHONE["width"] * 0.7, dropdown  # one a line
    assert _axe(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-changes.png"))
    page.close()


def test_the_last_version_pick_wins_while_a_comparison_runs(
    browser: Any, versions_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, _watch = _open(browser, versions_url)
    view = _open_changes(page)
    # Every comparison now takes seconds: the second pick comes while the first is computing.
    index = ChangesPage._index

    def slow_index(self: ChangesPage) -> Any:
        time.sleep(SLOW_COMPARE_SECONDS)
        return index(self)

    monkeypatch.setattr(ChangesPage, "_index", slow_index)
    _pick(page, "fp-changes-old", "2020-07-01 to 2020-11-18")
    page.wait_for_timeout(300)  # the first comparison is on its way
    _pick(page, "fp-changes-new", "2020-11-18 to 2021-01-04")
    assert page.locator("#fp-changes-old input").input_value() == "2020-07-01 to 2020-11-18"
    assert page.locator("#fp-changes-new input").input_value() == "2020-11-18 to 2021-01-04"
    # The view ends on the pair the drop-downs show, and stays there.
    wanted = (f"{SERIES_DIR}/2020-07-08T00-00-00Z.md", f"{SERIES_DIR}/2020-11-20T00-00-00Z.md")
    deadline = time.monotonic() + 4 * SLOW_COMPARE_SECONDS + 20
    shown: tuple[str | None, ...] = ()
    while time.monotonic() < deadline:
        shown = (view.get_attribute("data-old"), view.get_attribute("data-new"))
        if shown == wanted:
            break
        page.wait_for_timeout(250)
    assert shown == wanted
    page.wait_for_timeout(int(1_500 * SLOW_COMPARE_SECONDS))
    assert (view.get_attribute("data-old"), view.get_attribute("data-new")) == wanted
    edited = view.locator(".fp-row.fp-modified")
    assert edited.locator(".fp-old del").all_inner_texts()[-1] == "30"
    assert edited.locator(".fp-new ins").all_inner_texts()[-1] == "60"
    page.close()


def _source_card(page: Any, turn: int) -> Any:
    return page.locator(f'#fp-sources section[data-turn="{turn}"] article.fp-doc').first


def test_an_as_of_date_answers_from_the_version_then_in_force(
    browser: Any, versions_url: str
) -> None:
    page, watch = _open(browser, versions_url)
    page.get_by_text("Filters (apply to the next question)").click()
    as_of = page.get_by_label("As of")
    as_of.fill("2020-09")
    ask(page, RETENTION_QUESTION, 1)
    panel = page.locator('#fp-sources section[data-turn="1"]')
    assert "as of 2020-09" in panel.locator(".fp-filters").inner_text()
    card = _source_card(page, 1)
    meta = card.locator(".fp-meta").inner_text()
    assert "2020-07-01 to 2020-11-18 (superseded)" in meta
    assert "30 days" in " ".join(card.locator("mark.fp-quote").all_inner_texts())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desktop-as-of.png"))

    # Without the date, the same question is answered from the current version.
    as_of.fill("")
    ask(page, RETENTION_QUESTION, 2)
    current = _source_card(page, 2)
    assert "since 2021-01-04 (current)" in current.locator(".fp-meta").inner_text()
    assert "60 days" in " ".join(current.locator("mark.fp-quote").all_inner_texts())

    # A date the field cannot read gets a message in the question's language, and no answer.
    as_of.fill("Desember 2020")
    page.locator("#fp-question textarea").fill("Berapa lama Acme menyimpan pesan?")
    page.locator("#fp-ask").click()
    message = page.locator("#fp-turn-3 .fp-message")
    message.wait_for(timeout=30_000)
    assert message.inner_text().startswith("Mohon perbaiki filter: “Per tanggal” harus")
    assert _axe(page) == []
    assert watch.external == [] and watch.dialogs == []
    page.close()
