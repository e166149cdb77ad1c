"""The web app end to end through its API: a real server, real embeddings, real Chroma.

A tiny corpus is written to a temporary folder, ``serve`` indexes it and starts Gradio on a
free 127.0.0.1 port in this process, and questions are asked through ``gradio_client``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError
from pydantic import SecretStr
from web_docs import CONTACTS_SENTENCE, WEB_DOCS

from qa.index.ingest import prepare_index
from qa.settings import Settings
from qa.ui.server import serve

if TYPE_CHECKING:
    from conftest import FreePort

CONTACTS_QUESTION = "Is my contact list shared with Facebook?"
CONCURRENT_QUESTIONS = 6
DOCS = {
    **WEB_DOCS,
    "whatsapp-update.md": """---
title: WhatsApp privacy policy update
publisher: WhatsApp LLC
kind: policy
language: en
document_date: 2021-01-04
---

# Effective date

The updated WhatsApp privacy policy takes effect on 8 February 2021. After that date you must
accept the new terms to keep using WhatsApp.
""",
}


def write_corpus(folder: Path, docs: dict[str, str]) -> Path:
    """Write ``docs`` (file name -> text) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def app_settings(root: Path, port: int, **changes: Any) -> Settings:
    """Settings for a throwaway app on ``port``: local, offline answers, no login unless given."""
    fields: dict[str, Any] = {
        "corpus_dir": root / "corpus",
        "index_dir": root / "index",
        "embedding_model": "multilingual-e5-small",
        "host": "127.0.0.1",
        "port": port,
        "concurrency": 2,
        "auth_user": None,
        "auth_password": None,
        "llm_base_url": None,
    }
    fields.update(changes)
    return Settings(**fields)


@dataclass
class RunningApp:
    """A server started by the fixture."""

    url: str
    settings: Settings
    log: list[str]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, free_port: FreePort) -> Iterator[RunningApp]:
    """``serve`` over ``DOCS`` on a free 127.0.0.1 port, in this process, for the module."""
    root = tmp_path_factory.mktemp("web-api")
    write_corpus(root / "corpus", DOCS)
    settings = app_settings(root, free_port())
    log: list[str] = []
    demo = serve(settings, prevent_thread_lock=True, echo=log.append, wait_for_index=True)
    try:
        yield RunningApp(f"http://127.0.0.1:{settings.port}/", settings, log)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(app: RunningApp) -> Client:
    """A ``gradio_client`` connected to the module's app (one conversation for all its uses)."""
    return Client(app.url, verbose=False)


def _ask(client: Client, question: str, **filters: str) -> tuple[str, str]:
    """Ask through the chat's endpoint; the conversation and sources panel HTML come back.

    The conversation is kept per client session: a new ``Client`` starts a new one.
    """
    values = dict.fromkeys(("publisher", "kind", "language", "date_from", "date_to", "as_of"), "")
    values.update(filters)
    chat, sources, _box, _welcome = client.predict(question, *values.values(), api_name="/ask")
    return chat, sources


def _fresh(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


def test_first_start_builds_the_index_with_progress(app: RunningApp) -> None:
    assert any(line.startswith("  [1/3]") for line in app.log)
    assert any("3 added" in line for line in app.log)


def test_a_restart_reuses_the_index(app: RunningApp) -> None:
    report = prepare_index(app.settings, echo=lambda _line: None)
    assert report is not None
    assert len(report.unchanged) == len(DOCS)
    assert report.passages_embedded == 0


def test_skipped_files_do_not_stop_the_start(tmp_path: Path, free_port: FreePort) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"signal-policy.md": DOCS["signal-policy.md"]})
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    log: list[str] = []
    report = prepare_index(app_settings(tmp_path, free_port()), echo=log.append)
    assert report is not None
    assert report.added == ["signal-policy.md"]
    assert sorted(s.doc_id for s in report.skipped) == ["broken.pdf", "empty.md"]
    assert sum(line.startswith("  skipped ") for line in log) == 2
    assert log[-1].startswith("index ready: 1 added")


def test_answer_cites_a_source(app: RunningApp) -> None:
    chat, sources = _ask(_fresh(app), CONTACTS_QUESTION)
    assert chat.count('class="fp-turn"') == 1
    assert 'class="fp-cite" href="#fp-t1-source-1"' in chat
    assert 'id="fp-t1-source-1"' in sources
    assert "WhatsApp and your contacts" in sources
    assert f'<mark class="fp-quote">{CONTACTS_SENTENCE}</mark>' in sources
    assert 'href="https://www.whatsapp.com/contacts-statement"' in sources


def test_indonesian_question_finds_the_english_evidence(app: RunningApp) -> None:
    chat, sources = _ask(_fresh(app), "Apakah daftar kontak saya dibagikan ke Facebook?")
    assert "fp-cite" in chat
    assert "WhatsApp and your contacts" in sources
    assert "Penerbit" in sources  # the labels follow the answer's language


def test_history_is_kept_and_each_answer_has_its_own_sources(app: RunningApp) -> None:
    client = _fresh(app)
    _ask(client, CONTACTS_QUESTION)
    chat, sources = _ask(client, "What does Signal store about me?")
    assert chat.count('class="fp-turn"') == 2
    assert 'href="#fp-t2-source-1"' in chat and 'href="#fp-t1-source-1"' in chat
    first, second = sources.split('data-turn="2"', 1)
    assert "WhatsApp and your contacts" in first and "Signal Privacy Policy" not in first
    assert "Signal Privacy Policy" in second and "WhatsApp and your contacts" not in second


def test_filters_apply_to_the_question(app: RunningApp) -> None:
    _chat, sources = _ask(_fresh(app), CONTACTS_QUESTION, kind="policy")
    assert "Filters: kind = policy" in sources
    assert "WhatsApp and your contacts" not in sources


def test_bad_filters_get_a_message(app: RunningApp) -> None:
    chat, _sources = _ask(_fresh(app), CONTACTS_QUESTION, date_from="last week")
    assert "Please fix the filters: “Dated from” must be a date" in chat
    assert "date_from" not in chat


def test_an_over_long_question_gets_a_message(app: RunningApp) -> None:
    chat, sources = _ask(_fresh(app), "why " * app.settings.max_question_chars)
    assert "too long" in chat
    assert "<article" not in sources


def test_json_endpoint_returns_the_typed_result(client: Client) -> None:
    result = client.predict(CONTACTS_QUESTION, api_name="/answer")
    assert not result["abstained"]
    assert result["citations"][0]["source"]["title"] == "WhatsApp and your contacts"
    assert result["citations"][0]["quote"] == CONTACTS_SENTENCE


def test_json_endpoint_answers_as_of_a_date(client: Client) -> None:
    result = client.predict(CONTACTS_QUESTION, as_of="2021-02", api_name="/answer")
    assert result["citations"][0]["quote"] == CONTACTS_SENTENCE
    assert any("2021-02" in note for note in result["notes"])
    with pytest.raises(AppError, match="“As of” must be a year, month or day"):
        client.predict(CONTACTS_QUESTION, as_of="next week", api_name="/answer")


def test_the_chat_says_its_as_of_date(app: RunningApp) -> None:
    _chat, sources = _ask(_fresh(app), CONTACTS_QUESTION, as_of="2021-02")
    assert "Filters: as of 2021-02" in sources
    chat, _sources = _ask(_fresh(app), CONTACTS_QUESTION, as_of="Feb 2021")
    assert "Please fix the filters: “As of” must be a year, month or day" in chat


def test_concurrent_questions_are_all_answered(app: RunningApp) -> None:
    def ask(_n: int) -> str:
        chat, _sources = _ask(Client(app.url, verbose=False), CONTACTS_QUESTION)
        return chat

    with ThreadPoolExecutor(CONCURRENT_QUESTIONS) as pool:
        answers = list(pool.map(ask, range(CONCURRENT_QUESTIONS)))
    assert all("fp-cite" in answer for answer in answers)


def test_a_login_is_enforced_when_configured(app: RunningApp, free_port: FreePort) -> None:
    settings = app.settings.override(
        port=free_port(), auth_user="reader", auth_password=SecretStr("s3cret")
    )
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None)
    try:
        url = f"http://127.0.0.1:{settings.port}/"
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False)
        with pytest.raises(ValueError, match="login"):
            Client(url, auth=("reader", "wrong"), verbose=False)
        result = Client(url, auth=("reader", "s3cret"), verbose=False).predict(
            CONTACTS_QUESTION, api_name="/answer"
        )
        assert result["citations"]
        # Before the login, nothing about the index: no publisher, title or document count.
        login_page = httpx.get(url, timeout=30).text
        for known in ("WhatsApp LLC", "WhatsApp privacy policy update", "indexed."):
            assert known not in login_page
        assert _upload(url).status_code == 403
    finally:
        demo.close()


def _upload(url: str) -> httpx.Response:
    files = {"files": ("notes.md", b"# Notes\nAn uploaded file.\n", "text/markdown")}
    return httpx.post(f"{url}gradio_api/upload", files=files, timeout=30)


def test_no_route_accepts_uploads(app: RunningApp) -> None:
    response = _upload(app.url)
    assert response.status_code == 403
    assert "no uploads" in response.text
    video = {"video": ("v.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")}
    recording = httpx.post(f"{app.url}gradio_api/process_recording", files=video, timeout=30)
    assert recording.status_code == 403
    # Any multipart body is a file on its way in, whatever the route.
    other = httpx.post(f"{app.url}gradio_api/queue/join", files=video, timeout=30)
    assert other.status_code == 403


def test_the_route_list_is_not_served(app: RunningApp) -> None:
    for path in ("openapi.json", "docs", "redoc"):
        assert httpx.get(f"{app.url}{path}", timeout=30).status_code == 404


def test_the_served_html_carries_no_index_metadata(app: RunningApp) -> None:
    # The page's load event brings it (tests/test_browser.py sees it arrive).
    page = httpx.get(app.url, timeout=30).text
    assert "WhatsApp LLC" not in page
    assert "documents are indexed" not in page
