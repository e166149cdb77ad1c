"""Hybrid retrieval: dense passages, their best sentence, and BM25, fused by weighted scores.

Candidates come from two searches: Chroma's nearest passages and BM25's best passages. Each
candidate is then scored on three things, each good at something the others miss:

- the cosine of the passage vector (paraphrases, cross-lingual matches);
- the cosine of its best sentence (the one sentence that answers inside a long passage);
- BM25 relative to the best BM25 hit (rare exact words: names, numbers, product terms).

A weighted sum of those beat reciprocal-rank fusion on the project's questions (hit@1 0.57
against 0.48 at 700-character passages; ``evals/README.md``): ranks throw away how close a
near-tie was.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.errors import IndexChangingError
from qa.index.store import PassageStore
from qa.load.language import question_language
from qa.retrieve.catalog import Catalog, ScoredSentence, catalog_of
from qa.retrieve.filters import SearchFilters
from qa.settings import (
    DEFAULT_DENSE_WEIGHT,
    DEFAULT_FETCH_K,
    DEFAULT_K,
    DEFAULT_LEXICAL_WEIGHT,
    DEFAULT_MIN_SENTENCE_CHARS,
    DEFAULT_SENTENCE_WEIGHT,
    Settings,
)


@dataclass
class Retrieval:
    """What retrieval found for one question, with the raw signals abstention uses."""

    passages: list[Document]
    query_vector: list[float]
    top_dense: float = 0.0
    top_sentence: float = 0.0
    sentences: list[ScoredSentence] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()


def _best_sentences(
    candidates: list[Document], sentences: list[ScoredSentence], min_chars: int
) -> dict[str, float]:
    """The best sentence cosine inside each candidate passage (0 when it has none)."""
    by_doc: dict[str, list[ScoredSentence]] = {}
    for item in sentences:
        by_doc.setdefault(item.sentence.metadata["doc_id"], []).append(item)
    starts = {
        doc: [int(s.sentence.metadata["start"]) for s in items] for doc, items in by_doc.items()
    }
    best: dict[str, float] = {}
    for passage in candidates:
        doc, start, end = (
            passage.metadata["doc_id"],
            int(passage.metadata["start"]),
            int(passage.metadata["end"]),
        )
        items = by_doc.get(doc, [])
        first = bisect.bisect_left(starts.get(doc, []), start)
        inside = [
            s.score
            for s in items[first:]
            if int(s.sentence.metadata["end"]) <= end and len(s.sentence.page_content) >= min_chars
        ]
        best[str(passage.id)] = max(inside, default=0.0)
    return best


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over a ``PassageStore``: dense + best sentence + BM25, with filters.

    Returned passages carry ``rank``, ``fused_score``, ``dense_score``, ``dense_rank``,
    ``sentence_score`` and ``lexical_rank`` in their metadata.

    Example:
        >>> retriever = HybridRetriever(store=store, embeddings=embeddings)  # doctest: +SKIP
        >>> question = "Is my contact list shared with Facebook?"
        >>> retriever.invoke(question)[0].metadata["doc_id"]  # doctest: +SKIP
        'news/whatsapp-clarification-2021-01-12.md'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    embeddings: Embeddings
    k: int = DEFAULT_K
    fetch_k: int = DEFAULT_FETCH_K
    dense_weight: float = DEFAULT_DENSE_WEIGHT
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT
    min_sentence_chars: int = DEFAULT_MIN_SENTENCE_CHARS
    filters: SearchFilters = SearchFilters()

    @classmethod
    def from_settings(
        cls, store: PassageStore, settings: Settings, embeddings: Embeddings | None = None
    ) -> HybridRetriever:
        """The retriever ``settings`` describe (k, fetch_k, fusion weights, sentence length).

        Args:
            store: The opened passage store.
            settings: The settings to read.
            embeddings: The question embedder (default: ``settings.embedding_model``'s).
        """
        from qa.index.embeddings import get_embeddings

        return cls(
            store=store,
            embeddings=embeddings or get_embeddings(settings.embedding_model),
            k=settings.k,
            fetch_k=settings.fetch_k,
            dense_weight=settings.dense_weight,
            sentence_weight=settings.sentence_weight,
            lexical_weight=settings.lexical_weight,
            min_sentence_chars=settings.min_sentence_chars,
        )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.retrieve(query).passages

    def retrieve(
        self, query: str, filters: SearchFilters | None = None, k: int | None = None
    ) -> Retrieval:
        """Rank passages for ``query``.

        Args:
            query: The question.
            filters: Overrides the retriever's own filters for this call.
            k: How many fused passages to return (default ``self.k``).

        Raises:
            IndexChangingError: Another process kept changing the index through two tries.
        """
        filters = filters or self.filters
        k = k or self.k
        try:
            return self._retrieve(query, filters, k)
        except IndexChangingError:
            # An ingest wrote while this question was read: once more, from the index as it
            # is now (a new catalog if the ingest has moved the generation on).
            self.store.refresh()
            return self._retrieve(query, filters, k)

    def _retrieve(self, query: str, filters: SearchFilters, k: int) -> Retrieval:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        catalog = catalog_of(self.store)
        allowed: set[str] | None = None
        where: dict[str, Any] | None = None
        if filters.active:
            allowed = {doc for doc, meta in catalog.documents.items() if filters.matches(meta)}
            where = {"doc_id": {"$in": sorted(allowed)}} if allowed else None
        timings["catalog"] = elapsed_ms(clock)
        if allowed is not None and not allowed:
            return Retrieval([], [], timings_ms=timings)

        clock = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        timings["embed"] = elapsed_ms(clock)

        clock = time.perf_counter()
        dense = self.store.search(vector, self.fetch_k, where)
        dense_scores = {str(hit.passage.id): hit.score for hit in dense}
        timings["dense"] = elapsed_ms(clock)

        clock = time.perf_counter()
        lexical = catalog.lexical.search(query, self.fetch_k, allowed, question_language(query))
        top_lexical = lexical[0].score if lexical else 0.0
        lexical_scores = {str(hit.passage.id): hit.score / top_lexical for hit in lexical}
        timings["lexical"] = elapsed_ms(clock)

        clock = time.perf_counter()
        candidate_ids = list(dict.fromkeys([*dense_scores, *lexical_scores]))
        candidates = [catalog.by_id[pid] for pid in candidate_ids if pid in catalog.by_id]
        query_array = np.asarray(vector, dtype=np.float32)
        # Lexical-only candidates have no dense score yet: score their stored vectors directly.
        for pid, stored in self.store.passage_vectors(
            [pid for pid in candidate_ids if pid not in dense_scores]
        ).items():
            dense_scores[pid] = float(np.asarray(stored, dtype=np.float32) @ query_array)
        sentences = _score_sentences(catalog, self.store, candidates, query_array)
        sentence_scores = _best_sentences(candidates, sentences, self.min_sentence_chars)
        timings["sentences"] = elapsed_ms(clock)

        clock = time.perf_counter()
        fused = {
            str(p.id): self.dense_weight * dense_scores.get(str(p.id), 0.0)
            + self.sentence_weight * sentence_scores.get(str(p.id), 0.0)
            + self.lexical_weight * lexical_scores.get(str(p.id), 0.0)
            for p in candidates
        }
        order = sorted(fused, key=lambda pid: -fused[pid])[:k]
        dense_ranks = {
            pid: rank
            for rank, pid in enumerate(
                sorted(dense_scores, key=lambda pid: -dense_scores[pid]), start=1
            )
        }
        lexical_ranks = {str(hit.passage.id): rank for rank, hit in enumerate(lexical, start=1)}
        passages = []
        for rank, pid in enumerate(order, start=1):
            meta = dict(catalog.by_id[pid].metadata)
            meta.update(
                rank=rank,
                fused_score=round(fused[pid], 5),
                dense_score=round(dense_scores.get(pid, 0.0), 5),
                dense_rank=dense_ranks.get(pid),
                sentence_score=round(sentence_scores.get(pid, 0.0), 5),
                lexical_rank=lexical_ranks.get(pid),
            )
            passages.append(
                Document(page_content=catalog.by_id[pid].page_content, metadata=meta, id=pid)
            )
        timings["fuse"] = elapsed_ms(clock)
        return Retrieval(
            passages=passages,
            query_vector=vector,
            top_dense=dense[0].score if dense else 0.0,
            top_sentence=max(sentence_scores.values(), default=0.0),
            sentences=sentences,
            timings_ms=timings,
            vocabulary=catalog.vocabulary,
        )


def _score_sentences(
    catalog: Catalog, store: PassageStore, candidates: list[Document], query: np.ndarray
) -> list[ScoredSentence]:
    """Every stored sentence of the candidates' documents, scored against the question."""
    scored: list[ScoredSentence] = []
    for sentences, matrix in catalog.sentences(store, [p.metadata["doc_id"] for p in candidates]):
        if sentences:
            scores = matrix @ query
            scored.extend(
                ScoredSentence(s, float(v)) for s, v in zip(sentences, scores, strict=True)
            )
    return scored


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()`` reading), rounded."""
    return round((time.perf_counter() - start) * 1000, 2)
