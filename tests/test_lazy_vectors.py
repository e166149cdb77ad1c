"""Sentence vectors embedded at question time are kept beside the side index (``VectorFile``).

On an index built with ``sentence_vectors = "lazy"`` a question embeds the sentences of its best
candidates; a new process (``fineprint ask``, a restarted server) finds them on disk instead of
embedding them again. Keeping them is best effort: a file that cannot be written costs only the
embedding. The fake embedder stands in for the model (this is bookkeeping, not ranking).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import qa.retrieve.catalog as catalog_module
import qa.retrieve.hybrid as hybrid_module
from qa.index.ingest import ingest
from qa.index.store import PassageStore
from qa.retrieve.hybrid import HybridRetriever
from qa.retrieve.sentence_vectors import LazySentenceVectors, VectorFile, vector_file
from qa.settings import Settings

QUESTION = "How long do you keep support tickets and server logs?"


@pytest.fixture
def lazy_settings(
    fake_models: None, corpus: Path, index_dir: Path, settings_for: Callable[..., Settings]
) -> Settings:
    """Settings over a lazy-sentence index of the test corpus, embedded by the fake."""
    settings = settings_for(corpus, index_dir, embedding_model="fake-e5", sentence_vectors="lazy")
    ingest(settings)
    return settings


def ask(settings: Settings, embeddings: object, **changes: object) -> tuple[dict[str, float], int]:
    """Retrieve ``QUESTION`` as a new process would (no catalog, an empty lazy cache).

    Returns:
        Each best passage's sentence score, and how many sentences were embedded.
    """
    lazy = LazySentenceVectors()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hybrid_module, "SHARED", lazy)
        patch.setattr(catalog_module, "_CATALOGS", {})
        with PassageStore.from_settings(settings.override(**changes)) as store:
            retriever = HybridRetriever.from_settings(store, settings, embeddings)  # type: ignore[arg-type]
            passages = retriever.retrieve(QUESTION).passages
    return {str(p.id): p.metadata["sentence_score"] for p in passages}, lazy.embedded


def kept_rows(settings: Settings) -> list[str]:
    path = settings.index_dir / "lexical.lazy-vectors.sqlite"
    with sqlite3.connect(path) as conn:
        return [model for (model,) in conn.execute("SELECT model FROM vectors")]


def test_a_new_process_reuses_the_sentence_vectors_an_earlier_one_embedded(
    lazy_settings: Settings, fake_embeddings: object
) -> None:
    first, embedded = ask(lazy_settings, fake_embeddings)
    assert embedded > 0
    assert kept_rows(lazy_settings) == ["fake-e5"] * embedded
    again, embedded_again = ask(lazy_settings, fake_embeddings)
    assert embedded_again == 0
    assert again == first


def test_without_the_side_index_nothing_is_kept(
    lazy_settings: Settings, fake_embeddings: object
) -> None:
    _, embedded = ask(lazy_settings, fake_embeddings, side_index=False)
    assert embedded > 0
    assert not (lazy_settings.index_dir / "lexical.lazy-vectors.sqlite").exists()
    _, embedded_again = ask(lazy_settings, fake_embeddings, side_index=False)
    assert embedded_again == embedded


def test_a_vector_file_that_cannot_be_written_only_costs_the_embedding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Its folder is a file: nothing can be created there.
    (tmp_path / "taken").write_text("not a folder")
    kept = VectorFile(tmp_path / "taken" / "vectors.sqlite")
    kept.put("fake-e5", {"abc": [0.6, 0.8]})  # type: ignore[dict-item]
    assert kept.get("fake-e5", ["abc"]) == {}
    assert "not kept" in caplog.text


def test_vectors_are_kept_per_model(tmp_path: Path) -> None:
    kept = vector_file(tmp_path / "lexical.sqlite")
    assert kept is vector_file(tmp_path / "lexical.sqlite")
    kept.put("model-a", {"abc": [0.6, 0.8]})  # type: ignore[dict-item]
    assert list(kept.get("model-a", ["abc", "xyz"])) == ["abc"]
    assert kept.get("model-a", ["abc"])["abc"].tolist() == pytest.approx([0.6, 0.8])
    assert kept.get("model-b", ["abc"]) == {}
    kept.close()
