"""Hybrid retrieval: dense passages + dense sentences + BM25, fused by weighted reciprocal rank.

Three rankings of the same passages, each good at something the others miss: passage vectors
find paraphrases and cross-lingual matches, sentence vectors find the one sentence that answers
inside a long passage, BM25 finds rare exact words (names, numbers). Reciprocal-rank fusion needs
no score calibration between them.
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.filters import SearchFilters
from qa.lexical import LexicalCache, LexicalIndex
from qa.store import PassageStore, ScoredPassage

DEFAULT_K = 6
DEFAULT_FETCH_K = 30
RRF_CONSTANT = 20
_WORD = re.compile(r"\w+")
_LEXICAL_CACHE = LexicalCache()


@dataclass
class Retrieval:
    """What retrieval found for one question, with the raw signals the refusal rule uses."""

    passages: list[Document]
    query_vector: list[float]
    top_dense: float = 0.0
    top_sentence: float = 0.0
    top_lexical: float = 0.0
    sentence_hits: list[ScoredPassage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    allowed_docs: int = 0
    vocabulary: frozenset[str] = frozenset()


class _Catalog:
    """The stored passages in memory: BM25 plus lookup of a passage by document offset."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self.by_id = {str(p.id): p for p in lexical.passages}
        self._by_doc: dict[str, list[Document]] = {}
        for passage in lexical.passages:
            self._by_doc.setdefault(passage.metadata["doc_id"], []).append(passage)
        self._starts = {doc: [p.metadata["start"] for p in ps] for doc, ps in self._by_doc.items()}
        self.documents: dict[str, dict[str, Any]] = {
            doc: ps[0].metadata for doc, ps in self._by_doc.items()
        }
        # Every word of the corpus: a question naming something no document mentions is rarely
        # answerable from it.
        self.vocabulary = frozenset(
            word
            for p in lexical.passages
            for word in _WORD.findall(f"{p.metadata.get('title', '')} {p.page_content}".casefold())
        )

    def passage_at(self, doc_id: str, offset: int) -> Document | None:
        """The first passage of ``doc_id`` that contains ``offset`` (passages may overlap)."""
        passages = self._by_doc.get(doc_id, [])
        index = bisect.bisect_right(self._starts.get(doc_id, []), offset) - 1
        # Overlapping neighbours: prefer the earliest passage that still holds the offset.
        while index > 0 and passages[index - 1].metadata["end"] > offset:
            index -= 1
        if 0 <= index < len(passages) and passages[index].metadata["end"] > offset:
            return passages[index]
        return None


_CATALOGS: dict[tuple[str, int], _Catalog] = {}


def _catalog(store: PassageStore) -> _Catalog:
    key = (str(store.index_dir.resolve()), store.manifest.generation)
    if key not in _CATALOGS:
        lexical = _LEXICAL_CACHE.get(key[0], key[1], store.all_passages)
        _CATALOGS.clear()
        _CATALOGS[key] = _Catalog(lexical)
    return _CATALOGS[key]


def _ranks(ids: list[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for rank, pid in enumerate(ids, start=1):
        ranks.setdefault(pid, rank)
    return ranks


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over a ``PassageStore``: dense + sentence + BM25, with filters.

    Returned passages carry ``rank``, ``fused_score``, ``dense_score``, ``dense_rank``,
    ``sentence_score``, ``sentence_rank`` and ``lexical_rank`` in their metadata.

    Example:
        >>> retriever = HybridRetriever(store=store, embeddings=embeddings)  # doctest: +SKIP
        >>> retriever.invoke("Is my contact list shared with Facebook?")[0].metadata["doc_id"]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    embeddings: Embeddings
    k: int = DEFAULT_K
    fetch_k: int = DEFAULT_FETCH_K
    dense_weight: float = 1.0
    sentence_weight: float = 1.0
    lexical_weight: float = 0.7
    filters: SearchFilters = SearchFilters()

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
        """
        filters = filters or self.filters
        k = k or self.k
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        catalog = _catalog(self.store)
        allowed: set[str] | None = None
        where: dict[str, Any] | None = None
        if filters.active:
            allowed = {doc for doc, meta in catalog.documents.items() if filters.matches(meta)}
            where = {"doc_id": {"$in": sorted(allowed)}} if allowed else None
        timings["catalog"] = _elapsed(clock)
        n_docs = len(catalog.documents) if allowed is None else len(allowed)
        if allowed is not None and not allowed:
            return Retrieval([], [], timings_ms=timings, allowed_docs=0)

        clock = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        timings["embed"] = _elapsed(clock)

        clock = time.perf_counter()
        dense = self.store.search(vector, self.fetch_k, where)
        timings["dense"] = _elapsed(clock)

        clock = time.perf_counter()
        sentence_hits = self.store.search_sentences(vector, self.fetch_k * 2, where)
        sentence_best: dict[str, float] = {}
        for hit in sentence_hits:
            passage = catalog.passage_at(
                hit.passage.metadata["doc_id"], hit.passage.metadata["start"]
            )
            if passage is not None and str(passage.id) not in sentence_best:
                sentence_best[str(passage.id)] = hit.score
        timings["sentences"] = _elapsed(clock)

        clock = time.perf_counter()
        lexical = catalog.lexical.search(query, self.fetch_k, allowed)
        timings["lexical"] = _elapsed(clock)

        clock = time.perf_counter()
        dense_ranks = _ranks([str(hit.passage.id) for hit in dense])
        sentence_ranks = _ranks(list(sentence_best))
        lexical_ranks = _ranks([str(hit.passage.id) for hit in lexical])
        dense_scores = {str(hit.passage.id): hit.score for hit in dense}
        fused: dict[str, float] = {}
        for ranks, weight in (
            (dense_ranks, self.dense_weight),
            (sentence_ranks, self.sentence_weight),
            (lexical_ranks, self.lexical_weight),
        ):
            for pid, rank in ranks.items():
                fused[pid] = fused.get(pid, 0.0) + weight / (RRF_CONSTANT + rank)
        order = sorted(fused, key=lambda pid: -fused[pid])[:k]
        passages = []
        for rank, pid in enumerate(order, start=1):
            base = catalog.by_id.get(pid)
            if base is None:
                continue  # stored after the catalog was built; the next generation will have it
            meta = dict(base.metadata)
            meta.update(
                rank=rank,
                fused_score=fused[pid],
                dense_score=dense_scores.get(pid),
                dense_rank=dense_ranks.get(pid),
                sentence_score=sentence_best.get(pid),
                sentence_rank=sentence_ranks.get(pid),
                lexical_rank=lexical_ranks.get(pid),
            )
            passages.append(Document(page_content=base.page_content, metadata=meta, id=pid))
        timings["fuse"] = _elapsed(clock)
        return Retrieval(
            passages=passages,
            query_vector=vector,
            top_dense=dense[0].score if dense else 0.0,
            top_sentence=sentence_hits[0].score if sentence_hits else 0.0,
            top_lexical=lexical[0].score if lexical else 0.0,
            sentence_hits=sentence_hits,
            timings_ms=timings,
            allowed_docs=n_docs,
            vocabulary=catalog.vocabulary,
        )


def _elapsed(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
