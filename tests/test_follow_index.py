"""A running server follows its index, and an index has one writer at a time.

Real processes throughout: the server runs in this process on a free 127.0.0.1 port and is asked
through ``gradio_client``; every change to the index is made by a separate ``fineprint ingest``
process, as a user leaving ``fineprint serve`` running would. The corpus is
``../shared/cases/serve-while-ingest``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from gradio_client import Client

from qa.errors import IndexBusyError
from qa.index.ingest import ingest, writer_lock
from qa.settings import Settings
from qa.ui.server import serve

if TYPE_CHECKING:
    from conftest import FreePort

CASE = "serve-while-ingest"
RETENTION_QUESTION = "How long are support chat logs kept?"
COOKIE_QUESTION = "When does the rowan_session cookie expire?"
COOKIE_FILE = "rowan-cookies.md"
OLD_RETENTION, NEW_RETENTION = "for 30 days", "for 90 days"
# A subprocess waiting on the lock has had time to import everything and say so.
WAIT_SECONDS = 60


@dataclass
class FollowingApp:
    """A served copy of the case's corpus, and how to change it from another process."""

    client: Client
    settings: Settings
    case_dir: Path

    def ask(self, question: str) -> dict[str, Any]:
        """The typed result of ``question`` from the running server (``/answer``)."""
        return dict(self.client.predict(question, api_name="/answer"))

    def ingest(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``fineprint ingest`` on the served corpus and index in a separate process."""
        return run_ingest(self.settings, *extra)


def ingest_command(settings: Settings, *extra: str) -> list[str]:
    """The ``fineprint ingest`` command line for ``settings``' corpus, index and chunking."""
    return [
        sys.executable,
        "-m",
        "qa.cli",
        "ingest",
        "--corpus",
        str(settings.corpus_dir),
        "--index",
        str(settings.index_dir),
        "--chunk-size",
        str(settings.chunk_size),
        *extra,
    ]


def run_ingest(settings: Settings, *extra: str) -> subprocess.CompletedProcess[str]:
    """``fineprint ingest`` for ``settings``' corpus and index, as its own process."""
    command = ingest_command(settings, *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def quotes(result: dict[str, Any]) -> list[str]:
    """The quoted sentences of a result."""
    return [citation["quote"] for citation in result["citations"]]


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, free_port: FreePort
) -> Iterator[FollowingApp]:
    """``serve`` over a copy of the case's ``docs/``, for the module."""
    case_dir = shared_dir / "cases" / CASE
    root = tmp_path_factory.mktemp("follow")
    corpus = shutil.copytree(case_dir / "docs", root / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", port=free_port())
    demo = serve(settings, prevent_thread_lock=True, echo=lambda _line: None)
    try:
        client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
        yield FollowingApp(client, settings, case_dir)
    finally:
        demo.close()


def test_the_server_follows_ingests_made_by_another_process(app: FollowingApp) -> None:
    # The scenario of the case's README, in its order: edit + add, then remove.
    before = app.ask(RETENTION_QUESTION)
    assert any(OLD_RETENTION in quote for quote in quotes(before))

    policy = app.settings.corpus_dir / "rowan-privacy.md"
    policy.write_text(policy.read_text().replace(OLD_RETENTION, NEW_RETENTION))
    shutil.copy(app.case_dir / COOKIE_FILE, app.settings.corpus_dir / COOKIE_FILE)
    added = app.ingest()
    assert added.returncode == 0, added.stderr

    changed = app.ask(RETENTION_QUESTION)
    assert any(NEW_RETENTION in quote for quote in quotes(changed))
    assert not any(OLD_RETENTION in quote for quote in quotes(changed))
    cookie = app.ask(COOKIE_QUESTION)
    assert not cookie["abstained"]
    assert any("two hours" in quote for quote in quotes(cookie))
    assert {c["source"]["doc_id"] for c in cookie["citations"]} == {COOKIE_FILE}

    (app.settings.corpus_dir / COOKIE_FILE).unlink()
    removed = app.ingest()
    assert removed.returncode == 0, removed.stderr

    gone = app.ask(COOKIE_QUESTION)
    cited = {c["source"]["doc_id"] for c in gone["citations"]}
    shown = {p["source"]["doc_id"] for p in gone["passages"]}
    assert COOKIE_FILE not in cited | shown
    # Unrelated questions keep working after a removal.
    assert any(NEW_RETENTION in quote for quote in quotes(app.ask(RETENTION_QUESTION)))


def test_a_second_ingest_refuses_while_one_writes(indexed: Settings) -> None:
    lock = writer_lock(indexed.index_dir)
    with lock:
        refused = run_ingest(indexed)
        with pytest.raises(IndexBusyError, match="--wait"):
            ingest(indexed)
    assert refused.returncode == 1
    assert "Error: another 'fineprint ingest' is writing" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Once the writer is done, the same command goes through.
    assert run_ingest(indexed).returncode == 0


def test_a_second_ingest_with_wait_waits_for_the_first(indexed: Settings) -> None:
    lock = writer_lock(indexed.index_dir)
    lock.acquire()
    try:
        waiting = subprocess.Popen(
            ingest_command(indexed, "--wait"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        said: list[str] = []
        for line in waiting.stderr:
            said.append(line)
            if "waiting for it" in line:
                break
        assert any("waiting for it" in line for line in said), said
        time.sleep(0.5)
        assert waiting.poll() is None, "the second ingest must wait while the lock is held"
    finally:
        lock.release()
    out, err = waiting.communicate(timeout=WAIT_SECONDS)
    assert waiting.returncode == 0, err
    assert "unchanged" in out


def test_readers_are_not_blocked_by_a_writer(indexed: Settings) -> None:
    from qa.answer.chain import AnswerChain

    with writer_lock(indexed.index_dir):
        result = AnswerChain.from_settings(indexed).invoke("How long are backups kept?")
    assert result.passages
