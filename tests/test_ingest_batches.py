"""Ingest in batches across documents, with passage and sentence vectors made either way.

Real embeddings and a real Chroma store. The embedding model is wrapped only to record the
texts it is handed, so a text embedded twice (in one run or across runs) is seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from answer_docs import ANSWER_DOCS, CONTACT_QUESTION

from qa.answer.chain import AnswerChain
from qa.errors import IndexMismatchError, SettingsError
from qa.index.chunking import chunk_document
from qa.index.embeddings import E5Embeddings
from qa.index.ingest import index_config, ingest
from qa.index.manifest import MANIFEST_NAME, Manifest
from qa.index.store import PassageStore
from qa.load import load_file
from qa.settings import Settings, load_settings

# (passage_vectors, sentence_vectors): the default, pooled passages, and the way before both.
NEW_MODES = [("embedded", "lazy"), ("pooled", "indexed")]
MODES = [*NEW_MODES, ("embedded", "indexed")]
# Sentences two documents share, and a second version that changes one paragraph.
SHARED = "We never sell your personal data to advertisers or data brokers."
CORPUS = {
    "alpha.md": f"---\ntitle: Alpha Policy\n---\n## Sharing\n{SHARED} We share data with "
    "payment processors.\n\n## Retention\nWe delete server logs after thirty days.\n",
    "beta.md": f"---\ntitle: Beta Policy\n---\n## Selling\n{SHARED} Beta keeps invoices for "
    "ten years.\n",
    "gamma.txt": "Gamma reads your contacts only to find friends. "
    "Gamma deletes closed accounts after ninety days.\n",
}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text handed to the E5 model's ``embed_documents`` while the test runs."""
    texts: list[str] = []
    real = E5Embeddings.embed_documents

    def recording(self: E5Embeddings, batch: list[str]) -> list[list[float]]:
        texts.extend(batch)
        return real(self, batch)

    monkeypatch.setattr(E5Embeddings, "embed_documents", recording)
    yield texts


@pytest.fixture
def corpus_settings(
    tmp_path: Path, index_dir: Path, settings_for: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Factory: settings over a fresh copy of ``CORPUS`` with the given changes."""

    def make(**changes: Any) -> Settings:
        root = tmp_path / "corpus"
        root.mkdir(exist_ok=True)
        for name, text in CORPUS.items():
            (root / name).write_text(text, encoding="utf-8")
        return settings_for(root, index_dir, **changes)

    return make


@pytest.mark.parametrize(("passage_vectors", "sentence_vectors"), NEW_MODES)
def test_no_text_is_embedded_twice_and_an_unchanged_ingest_embeds_nothing(
    corpus_settings: Callable[..., Settings],
    recorded: list[str],
    passage_vectors: str,
    sentence_vectors: str,
) -> None:
    settings = corpus_settings(
        passage_vectors=passage_vectors, sentence_vectors=sentence_vectors, ingest_batch_texts=4
    )

    first = ingest(settings)
    first_texts = list(recorded)
    again = ingest(settings)
    path = settings.corpus_dir / "alpha.md"
    path.write_text(path.read_text().replace("thirty days", "sixty days"), encoding="utf-8")
    edited = ingest(settings)
    edited_texts = recorded[len(first_texts) :]

    assert first.added == sorted(CORPUS)
    assert len(first_texts) == len(set(first_texts)), "a text was embedded twice"
    assert sum(SHARED in text for text in first_texts) == (
        2 if passage_vectors == "embedded" else 1
    )  # passages differ by their title line; the shared sentence itself is embedded once
    assert again.unchanged == sorted(CORPUS)
    assert (again.passages_embedded, again.sentences_embedded) == (0, 0)
    assert edited.updated == ["alpha.md"]
    assert edited_texts, "the edited paragraph is embedded"
    assert all("sixty days" in text for text in edited_texts)
    assert not set(edited_texts) & set(first_texts)


@pytest.mark.parametrize(("passage_vectors", "sentence_vectors"), MODES)
def test_batched_ingest_stores_the_chunker_passages_and_evidence_quotes_indexed_text(
    tmp_path: Path,
    index_dir: Path,
    settings_for: Callable[..., Settings],
    passage_vectors: str,
    sentence_vectors: str,
) -> None:
    root = tmp_path / "answers"
    for name, text in ANSWER_DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    settings = settings_for(
        root, index_dir, passage_vectors=passage_vectors, sentence_vectors=sentence_vectors
    )

    report = ingest(settings)
    store = PassageStore.open(index_dir)
    stored = store.all_passages()
    for doc_id in report.added:
        document = load_file(root / doc_id, doc_id)
        expected = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
        mine = sorted(
            (p for p in stored if p.metadata["doc_id"] == doc_id),
            key=lambda p: p.metadata["passage_index"],
        )
        assert [p.page_content for p in mine] == [p.page_content for p in expected]
        sentences, vectors = store.sentences_of([doc_id])
        assert sentences and len(vectors) == len(sentences)
        # Context lines of pooled vectors are stored beside sentences but are never sentences.
        text = document.page_content
        assert all(
            text[s.metadata["start"] : s.metadata["end"]] == s.page_content for s in sentences
        )
    store.close()
    result = AnswerChain.from_settings(settings).invoke(CONTACT_QUESTION)

    assert not result.abstained and result.citations
    first = result.citations[0]
    assert "contact" in first.quote.casefold() and "facebook" in first.quote.casefold()
    for citation in result.citations:
        document = load_file(root / citation.source.doc_id, citation.source.doc_id)
        assert document.page_content[citation.quote_start : citation.quote_end] == citation.quote
        passage = next(p for p in result.passages if p.passage_id == citation.passage_id)
        quoted = passage.text[citation.passage_quote_start : citation.passage_quote_end]
        assert quoted == citation.quote


def test_vector_settings_round_trip_through_the_environment_and_the_manifest(
    corpus_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINEPRINT_SENTENCE_VECTORS", "indexed")
    monkeypatch.setenv("FINEPRINT_PASSAGE_VECTORS", "pooled")
    monkeypatch.setenv("FINEPRINT_INGEST_BATCH_TEXTS", "0")
    from_env = load_settings()
    assert (from_env.passage_vectors, from_env.sentence_vectors) == ("pooled", "indexed")
    assert from_env.ingest_batch_texts == 0
    assert load_settings(from_env).override(sentence_vectors=None) == from_env

    settings = corpus_settings(passage_vectors="pooled", sentence_vectors="indexed")
    ingest(settings)
    manifest = Manifest.read(settings.index_dir)
    assert manifest is not None
    config = manifest.config
    assert (config.passage_vectors, config.sentence_vectors) == ("pooled", "indexed")
    assert "pooled passage vectors" in config.describe()

    # Another way of making vectors is another index: refused, with the way out.
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest(settings.override(passage_vectors="embedded", sentence_vectors="lazy"))
    lazy = settings.override(passage_vectors="embedded", sentence_vectors="lazy")
    rebuilt = ingest(lazy, rebuild=True)
    assert rebuilt.added == sorted(CORPUS)
    reread = Manifest.read(settings.index_dir)
    assert reread is not None and reread.config.sentence_vectors == "lazy"


@pytest.mark.parametrize(
    "changes",
    [
        {"passage_vectors": "mean"},
        {"sentence_vectors": "never"},
        {"passage_vectors": "pooled", "sentence_vectors": "lazy"},
        {"ingest_batch_texts": -1},
    ],
)
def test_bad_vector_settings_are_one_message(changes: dict[str, Any]) -> None:
    with pytest.raises(SettingsError, match="invalid setting"):
        load_settings(Settings(), **changes)


def test_a_manifest_from_before_the_vector_settings_reads_as_the_old_way(tmp_path: Path) -> None:
    Manifest(config=index_config(Settings(index_dir=tmp_path))).write(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    del data["config"]["passage_vectors"], data["config"]["sentence_vectors"]
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))

    manifest = Manifest.read(tmp_path)

    assert manifest is not None
    assert (manifest.config.passage_vectors, manifest.config.sentence_vectors) == (
        "embedded",
        "indexed",
    )
