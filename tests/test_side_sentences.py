"""Sentences and their vectors in the side index (``qa.index.side``), read at question time.

A question reads its candidates' sentence vectors from the side file instead of Chroma (fetching
them from Chroma was most of a question's time at 877 documents). The file must hold what
Chroma's sentence collection holds for each document, follow every ingest, catch up when stale,
be read per document on demand, and leave answers as they were. Real embeddings and a real
Chroma store (the behaviour is Chroma's collection beside the file), except the pooled-vector
index, built with the fake embedder for its context lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from answer_docs import CONTACT_QUESTION
from langchain_core.documents import Document

import qa.index.side as side_module
import qa.retrieve.catalog as catalog_module
from qa.answer.chain import AnswerChain
from qa.index.ingest import ingest
from qa.index.side import SideIndex
from qa.index.store import PassageStore
from qa.retrieve.catalog import catalog_of
from qa.retrieve.snapshot import SideSnapshot
from qa.settings import Settings

if TYPE_CHECKING:
    from conftest import CorpusDocs

# Answered, answered in Indonesian, a retention question and one no document answers.
QUESTIONS = [
    CONTACT_QUESTION,
    "Apakah daftar kontak saya dibagikan ke Facebook?",
    "How long are undelivered messages kept?",
    "What fine did Turkey's competition authority impose on Acme?",
]
Sentences = tuple[list[tuple[str, str, dict[str, object]]], np.ndarray]
# Largest difference allowed between a vector component in the side file and in Chroma.
VECTOR_TOLERANCE = 1e-6


@pytest.fixture(autouse=True)
def _fresh_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no catalog in memory."""
    monkeypatch.setattr(catalog_module, "_CATALOGS", {})


def from_chroma(store: PassageStore, doc_id: str) -> Sentences:
    """What Chroma's sentence collection holds for ``doc_id``, in text order."""
    sentences, matrix = store.sentence_matrix([doc_id])
    order = sorted(range(len(sentences)), key=lambda i: int(sentences[i].metadata["start"]))
    return [_row(sentences[i]) for i in order], matrix[order]


def from_side(settings: Settings, doc_id: str) -> Sentences | None:
    """What the side file holds for ``doc_id`` (``None``: no row)."""
    snapshot = SideSnapshot(settings.index_dir / "lexical.sqlite")
    try:
        found = snapshot.sentences([doc_id]).get(doc_id)
    finally:
        snapshot.close()
    if found is None:
        return None
    return [_row(s) for s in found[0]], found[1]


def _row(sentence: Document) -> tuple[str, str, dict[str, object]]:
    return str(sentence.id), sentence.page_content, dict(sentence.metadata)


def assert_same_as_chroma(settings: Settings, doc_ids: list[str]) -> None:
    """The side file holds exactly Chroma's sentences and vectors for each of ``doc_ids``."""
    with PassageStore.open(settings.index_dir) as store:
        for doc_id in doc_ids:
            expected = from_chroma(store, doc_id)
            found = from_side(settings, doc_id)
            assert found is not None, doc_id
            assert found[0] == expected[0], doc_id
            assert found[1].dtype == np.float32 and found[1].shape == expected[1].shape
            # Chroma hands back its cosine index's copy, renormalised: float32 rounding apart.
            assert np.allclose(found[1], expected[1], rtol=0, atol=VECTOR_TOLERANCE), doc_id


def sentence_rows(settings: Settings) -> dict[str, int]:
    """Every sentence row of the side file: doc id -> how many sentences."""
    with sqlite3.connect(settings.index_dir / "lexical.sqlite") as conn:
        return dict(conn.execute("SELECT doc_id, count FROM sentences"))


def forbid_chroma_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading sentences out of Chroma fail the test."""

    def fail(self: PassageStore, doc_ids: list[str]) -> None:
        raise AssertionError(f"sentences of {doc_ids} read from Chroma")

    monkeypatch.setattr(PassageStore, "sentence_matrix", fail)


def count_chroma_sentence_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the doc ids of each sentence read from Chroma."""
    calls: list[list[str]] = []
    real = PassageStore.sentence_matrix

    def recording(self: PassageStore, doc_ids: list[str]) -> tuple[list[Document], np.ndarray]:
        calls.append(sorted(doc_ids))
        return real(self, doc_ids)

    monkeypatch.setattr(PassageStore, "sentence_matrix", recording)
    return calls


# --- what the file holds --------------------------------------------------------------------------


def test_the_side_index_holds_each_documents_sentences_and_vectors_as_chroma_does(
    indexed: Settings, docs: CorpusDocs
) -> None:
    assert set(sentence_rows(indexed)) == set(docs.all)
    assert_same_as_chroma(indexed, docs.all)


def test_context_lines_of_pooled_vectors_are_left_out_as_chroma_leaves_them_out(
    fake_models: None,
    corpus: Path,
    index_dir: Path,
    settings_for: Callable[..., Settings],
    docs: CorpusDocs,
) -> None:
    settings = settings_for(corpus, index_dir, embedding_model="fake-e5", passage_vectors="pooled")
    ingest(settings)
    with PassageStore.open(index_dir) as store:
        every = store._sentences.get(include=["metadatas"])["metadatas"]
    assert any(int(meta["start"]) < 0 for meta in every)  # the collection has context lines
    assert_same_as_chroma(settings, docs.all)
    for doc_id in docs.all:
        found = from_side(settings, doc_id)
        assert found is not None and all(int(meta["start"]) >= 0 for _, _, meta in found[0])


# --- read at question time, per document ----------------------------------------------------------


def test_a_question_reads_sentences_from_the_side_index_one_document_at_a_time(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    forbid_chroma_sentences(monkeypatch)
    read: list[list[str]] = []
    real = SideSnapshot.sentences

    def recording(self: SideSnapshot, doc_ids: list[str]) -> dict[str, object]:
        read.append(sorted(doc_ids))
        return real(self, doc_ids)

    monkeypatch.setattr(SideSnapshot, "sentences", recording)
    with PassageStore.open(indexed.index_dir) as store:
        catalog = catalog_of(store)
        catalog.lexical.search("support tickets", 3)
        # Nothing of any document's sentences is read at start-up.
        assert read == []
        [(sentences, vectors)] = catalog.sentences(store, [docs.notes])
        assert read == [[docs.notes]]
        assert sentences and vectors.shape == (len(sentences), 384)
        assert [s.metadata["start"] for s in sentences] == sorted(
            s.metadata["start"] for s in sentences
        )
        # Kept: asking again reads nothing more; another document is read on its own.
        catalog.sentences(store, [docs.notes, docs.policy])
        assert read == [[docs.notes], [docs.policy]]


def test_without_the_side_index_sentences_come_from_chroma(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    reads = count_chroma_sentence_reads(monkeypatch)
    with PassageStore.from_settings(indexed.override(side_index=False)) as store:
        catalog = catalog_of(store)
        [(sentences, vectors)] = catalog.sentences(store, [docs.policy])
        assert reads == [[docs.policy]]
        expected = from_chroma(store, docs.policy)
        assert [_row(s) for s in sentences] == expected[0]
        assert np.array_equal(vectors, expected[1])  # the very rows Chroma returned


# --- ingest keeps it in step ----------------------------------------------------------------------


def test_an_updated_documents_sentences_replace_the_old_ones(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    before = sentence_rows(indexed)
    path = indexed.corpus_dir / docs.notes
    path.write_text("Retention Notes\nAcme keeps invoices for ten years.\n", encoding="utf-8")
    assert ingest(indexed).updated == [docs.notes]
    found = from_side(indexed, docs.notes)
    assert found is not None
    texts = [text for _, text, _ in found[0]]
    assert any("invoices" in text for text in texts)
    assert not any("tickets" in text for text in texts)
    assert_same_as_chroma(indexed, docs.all)
    after = sentence_rows(indexed)
    assert {doc: n for doc, n in after.items() if doc != docs.notes} == {
        doc: n for doc, n in before.items() if doc != docs.notes
    }
    forbid_chroma_sentences(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        [(sentences, _)] = catalog_of(store).sentences(store, [docs.notes])
        assert [s.page_content for s in sentences] == texts


def test_a_removed_documents_sentences_leave_the_side_index(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    (indexed.corpus_dir / docs.notes).unlink()
    assert ingest(indexed).removed == [docs.notes]
    assert docs.notes not in sentence_rows(indexed)
    assert set(sentence_rows(indexed)) == set(docs.all) - {docs.notes}
    forbid_chroma_sentences(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        [(sentences, vectors)] = catalog_of(store).sentences(store, [docs.notes])
        assert list(sentences) == [] and len(vectors) == 0


# --- a stale side file ----------------------------------------------------------------------------


def test_a_side_file_of_another_build_is_rebuilt_with_sentences_in_batches(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    SideIndex(indexed.index_dir / "lexical.sqlite").mark("another-build", 99)
    with sqlite3.connect(indexed.index_dir / "lexical.sqlite") as conn:
        conn.execute("DELETE FROM sentences")
    monkeypatch.setattr(side_module, "SENTENCE_BATCH", 2)
    reads = count_chroma_sentence_reads(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        catalog_of(store)
    # Five documents, two per request.
    assert reads == [docs.all[0:2], docs.all[2:4], docs.all[4:5]]
    assert_same_as_chroma(indexed, docs.all)


def test_a_side_file_of_the_previous_layout_is_rebuilt_with_sentences(
    indexed: Settings, docs: CorpusDocs
) -> None:
    # A file from before sentences were kept: version 1 and no sentence rows.
    with sqlite3.connect(indexed.index_dir / "lexical.sqlite") as conn:
        conn.execute("DELETE FROM sentences")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'version'")
    with PassageStore.open(indexed.index_dir) as store:
        catalog_of(store)
        assert SideIndex(indexed.index_dir / "lexical.sqlite").stamp() == (
            store.manifest.build_id,
            store.manifest.generation,
        )
    assert_same_as_chroma(indexed, docs.all)


def test_an_older_generation_catches_up_the_sentences_of_what_changed(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, docs: CorpusDocs
) -> None:
    with PassageStore.open(indexed.index_dir) as store:
        generation = store.manifest.generation
    # As if this file had missed the last ingest of one document: its sentences are old.
    with sqlite3.connect(indexed.index_dir / "lexical.sqlite") as conn:
        conn.execute("UPDATE documents SET content_hash = 'old' WHERE doc_id = ?", (docs.notes,))
        conn.execute("UPDATE sentences SET items = '[]', count = 0 WHERE doc_id = ?", (docs.notes,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(generation - 1),))
    reads = count_chroma_sentence_reads(monkeypatch)
    with PassageStore.open(indexed.index_dir) as store:
        catalog_of(store)
    assert reads == [[docs.notes]]
    assert_same_as_chroma(indexed, docs.all)


# --- answers --------------------------------------------------------------------------------------


def test_answers_are_the_same_with_and_without_the_side_index(
    answer_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def answers(settings: Settings) -> list[dict[str, object]]:
        # Each way its own catalog: they share the index's key.
        monkeypatch.setattr(catalog_module, "_CATALOGS", {})
        chain = AnswerChain.from_settings(settings)
        try:
            results = [chain.invoke(question) for question in QUESTIONS]
        finally:
            chain.store.close()
        return [
            {
                "answer": result.answer,
                "abstained": result.abstained,
                "citations": [
                    (c.marker, c.passage_id, c.quote, c.quote_start, c.quote_end)
                    for c in result.citations
                ],
                "passages": [p.passage_id for p in result.passages],
                "signals": result.signals,
            }
            for result in results
        ]

    def rounded(found: list[dict[str, object]]) -> list[dict[str, object]]:
        # Cosines agree to float32 rounding (see VECTOR_TOLERANCE), not bit for bit.
        return [
            {**item, "signals": {k: round(v, 4) for k, v in item["signals"].items()}}  # type: ignore[attr-defined]
            for item in found
        ]

    reads = count_chroma_sentence_reads(monkeypatch)
    with_side = answers(answer_settings)
    assert reads == []
    without = answers(answer_settings.override(side_index=False))
    assert reads  # the comparison did read sentences from Chroma
    assert rounded(with_side) == rounded(without)
    assert with_side[0]["citations"] and not with_side[0]["abstained"]
