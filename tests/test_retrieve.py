"""Hybrid retrieval over a real index: dense, best-sentence and BM25 rankings fused, filters.

Real embeddings and a real Chroma index of ``answer_docs`` (conftest's ``answer_settings``).
"""

from __future__ import annotations

import pytest
from answer_docs import CONTACT_QUESTION, ZETA_TERMS_ID
from langchain_core.documents import Document

from qa.index.store import PassageStore
from qa.retrieve.catalog import ScoredSentence, SentencesByPlace
from qa.retrieve.filters import SearchFilters
from qa.retrieve.hybrid import HybridRetriever
from qa.settings import Settings

RANKING_KEYS = {
    "rank",
    "fused_score",
    "dense_score",
    "dense_rank",
    "sentence_score",
    "lexical_rank",
}


@pytest.fixture(scope="module")
def retriever(answer_settings: Settings) -> HybridRetriever:
    """A hybrid retriever over the answering index, configured as the chain configures it."""
    settings = answer_settings
    return HybridRetriever.from_settings(PassageStore.open(settings.index_dir), settings)


def test_rare_word_is_found_by_the_lexical_ranking(retriever: HybridRetriever) -> None:
    retrieval = retriever.retrieve("quokkafax logs")
    top = retrieval.passages[0]
    assert top.metadata["doc_id"] == ZETA_TERMS_ID
    assert top.metadata["lexical_rank"] == 1


def test_fusion_reports_every_ranking(retriever: HybridRetriever) -> None:
    passages = retriever.retrieve(CONTACT_QUESTION).passages
    assert [p.metadata["rank"] for p in passages] == list(range(1, len(passages) + 1))
    scores = [p.metadata["fused_score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert passages[0].metadata["dense_rank"] is not None
    assert all(set(p.metadata) >= RANKING_KEYS for p in passages)


def test_the_retrieval_carries_the_signals_abstention_needs(retriever: HybridRetriever) -> None:
    retrieval = retriever.retrieve(CONTACT_QUESTION)
    assert len(retrieval.query_vector) == 384
    assert retrieval.top_dense == pytest.approx(
        max(p.metadata["dense_score"] for p in retrieval.passages), abs=1e-4
    )
    assert 0 < retrieval.top_sentence <= 1
    assert retrieval.sentences, "the candidates' stored sentences, scored"
    assert {"facebook", "quokkafax"} <= retrieval.vocabulary
    assert {"embed", "dense", "lexical", "sentences", "fuse"} <= set(retrieval.timings_ms)


def test_k_limits_the_passages(retriever: HybridRetriever) -> None:
    assert len(retriever.retrieve(CONTACT_QUESTION, k=2).passages) == 2


def test_the_langchain_interface_returns_the_same_passages(retriever: HybridRetriever) -> None:
    invoked = retriever.invoke(CONTACT_QUESTION)
    assert [p.id for p in invoked] == [p.id for p in retriever.retrieve(CONTACT_QUESTION).passages]


def test_language_filter_keeps_only_that_language(retriever: HybridRetriever) -> None:
    passages = retriever.retrieve(CONTACT_QUESTION, SearchFilters(language="id")).passages
    assert passages
    assert {p.metadata["language"] for p in passages} == {"id"}


def test_publisher_and_date_filters(retriever: HybridRetriever) -> None:
    by_publisher = retriever.retrieve("How old must I be?", SearchFilters(publisher="zeta"))
    assert {p.metadata["doc_id"] for p in by_publisher.passages} == {ZETA_TERMS_ID}
    before_2020 = retriever.retrieve(CONTACT_QUESTION, SearchFilters(date_to="2020-01-01"))
    assert {p.metadata["doc_id"] for p in before_2020.passages} == {ZETA_TERMS_ID}
    kind = retriever.retrieve(CONTACT_QUESTION, SearchFilters(kind="news"))
    assert {p.metadata["kind"] for p in kind.passages} == {"news"}


def test_a_filter_matching_no_document_returns_nothing(retriever: HybridRetriever) -> None:
    retrieval = retriever.retrieve(CONTACT_QUESTION, SearchFilters(publisher="Nobody Corp"))
    assert retrieval.passages == []
    assert retrieval.top_dense == 0.0


def _sentence(doc_id: str, start: int, end: int) -> ScoredSentence:
    return ScoredSentence(
        Document("x" * (end - start), metadata={"doc_id": doc_id, "start": start, "end": end}), 0.5
    )


def test_sentences_by_place_finds_exactly_those_inside_a_passage() -> None:
    # Given out of text order and across two documents, as retrieval may hand them over.
    sentences = [
        _sentence("a", 40, 90),
        _sentence("b", 0, 30),
        _sentence("a", 0, 39),
        _sentence("a", 91, 140),
        _sentence("a", 120, 200),
    ]
    places = SentencesByPlace(sentences)
    inside = [
        (s.sentence.metadata["start"], s.sentence.metadata["end"])
        for s in places.within("a", 0, 140)
    ]
    # Both edges count; a sentence running past the passage's end does not.
    assert inside == [(0, 39), (40, 90), (91, 140)]
    assert [s.sentence.metadata["doc_id"] for s in places.within("b", 0, 30)] == ["b"]
    assert list(places.within("a", 141, 150)) == []
    assert list(places.within("missing", 0, 500)) == []
