"""Incremental ingest into a real Chroma store with real embeddings.

The only fakes are the crashes: ``crash_after`` and ``crash_between_collections`` make a store or
manifest write raise part-way, as a killed process would stop there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from qa.errors import CorpusError, IndexMismatchError
from qa.index.chunking import chunk_document
from qa.index.ingest import EMBED_BATCH, NO_TEXT, IngestReport, ingest
from qa.index.manifest import Manifest
from qa.index.store import PassageStore
from qa.load import load_file
from qa.settings import Settings

if TYPE_CHECKING:
    from conftest import BuiltIndex, CorpusDocs, WriteFile


class SimulatedCrash(RuntimeError):
    """Raised by the crash fakes; ingest must not catch it, as it could not catch a kill."""


def crash_after(monkeypatch: pytest.MonkeyPatch, owner: type, name: str, calls: int) -> None:
    """Make ``owner.name`` do its real work ``calls`` times, then crash right after the next one.

    The ``calls + 1``-th call completes (its data is written) and then raises, which is the
    worst moment to die: the write happened, whatever was meant to follow it did not.
    """
    real = getattr(owner, name)
    seen = {"calls": 0}

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        seen["calls"] += 1
        if seen["calls"] > calls:
            raise SimulatedCrash(f"simulated crash after {name} call {seen['calls']}")
        return result

    monkeypatch.setattr(owner, name, crashing)


TINY_CORPUS = {
    "a-cookies.md": "---\ntitle: Cookies\n---\n## Cookies\nWe set one cookie to stay signed in.\n",
    "b-contacts.txt": "Kami tidak membagikan daftar kontak Anda.\n",
    "c-retention.md": "## Retention\nWe delete server logs after thirty days.\n",
    "d-sharing.txt": "We never sell your data to anyone.\n",
}
TINY_IDS = sorted(TINY_CORPUS)


@pytest.fixture
def tiny(
    tmp_path: Path, index_dir: Path, settings_for: Callable[..., Settings], write_file: WriteFile
) -> Settings:
    """Settings for four one-sentence documents and a fresh index: quick to embed in full."""
    for name, text in TINY_CORPUS.items():
        write_file(tmp_path / "tiny" / name, text)
    return settings_for(tmp_path / "tiny", index_dir)


def _store(settings: Settings) -> PassageStore:
    return PassageStore.open(settings.index_dir)


def _texts(settings: Settings, doc_id: str) -> list[str]:
    """The stored passage texts of ``doc_id``, in document order."""
    passages = _store(settings).all_passages()
    return [p.page_content for p in passages if p.metadata["doc_id"] == doc_id]


def assert_index_matches_corpus(settings: Settings, expected_doc_ids: list[str]) -> None:
    """The index holds exactly the passages of ``expected_doc_ids``: none twice, none missing."""
    store = _store(settings)
    manifest = store.manifest
    passages = store.all_passages()
    ids = [p.id for p in passages]

    assert not manifest.ingest_in_progress
    assert sorted(manifest.documents) == sorted(expected_doc_ids)
    assert len(ids) == len(set(ids)), "duplicate passage ids"
    assert store.count() == sum(entry.passages for entry in manifest.documents.values())
    per_doc = Counter(p.metadata["doc_id"] for p in passages)
    assert sorted(per_doc) == sorted(expected_doc_ids)
    for doc_id in expected_doc_ids:
        path = settings.corpus_dir / doc_id
        document = load_file(path, doc_id)
        expected = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
        stored = sorted(
            (p for p in passages if p.metadata["doc_id"] == doc_id),
            key=lambda p: p.metadata["passage_index"],
        )
        assert [p.page_content for p in stored] == [p.page_content for p in expected], doc_id
        assert manifest.documents[doc_id].content_hash == document.metadata["content_hash"]
        assert manifest.documents[doc_id].passages == per_doc[doc_id]
        sentences, vectors = store.sentences_of([doc_id])
        assert sentences and len(vectors) == len(sentences), doc_id


# --- the incremental cycle ---------------------------------------------------------------------


def test_first_ingest_adds_every_document(built_index: BuiltIndex, docs: CorpusDocs) -> None:
    report, settings = built_index.report, built_index.settings

    assert report.added == docs.all
    assert report.updated == report.unchanged == report.removed == []
    assert report.skipped == []
    assert built_index.progress == [(i, 5, doc_id) for i, doc_id in enumerate(docs.all, start=1)]
    assert report.passages_embedded == _store(settings).count() >= len(docs.all)
    assert report.summary().startswith(
        "5 added, 0 updated, 0 unchanged, 0 removed, 0 skipped, 0 copies; "
    )
    assert_index_matches_corpus(settings, docs.all)


def test_passages_carry_their_metadata_into_the_store(indexed: Settings, docs: CorpusDocs) -> None:
    passages = {p.id: p for p in _store(indexed).all_passages()}

    policy = passages[f"{docs.policy}#1"]
    assert policy.metadata["section"] == "Information We Collect > Information You Provide"
    assert policy.metadata["document_date"] == "2021-01-04"
    assert policy.metadata["language"] == "en"
    assert passages[f"{docs.indonesian}#0"].metadata["language"] == "id"
    assert passages[f"{docs.report}#0"].metadata["page"] == 1


def test_stored_vectors_are_real_embeddings(indexed: Settings, docs: CorpusDocs) -> None:
    from qa.index.embeddings import get_embeddings

    vector = get_embeddings(indexed.embedding_model).embed_query(
        "How long are support tickets kept?"
    )

    best = _store(indexed).search(vector, k=1)[0]

    assert best.passage.metadata["doc_id"] == docs.notes
    assert 0.5 < best.score <= 1.0


def test_second_run_embeds_nothing(indexed: Settings, docs: CorpusDocs) -> None:
    before = _store(indexed)
    ids_before, generation = [p.id for p in before.all_passages()], before.manifest.generation

    report = ingest(indexed)

    assert report.unchanged == docs.all
    assert report.added == report.updated == report.removed == []
    assert report.skipped == []
    assert report.passages_embedded == 0
    after = _store(indexed)
    assert [p.id for p in after.all_passages()] == ids_before
    assert after.manifest.generation == generation
    assert_index_matches_corpus(indexed, docs.all)


def test_changed_document_is_replaced(indexed: Settings, docs: CorpusDocs) -> None:
    path = indexed.corpus_dir / docs.notes
    path.write_text(path.read_text().replace("two years", "five years"))

    report = ingest(indexed)

    assert report.updated == [docs.notes]
    assert report.unchanged == [d for d in docs.all if d != docs.notes]
    assert report.added == report.removed == []
    assert report.passages_embedded == len(_texts(indexed, docs.notes)) > 0
    assert not any("two years" in text for text in _texts(indexed, docs.notes))
    assert any("five years" in text for text in _texts(indexed, docs.notes))
    sentences, _ = _store(indexed).sentences_of([docs.notes])
    assert not any("two years" in s.page_content for s in sentences)
    assert_index_matches_corpus(indexed, docs.all)


def test_shrunk_document_leaves_no_stale_passages(indexed: Settings, docs: CorpusDocs) -> None:
    assert len(_texts(indexed, docs.policy)) == 4
    path = indexed.corpus_dir / docs.policy
    path.write_text(path.read_text().split("### Automatically")[0])

    report = ingest(indexed)

    assert report.updated == [docs.policy]
    assert len(_texts(indexed, docs.policy)) == 2
    assert not any("IP address" in text for text in _texts(indexed, docs.policy))
    assert_index_matches_corpus(indexed, docs.all)


def test_deleted_document_is_removed(indexed: Settings, docs: CorpusDocs) -> None:
    (indexed.corpus_dir / docs.cookies).unlink()

    report = ingest(indexed)

    assert report.removed == [docs.cookies]
    assert report.unchanged == [d for d in docs.all if d != docs.cookies]
    assert report.passages_embedded == 0
    assert _texts(indexed, docs.cookies) == []
    assert _store(indexed).sentences_of([docs.cookies]) == ([], [])
    assert_index_matches_corpus(indexed, [d for d in docs.all if d != docs.cookies])


def test_new_document_is_added(indexed: Settings, docs: CorpusDocs, write_file: WriteFile) -> None:
    new_id = "policies/beta-terms.md"
    write_file(
        indexed.corpus_dir / new_id,
        "---\ntitle: Beta Terms\nkind: terms\n---\n## Accounts\nYou must be 13 or older.\n",
    )

    report = ingest(indexed)

    assert report.added == [new_id]
    assert report.unchanged == docs.all
    assert report.passages_embedded == 1
    assert _texts(indexed, new_id) == ["You must be 13 or older."]
    assert_index_matches_corpus(indexed, sorted([*docs.all, new_id]))


def test_missing_corpus_folder_is_an_error(
    tmp_path: Path, index_dir: Path, settings_for: Callable[..., Settings]
) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        ingest(settings_for(tmp_path / "nowhere", index_dir))

    assert not index_dir.exists()


# --- settings that do not match the index ------------------------------------------------------


def test_chunk_size_change_is_refused_until_rebuild(indexed: Settings, docs: CorpusDocs) -> None:
    count = _store(indexed).count()
    bigger = indexed.override(chunk_size=400)

    with pytest.raises(IndexMismatchError) as caught:
        ingest(bigger)

    message = str(caught.value)
    assert "--rebuild" in message
    assert "chunk size 300" in message and "chunk size 400" in message
    assert _store(indexed).count() == count
    assert _store(indexed).manifest.config.chunk_size == 300

    report = ingest(bigger, rebuild=True)

    assert report.added == docs.all
    assert _store(bigger).manifest.config.chunk_size == 400
    assert_index_matches_corpus(bigger, docs.all)
    assert ingest(bigger).unchanged == docs.all


def test_embedding_model_change_is_refused(indexed: Settings, docs: CorpusDocs) -> None:
    with pytest.raises(IndexMismatchError) as caught:
        ingest(indexed.override(embedding_model="all-MiniLM-L6-v2"))

    message = str(caught.value)
    assert "--rebuild" in message
    assert "multilingual-e5-small" in message and "all-MiniLM-L6-v2" in message
    assert _store(indexed).manifest.config.embedding_model == "multilingual-e5-small"
    # Another name for the same model is not a change.
    alias = ingest(indexed.override(embedding_model="intfloat/multilingual-e5-small"))
    assert alias.unchanged == docs.all
    assert_index_matches_corpus(indexed, docs.all)


def test_rebuild_twice_in_one_process(tiny: Settings) -> None:
    first = ingest(tiny, rebuild=True)
    second = ingest(tiny, rebuild=True)

    assert first.added == second.added == TINY_IDS
    assert_index_matches_corpus(tiny, TINY_IDS)


# --- interrupted ingests -----------------------------------------------------------------------


def test_crash_after_storing_passages_before_the_manifest(
    tiny: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documents 1 and 2 reach the store; the manifest never hears of document 2.
    crash_after(monkeypatch, PassageStore, "replace_document", calls=1)
    with pytest.raises(SimulatedCrash):
        ingest(tiny)
    monkeypatch.undo()
    manifest = Manifest.read(tiny.index_dir)
    assert manifest is not None and manifest.ingest_in_progress
    assert sorted(manifest.documents) == TINY_IDS[:1]
    assert _store(tiny).stored_doc_ids() == set(TINY_IDS[:2])

    report = ingest(tiny)

    assert report.unchanged == TINY_IDS[:1]
    assert report.added == TINY_IDS[1:]
    assert_index_matches_corpus(tiny, TINY_IDS)


def test_crash_while_updating_documents(
    indexed: Settings, docs: CorpusDocs, monkeypatch: pytest.MonkeyPatch
) -> None:
    for doc_id, old, new in (
        (docs.notes, "two years", "five years"),
        (docs.policy, "thirty days", "ten days"),
    ):
        path = indexed.corpus_dir / doc_id
        path.write_text(path.read_text().replace(old, new))
    crash_after(monkeypatch, PassageStore, "replace_document", calls=0)
    with pytest.raises(SimulatedCrash):
        ingest(indexed)
    monkeypatch.undo()

    report = ingest(indexed)

    assert sorted(report.added + report.updated) == sorted([docs.notes, docs.policy])
    assert not any("two years" in text for text in _texts(indexed, docs.notes))
    assert not any("thirty days" in text for text in _texts(indexed, docs.policy))
    assert any("ten days" in text for text in _texts(indexed, docs.policy))
    assert_index_matches_corpus(indexed, docs.all)


@pytest.mark.parametrize("writes_before_crash", [1, 2, 4])
def test_crash_when_a_manifest_write_fails(
    tiny: Settings, monkeypatch: pytest.MonkeyPatch, writes_before_crash: int
) -> None:
    crash_after(monkeypatch, Manifest, "write", calls=writes_before_crash)
    with pytest.raises(SimulatedCrash):
        ingest(tiny)
    monkeypatch.undo()

    report = ingest(tiny)

    assert sorted(report.added + report.unchanged) == TINY_IDS
    assert report.added
    assert_index_matches_corpus(tiny, TINY_IDS)


def test_crash_between_sentences_and_passages_leaves_no_orphans(
    tiny: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = PassageStore.replace_document

    def crash_between_collections(
        self: PassageStore, doc_id: str, passages: list, vectors: list, *rest: Any, **kw: Any
    ) -> None:
        real(self, doc_id, [], [], *rest, **kw)  # the sentences are written, the passages not yet
        raise SimulatedCrash("simulated crash between the two collections")

    monkeypatch.setattr(PassageStore, "replace_document", crash_between_collections)
    with pytest.raises(SimulatedCrash):
        ingest(tiny)
    monkeypatch.undo()
    first = TINY_IDS[0]
    assert _store(tiny).sentences_of([first])[0]
    (tiny.corpus_dir / first).unlink()

    ingest(tiny)

    assert _store(tiny).sentences_of([first]) == ([], [])
    assert_index_matches_corpus(tiny, TINY_IDS[1:])


# --- bad files ---------------------------------------------------------------------------------


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(
    tiny: Settings, write_file: WriteFile, broken_pdf: bytes
) -> None:
    bad = {
        "bad/binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        "bad/empty.txt": (b"", "empty file"),
        "bad/latin1.txt": ("Caf\u00e9 receipts are kept.".encode("latin-1"), "not valid UTF-8"),
        "bad/broken.pdf": (broken_pdf, "broken PDF"),
        "bad/unclosed.md": (b"---\ntitle: Draft\nWe keep logs.\n", "no closing '---'"),
        "bad/slides.pptx": (b"PK\x03\x04", "unsupported file type '.pptx'"),
    }
    for doc_id, (data, _) in bad.items():
        write_file(tiny.corpus_dir / doc_id, data)

    report = ingest(tiny)

    reasons = {s.doc_id: s.reason for s in report.skipped}
    assert sorted(reasons) == sorted(bad)
    for doc_id, (_, reason) in bad.items():
        assert reason in reasons[doc_id], doc_id
    assert report.added == TINY_IDS
    assert_index_matches_corpus(tiny, TINY_IDS)
    # Skipped files are reported again on every run, not silently forgotten.
    again = ingest(tiny)
    assert sorted(s.doc_id for s in again.skipped) == sorted(bad)
    assert again.unchanged == TINY_IDS


def test_a_document_that_turns_bad_keeps_its_indexed_version(
    indexed: Settings, docs: CorpusDocs
) -> None:
    before = _texts(indexed, docs.notes)
    (indexed.corpus_dir / docs.notes).write_bytes("Caf\u00e9".encode("latin-1"))

    report: IngestReport = ingest(indexed)

    assert [s.doc_id for s in report.skipped] == [docs.notes]
    assert "not valid UTF-8" in report.skipped[0].reason
    assert "previously indexed version is kept" in report.skipped[0].reason
    assert _texts(indexed, docs.notes) == before
    assert docs.notes in _store(indexed).manifest.documents


# --- every file accounted for ------------------------------------------------------------------


def test_every_entry_of_the_corpus_is_reported(tiny: Settings, write_file: WriteFile) -> None:
    write_file(tiny.corpus_dir / "headings.md", "# Title\n\n## Section\n\n### Another\n")
    (tiny.corpus_dir / "loop").symlink_to(tiny.corpus_dir)
    (tiny.corpus_dir / "gone.md").symlink_to(tiny.corpus_dir / "nowhere.md")
    write_file(tiny.corpus_dir / ".notes.md", "Hidden files are editor files, not documents.\n")

    report = ingest(tiny)

    reasons = {s.doc_id: s.reason for s in report.skipped}
    assert sorted(reasons) == ["gone.md", "headings.md", "loop/"]
    assert reasons["headings.md"] == NO_TEXT
    assert reasons["loop/"].startswith("symbolic link loop")
    assert reasons["gone.md"].startswith("broken symbolic link")
    assert report.added == TINY_IDS
    assert_index_matches_corpus(tiny, TINY_IDS)


def test_a_document_emptied_to_headings_loses_its_old_text(tiny: Settings) -> None:
    ingest(tiny)
    (tiny.corpus_dir / "c-retention.md").write_text("## Retention\n\n### Logs\n")

    report = ingest(tiny)

    assert [s.doc_id for s in report.skipped] == ["c-retention.md"]
    assert "previously indexed version was removed" in report.skipped[0].reason
    assert_index_matches_corpus(tiny, [d for d in TINY_IDS if d != "c-retention.md"])


def test_progress_is_reported_inside_a_large_document(tiny: Settings) -> None:
    # Over EMBED_BATCH passages, so the document needs several batches whatever is embedded.
    sentences = " ".join(f"Record {n} is kept for {n} days after it is made." for n in range(500))
    (tiny.corpus_dir / "e-long.txt").write_text(f"Long retention list\n{sentences}\n")
    calls: list[tuple[int, int, str]] = []

    ingest(tiny, embed_progress=lambda done, total, doc_id: calls.append((done, total, doc_id)))

    long_calls = [(done, total) for done, total, doc_id in calls if doc_id == "e-long.txt"]
    assert len(long_calls) >= 2
    dones = [done for done, _ in long_calls]
    assert dones == sorted(dones) and dones[0] == EMBED_BATCH
    assert long_calls[-1][0] == long_calls[-1][1] > EMBED_BATCH


def test_a_folder_that_cannot_be_listed_keeps_what_was_indexed(
    tiny: Settings, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tiny.corpus_dir / "sub" / "e.md", "## Invoices\nWe keep invoices for ten years.\n")
    write_file(tiny.corpus_dir / "locked" / "f.md", "## Locked\nThis file cannot be read.\n")
    ingest(tiny)
    real_iterdir, real_is_symlink = Path.iterdir, Path.is_symlink

    def iterdir(self: Path) -> Any:
        if self.name == "sub":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    def is_symlink(self: Path) -> bool:
        # A folder that can be listed but not entered: its entries cannot even be looked at.
        if self.parent.name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_is_symlink(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "is_symlink", is_symlink)

    report = ingest(tiny)

    reasons = {s.doc_id: s.reason for s in report.skipped}
    assert reasons == {
        "sub/": "cannot list folder: Permission denied",
        "locked/f.md": "cannot read: Permission denied",
    }
    assert report.removed == []
    documents = _store(tiny).manifest.documents
    assert "sub/e.md" in documents and "locked/f.md" in documents
