"""The side index (``qa.index.side``): persisted BM25, documents and words beside Chroma.

A warm start reads no passage out of Chroma; ingest changes only the documents it changes;
a side file of another build or an older generation is brought up to date from Chroma (once);
a catalog keeps its snapshot while an ingest writes; and the persisted catalog answers as the
in-memory one did (same documents, words, acronyms, versions and top lexical hits).
"""

from __future__ import annotations

import gc
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.documents import Document

import qa.retrieve.catalog as catalog_module
from qa.index.ingest import ingest
from qa.index.location import ServerIndex
from qa.index.side import SideIndex
from qa.index.store import PassageStore
from qa.retrieve.catalog import Catalog, catalog_of
from qa.retrieve.fts import PersistedLexicalIndex
from qa.retrieve.lexical import LexicalIndex
from qa.retrieve.snapshot import SideSnapshot
from qa.settings import Settings

if TYPE_CHECKING:
    from conftest import CorpusDocs

QUERIES = [
    "How long do you keep support tickets?",
    "Do you share my contact list?",
    "Apakah daftar kontak saya dibagikan?",
    "cookies for signing in",
    "retention report",
]


class ReadsEverything(AssertionError):
    """Raised by a patched ``all_passages``: this start must not read every passage."""


@pytest.fixture(autouse=True)
def _fresh_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no catalog in memory."""
    monkeypatch.setattr(catalog_module, "_CATALOGS", {})


def forbid_full_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading every passage out of Chroma fail the test."""

    def fail(self: PassageStore) -> list[Document]:
        raise ReadsEverything("all_passages was called")

    monkeypatch.setattr(PassageStore, "all_passages", fail)


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Record each read ``sync_side`` makes from Chroma (``None``: every passage)."""
    calls: list[list[str] | None] = []
    real = PassageStore.passages_of

    def recording(self: PassageStore, doc_ids: list[str] | None) -> list[Document]:
        calls.append(None if doc_ids is None else sorted(doc_ids))
        return real(self, doc_ids)

    monkeypatch.setattr(PassageStore, "passages_of", recording)
    return calls


def top_ids(catalog: Catalog, query: str, k: int = 3) -> list[str]:
    return [str(hit.passage.id) for hit in catalog.lexical.search(query, k)]


def memory_catalog(settings: Settings) -> Catalog:
    """The in-memory catalog the side index replaced, built from every stored passage."""
    with PassageStore.open(settings.index_dir) as store:
        return Catalog.from_passages(store.all_passages())


def side_stamp(settings: Settings) -> tuple[str, int] | None:
    return SideIndex(settings.index_dir / "lexical.sqlite").stamp()


# --- a warm start ---------------------------------------------------------------------------------


def test_a_warm_start_reads_no_passage_out_of_chroma(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    forbid_full_reads(monkeypatch)
    reads = count_reads(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        assert set(catalog.documents) == set(store.manifest.documents)
        assert isinstance(catalog.lexical, PersistedLexicalIndex)
        hits = catalog.lexical.search("support tickets", 3)
        assert hits and hits[0].passage.metadata["doc_id"] == docs.notes
        assert reads == []


def test_the_side_catalog_is_the_in_memory_one(indexed: Settings) -> None:
    old = memory_catalog(indexed)
    with PassageStore.open(indexed.index_dir) as store:
        new = catalog_of(store)
        assert new.documents == old.documents
        assert set(new.vocabulary) == set(old.vocabulary)
        assert new.acronyms == old.acronyms
        assert new.outlines == old.outlines
        assert new.timelines == old.timelines
        assert list(new.by_id) == list(old.by_id)
        for pid, passage in old.by_id.items():
            assert new.by_id[pid].page_content == passage.page_content
            assert new.by_id[pid].metadata == passage.metadata
        for doc_id, passages in old.passages_of.items():
            assert [p.id for p in new.passages_of[doc_id]] == [p.id for p in passages]
        for query in QUERIES:
            assert top_ids(new, query) == top_ids(old, query), query
            weights = new.lexical.term_weights(query)
            assert weights == pytest.approx(old.lexical.term_weights(query)), query
        assert "nowhere-mentioned" not in new.by_id
        assert new.passages_of.get("nowhere.md") is None


def test_the_vocabulary_answers_words_and_prefixes(indexed: Settings) -> None:
    with PassageStore.open(indexed.index_dir) as store:
        vocabulary = catalog_of(store).vocabulary
        assert "tickets" in vocabulary and "quokkafax" not in vocabulary
        assert vocabulary.has_prefix("ticke")  # type: ignore[attr-defined]
        assert not vocabulary.has_prefix("zzzz")  # type: ignore[attr-defined]
        assert {"tickets", "acme"} <= vocabulary


# --- ingest keeps it in step ----------------------------------------------------------------------


def passage_rows(settings: Settings) -> dict[str, tuple[int, str]]:
    """Every passage row of the side file: id -> (rowid, text)."""
    with sqlite3.connect(settings.index_dir / "lexical.sqlite") as conn:
        rows = conn.execute("SELECT id, rowid, text FROM passages").fetchall()
    return {pid: (rowid, text) for pid, rowid, text in rows}


def test_a_changed_document_is_the_only_one_rewritten(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    before = passage_rows(indexed)
    path = indexed.corpus_dir / docs.notes
    path.write_text(path.read_text(encoding="utf-8") + "\nWe keep invoices for ten years.\n")
    forbid_full_reads(monkeypatch)
    report = ingest(indexed)
    assert report.updated == [docs.notes]
    after = passage_rows(indexed)
    for pid, row in before.items():
        if not pid.startswith(docs.notes):
            assert after[pid] == row  # the same row, never rewritten
    assert any("invoices" in text for pid, (_, text) in after.items() if pid.startswith(docs.notes))
    with PassageStore.open(indexed.index_dir) as store:
        assert side_stamp(indexed) == (store.manifest.build_id, store.manifest.generation)
        catalog = catalog_of(store)
        assert catalog.lexical.search("invoices", 1)[0].passage.metadata["doc_id"] == docs.notes
        assert "invoices" in catalog.vocabulary


def test_an_unchanged_reingest_writes_nothing(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, stamp = passage_rows(indexed), side_stamp(indexed)

    def fail(*args: Any) -> None:
        raise AssertionError("the side index was written")

    monkeypatch.setattr(SideIndex, "replace_document", fail)
    monkeypatch.setattr(SideIndex, "delete_document", fail)
    forbid_full_reads(monkeypatch)
    reads = count_reads(monkeypatch)
    assert ingest(indexed).summary().startswith("0 added, 0 updated")
    assert passage_rows(indexed) == before
    assert side_stamp(indexed) == stamp
    assert reads == []


def test_a_removed_document_leaves_the_side_index(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    (indexed.corpus_dir / docs.notes).unlink()
    forbid_full_reads(monkeypatch)
    assert ingest(indexed).removed == [docs.notes]
    assert not any(pid.startswith(docs.notes) for pid in passage_rows(indexed))
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        assert docs.notes not in catalog.documents
        assert all(
            h.passage.metadata["doc_id"] != docs.notes
            for h in catalog.lexical.search("support tickets", 10)
        )
        # A word only that document had is no longer in the vocabulary.
        assert "tickets" not in catalog.vocabulary


# --- a stale side file ----------------------------------------------------------------------------


def test_a_side_file_of_another_build_is_rebuilt_from_chroma_once(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    SideIndex(indexed.index_dir / "lexical.sqlite").mark("another-build", 99)
    reads = count_reads(monkeypatch)
    expected = memory_catalog(indexed)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        assert reads == [None]
        assert side_stamp(indexed) == (store.manifest.build_id, store.manifest.generation)
        assert catalog.documents == expected.documents
        assert top_ids(catalog, QUERIES[0]) == top_ids(expected, QUERIES[0])
    # The next start finds it current.
    catalog_module._CATALOGS.clear()
    with PassageStore.open(indexed.index_dir) as store:
        catalog_of(store)
    assert reads == [None]


def test_a_missing_side_file_is_rebuilt(indexed: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in indexed.index_dir.glob("lexical.sqlite*"):
        path.unlink()
    reads = count_reads(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        assert len(catalog_of(store).documents) == len(store.manifest.documents)
    assert reads == [None]


def test_an_older_generation_catches_up_only_what_changed(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    expected = memory_catalog(indexed).documents
    side = SideIndex(indexed.index_dir / "lexical.sqlite")
    with PassageStore.open(indexed.index_dir) as store:
        build, generation = store.manifest.build_id, store.manifest.generation
    # As if this file had missed the last ingest of one document.
    with sqlite3.connect(side.path) as conn:
        conn.execute("UPDATE documents SET content_hash = 'old' WHERE doc_id = ?", (docs.notes,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(generation - 1),))
    side.delete_document(docs.policy)
    forbid_full_reads(monkeypatch)
    reads = count_reads(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        assert reads == [sorted([docs.notes, docs.policy])]
        assert side.stamp() == (build, generation)
        assert set(catalog.documents) == set(store.manifest.documents)
    assert catalog.documents == expected


# --- readers during an ingest ---------------------------------------------------------------------


def test_a_catalog_keeps_its_snapshot_while_an_ingest_writes(
    indexed: Settings, docs: CorpusDocs
) -> None:
    with PassageStore.open(indexed.index_dir) as store:
        old = catalog_of(store)
        old_documents = dict(old.documents)
        (indexed.corpus_dir / docs.notes).write_text("We keep invoices for ten years.\n")
        (indexed.corpus_dir / docs.cookies).unlink()
        ingest(indexed)
        # The old catalog still reads the generation it was made for, passages and all.
        assert old.lexical.search("invoices", 5) == []
        assert old.lexical.search("support tickets", 1)[0].passage.metadata["doc_id"] == docs.notes
        assert old.passages_of[docs.cookies]
        assert set(old.documents) == set(old_documents)
        new = catalog_of(store)
        assert new is not old
        assert new.lexical.search("invoices", 1)[0].passage.metadata["doc_id"] == docs.notes
        assert docs.cookies not in new.documents


# --- FTS5's BM25 beside rank_bm25 -----------------------------------------------------------------


def passage(doc_id: str, text: str, language: str = "en") -> Document:
    return Document(
        page_content=text, id=f"{doc_id}#0", metadata={"doc_id": doc_id, "language": language}
    )


@pytest.fixture
def side_of(tmp_path: Path) -> Callable[[list[Document]], PersistedLexicalIndex]:
    """Factory: a side file holding ``passages`` (one document each), searched by FTS5."""

    def make(passages: list[Document]) -> PersistedLexicalIndex:
        side = SideIndex(tmp_path / f"side-{len(list(tmp_path.iterdir()))}.sqlite")
        for item in passages:
            side.replace_document(item.metadata["doc_id"], [item], "hash")
        side.mark("build", 1)
        snapshot = SideSnapshot(side.path)
        return PersistedLexicalIndex(snapshot, snapshot.passages)

    return make


def test_fts5_ranks_like_rank_bm25(side_of: Callable[..., PersistedLexicalIndex]) -> None:
    passages = [
        passage("share", "We share your contact list with partners."),
        passage("logs", "We keep server logs for thirty days."),
        passage("cookies", "Cookies remember your language."),
        passage("contacts", "Contacts are never sold. Contact details stay private; contact us."),
        passage("kontak", "Kami tidak membagikan daftar kontak Anda.", language="id"),
    ]
    new, old = side_of(passages), LexicalIndex(passages)
    for query, language in [("contact", "en"), ("server logs", "en"), ("dibagikan", "id")]:
        ranked = [h.passage.id for h in new.search(query, 5, language=language)]
        assert ranked == [h.passage.id for h in old.search(query, 5, language=language)]
    assert [h.passage.id for h in new.search("contact", 1, allowed={"share"})] == ["share#0"]
    assert new.search("contact", 5, allowed=set()) == []
    assert new.search("the of and", 5) == []
    assert new.term_weights("share cookies fingerprints") == pytest.approx(
        old.term_weights("share cookies fingerprints")
    )


def test_fts5_finds_a_word_in_half_of_the_passages(
    side_of: Callable[..., PersistedLexicalIndex],
) -> None:
    # rank_bm25 gives such a word idf 0 and drops it (test_lexical.py's xfail); FTS5 floors it.
    fruit = side_of(
        [
            passage("a", "apple banana"),
            passage("b", "apple cherry"),
            passage("c", "apple banana"),
            passage("d", "grape melon"),
        ]
    )
    assert len(fruit.search("apple", 5)) == 3
    assert [h.passage.metadata["doc_id"] for h in fruit.search("banana", 5)] == ["a", "c"]


# --- where it lives, and without it ---------------------------------------------------------------


def test_a_server_index_caches_its_side_file_per_server_and_name(tmp_path: Path) -> None:
    one = ServerIndex("http://10.0.0.5:8000", "policies", tmp_path)
    assert one.side_path.parent == tmp_path / "side"
    assert one.side_path.name.startswith("policies-")
    others = [
        ServerIndex("http://10.0.0.6:8000", "policies", tmp_path),
        ServerIndex("http://10.0.0.5:8000", "terms", tmp_path),
    ]
    assert len({one.side_path, *(other.side_path for other in others)}) == 3
    assert ServerIndex("http://10.0.0.5:8000/", "policies", tmp_path).side_path == one.side_path


def test_without_the_side_index_every_passage_is_read_as_before(indexed: Settings) -> None:
    with PassageStore.from_settings(indexed.override(side_index=False)) as store:
        assert store.side is None
        catalog = catalog_of(store)
        assert isinstance(catalog.lexical, LexicalIndex)
        assert set(catalog.documents) == set(store.manifest.documents)


def test_an_unusable_side_file_falls_back_to_reading_every_passage(indexed: Settings) -> None:
    side = indexed.index_dir / "lexical.sqlite"
    for path in indexed.index_dir.glob("lexical.sqlite*"):
        path.unlink()
    side.write_bytes(b"not a database" * 100)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        assert isinstance(catalog.lexical, LexicalIndex)
        assert set(catalog.documents) == set(store.manifest.documents)


def test_a_catalog_let_go_of_ends_its_snapshot_at_once(indexed: Settings, docs: CorpusDocs) -> None:
    # Without the cyclic collector: a snapshot kept open would hold back WAL checkpoints.
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        catalog.lexical.search("support tickets", 3)
        assert catalog.passages_of[docs.notes] and "tickets" in catalog.vocabulary
        catalog_ref, snapshot_ref = weakref.ref(catalog), weakref.ref(catalog.snapshot)
        gc.disable()
        try:
            del catalog
            catalog_module._CATALOGS.clear()
            assert catalog_ref() is None
            assert snapshot_ref() is None
        finally:
            gc.enable()


def test_the_sentence_cache_starting_over_keeps_what_was_asked_for(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    # At 877 documents the cache filled up mid-question and lost a document it had just held.
    monkeypatch.setattr(catalog_module, "SENTENCE_CACHE_LIMIT", 1)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        catalog.sentences(store, [docs.notes])
        catalog.sentences(store, [docs.policy])
        found = catalog.sentences(store, [docs.notes, docs.policy, docs.cookies])
        assert [len(sentences) > 0 for sentences, _ in found] == [True, True, True]
