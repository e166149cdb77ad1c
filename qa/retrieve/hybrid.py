"""Hybrid retrieval: dense passages, their best sentence, BM25 and title matches, fused linearly.

Candidates come from two searches: Chroma's nearest passages and BM25's best passages. Each
candidate is then described by the features in ``FEATURES``, each good at something the others
miss:

- ``dense``: the cosine of the passage vector (paraphrases, cross-lingual matches);
- ``sentence``: the cosine of its best sentence (the one sentence that answers inside a long
  passage);
- ``lexical``: BM25 relative to the best BM25 hit (rare exact words: names, numbers, terms);
- ``dense_rank`` and ``lexical_rank``: the reciprocal of the candidate's rank in each search
  (what reciprocal-rank fusion adds: how a candidate stands among its rivals);
- ``title``: the cosine of the document's title and publisher ("Signal" asked about, the Signal
  policy answering), and ``title_words`` / ``section_words``: the share of the question's words
  in the title and publisher, and in the passage's section heading.

The fused score is a weighted sum, the weights fitted by logistic regression (scikit-learn) on
the fitting questions only (``evals/fit_ranking.py``; the weights and what they were fitted on
are in ``qa.settings``). Passages with the same text (a copied file, an unchanged paragraph of
another version) are handed on once, the others recorded as its copies.
"""

from __future__ import annotations

import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from qa.errors import IndexChangingError
from qa.index.store import PassageStore, ScoredPassage
from qa.load.language import question_language
from qa.retrieve.acronyms import expansions, other_forms
from qa.retrieve.bilingual import counterpart, counterpart_groups, other_language
from qa.retrieve.catalog import (
    Catalog,
    ScoredSentence,
    SentencesByPlace,
    catalog_of,
    rows_within,
    same_text_key,
)
from qa.retrieve.filters import SearchFilters
from qa.retrieve.lexical import LexicalHit, tokenize
from qa.retrieve.sentence_vectors import SHARED, vector_file
from qa.settings import (
    DEFAULT_FETCH_K,
    DEFAULT_FUSION_WEIGHTS,
    DEFAULT_K,
    DEFAULT_LAZY_SENTENCE_PASSAGES,
    DEFAULT_MIN_SENTENCE_CHARS,
    FUSION_FEATURES,
    SENTENCE_VECTORS_LAZY,
    Settings,
)

# The features every candidate gets, in a fixed order (the fitting script's columns).
FEATURES = FUSION_FEATURES


@dataclass
class Retrieval:
    """What retrieval found for one question, with the raw signals abstention uses.

    ``passages`` are the fused top ``k``, no two with the same text; ``sentences`` the stored
    sentences inside the candidate passages, scored, in document then text order; ``copies``
    maps a passage id to the other candidates with its text (other documents, other versions);
    ``features`` holds every candidate's features by passage id (``FEATURES``), for fitting
    and reports.
    ``counterpart`` is the question's words in the other language (``qa.retrieve.bilingual``),
    ``""`` when none is known, ``counterpart_weights`` their weights, as ``term_weights``
    holds the question's, and ``counterpart_groups`` its tokens grouped by the question word
    they translate (``counterpart_groups``).
    """

    passages: list[Document]
    query_vector: list[float]
    top_dense: float = 0.0
    top_sentence: float = 0.0
    sentences: list[ScoredSentence] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    vocabulary: AbstractSet[str] = frozenset()
    copies: dict[str, list[Document]] = field(default_factory=dict)
    features: dict[str, dict[str, float]] = field(default_factory=dict)
    candidates: dict[str, Document] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)
    term_weights: dict[str, float] = field(default_factory=dict)
    counterpart: str = ""
    counterpart_weights: dict[str, float] = field(default_factory=dict)
    counterpart_groups: list[frozenset[str]] = field(default_factory=list)


def _best_sentences(
    candidates: list[Document], sentences: list[ScoredSentence], min_chars: int
) -> dict[str, float]:
    """The best sentence cosine inside each candidate passage (0 when it has none)."""
    places = SentencesByPlace(sentences)
    best: dict[str, float] = {}
    for passage in candidates:
        meta = passage.metadata
        inside = [
            item.score
            for item in places.within(meta["doc_id"], int(meta["start"]), int(meta["end"]))
            if len(item.sentence.page_content) >= min_chars
        ]
        best[str(passage.id)] = max(inside, default=0.0)
    return best


def _share(words: set[str], text: str, language: str) -> float:
    """The share of ``words`` (question tokens) among the tokens of ``text``, 0..1."""
    if not words or not text:
        return 0.0
    return len(words & set(tokenize(text, language))) / len(words)


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over a ``PassageStore``: dense, sentence, BM25 and title, fused.

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
    fusion_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_FUSION_WEIGHTS))
    min_sentence_chars: int = DEFAULT_MIN_SENTENCE_CHARS
    filters: SearchFilters = SearchFilters()
    # Compute every feature even where its weight is 0 (``evals/fit_ranking.py`` fits them all).
    all_features: bool = False
    # On an index without sentence vectors: candidates whose sentences are embedded per question.
    lazy_sentence_passages: int = DEFAULT_LAZY_SENTENCE_PASSAGES

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
            fusion_weights=dict(settings.fusion_weights),
            min_sentence_chars=settings.min_sentence_chars,
            lazy_sentence_passages=settings.lazy_sentence_passages,
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

    def score(self, features: dict[str, float]) -> float:
        """The fused score of one candidate: the weighted sum of its ``features``."""
        return sum(weight * features.get(name, 0.0) for name, weight in self.fusion_weights.items())

    def _retrieve(self, query: str, filters: SearchFilters, k: int) -> Retrieval:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        catalog = catalog_of(self.store)
        # The filters and the version choice (current, as of a date): qa.retrieve.catalog.
        allowed = catalog.allowed(filters)
        where: dict[str, Any] | None = {"doc_id": {"$in": sorted(allowed)}} if allowed else None
        timings["catalog"] = elapsed_ms(clock)
        if allowed is not None and not allowed:
            return Retrieval([], [], timings_ms=timings)

        clock = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        # The embedding model does not know that "PII" is "personally identifiable
        # information": the question with its acronyms in their other form is searched too, and
        # each passage and sentence keeps the better of its two cosines.
        rewritten = other_forms(query, catalog.acronyms)
        other_vector = self.embeddings.embed_query(rewritten) if rewritten != query else None
        timings["embed"] = elapsed_ms(clock)

        clock = time.perf_counter()
        dense = self.store.search(vector, self.fetch_k, where)
        if other_vector is not None:
            dense = _better_hits(dense, self.store.search(other_vector, self.fetch_k, where))
        dense_scores = {str(hit.passage.id): hit.score for hit in dense}
        timings["dense"] = elapsed_ms(clock)

        clock = time.perf_counter()
        language = question_language(query)
        # BM25 looks for both forms of an acronym: "GDPR" finds "General Data Protection ...".
        expanded = " ".join([query, *expansions(query, catalog.acronyms)])
        # The question's words in the other language find passages written in it: BM25 is a
        # sum over query words, so the two searches' scores add up.
        bridge = counterpart(expanded, language)
        other = other_language(language)
        # Only passages written in the other language count for the counterpart: elsewhere its
        # shared words and names would be counted twice.
        lexical = _merged(
            catalog.lexical.search(expanded, self.fetch_k, allowed, language),
            [
                hit
                for hit in catalog.lexical.search(bridge, self.fetch_k, allowed, other)
                if hit.passage.metadata.get("language") == other
            ]
            if bridge
            else [],
        )
        top_lexical = lexical[0].score if lexical else 0.0
        lexical_scores = {str(hit.passage.id): hit.score / top_lexical for hit in lexical}
        timings["lexical"] = elapsed_ms(clock)

        clock = time.perf_counter()
        candidate_ids = list(dict.fromkeys([*dense_scores, *lexical_scores]))
        known = catalog.passages(candidate_ids)
        candidates = [known[pid] for pid in candidate_ids if pid in known]
        query_array = np.asarray(vector, dtype=np.float32)
        queries = [query_array]
        if other_vector is not None:
            queries.append(np.asarray(other_vector, dtype=np.float32))
        # Lexical-only candidates have no dense score yet: score their stored vectors directly.
        for pid, stored in self.store.passage_vectors(
            [pid for pid in candidate_ids if pid not in dense_scores]
        ).items():
            row = np.asarray(stored, dtype=np.float32)
            dense_scores[pid] = max(float(row @ q) for q in queries)
        sentences = _score_sentences(catalog, self.store, candidates, queries)
        sentence_scores = _best_sentences(candidates, sentences, self.min_sentence_chars)
        timings["sentences"] = elapsed_ms(clock)

        clock = time.perf_counter()
        # Title vectors cost embedding calls: only when the fusion weighs them, or for fitting.
        titles = (
            catalog.title_scores(
                self.embeddings, [p.metadata["doc_id"] for p in candidates], query_array
            )
            if self.fusion_weights.get("title") or self.all_features
            else {}
        )
        words = set(tokenize(expanded, language))
        # The question's words and their counterparts are two views of one question: each
        # share is the better of the two, so a bridge never dilutes the question's own words.
        bridged = set(tokenize(bridge, other))
        dense_ranks = {
            pid: rank
            for rank, pid in enumerate(
                sorted(dense_scores, key=lambda pid: -dense_scores[pid]), start=1
            )
        }
        lexical_ranks = {str(hit.passage.id): rank for rank, hit in enumerate(lexical, start=1)}
        features: dict[str, dict[str, float]] = {}
        for passage in candidates:
            pid, meta = str(passage.id), passage.metadata
            title = f"{meta.get('title', '')} {meta.get('publisher', '')}"
            features[pid] = {
                "dense": dense_scores.get(pid, 0.0),
                "sentence": sentence_scores.get(pid, 0.0),
                "lexical": lexical_scores.get(pid, 0.0),
                "dense_rank": 1.0 / dense_ranks[pid] if pid in dense_ranks else 0.0,
                "lexical_rank": 1.0 / lexical_ranks[pid] if pid in lexical_ranks else 0.0,
                "title": titles.get(meta["doc_id"], 0.0),
                "title_words": max(
                    _share(words, title, language),
                    _share(bridged, title, other),
                ),
                "section_words": max(
                    _share(words, str(meta.get("section", "")), language),
                    _share(bridged, str(meta.get("section", "")), other),
                ),
            }
        timings["features"] = elapsed_ms(clock)

        clock = time.perf_counter()
        fused = {pid: self.score(values) for pid, values in features.items()}
        if self.store.manifest.config.sentence_vectors == SENTENCE_VECTORS_LAZY:
            # The index holds stand-ins for sentence vectors: embed the sentences of the best
            # candidates now, and score those candidates again with their true best sentence.
            best = sorted(fused, key=lambda pid: -fused[pid])[: self.lazy_sentence_passages]
            best_passages = [catalog.by_id[pid] for pid in best]
            # Kept beside the side index, so a new process does not embed them again.
            kept = (
                (vector_file(self.store.side.path), self.store.manifest.config.embedding_model)
                if self.store.side is not None
                else None
            )
            sentences = SHARED.rescore(
                self.embeddings,
                sentences,
                best_passages,
                query_array,
                self.min_sentence_chars,
                kept,
            )
            sentence_scores = _best_sentences(candidates, sentences, self.min_sentence_chars)
            for pid in best:
                features[pid]["sentence"] = sentence_scores.get(pid, 0.0)
                fused[pid] = self.score(features[pid])
            timings["lazy_sentences"] = elapsed_ms(clock)
        ranked = sorted(fused, key=lambda pid: -fused[pid])
        order, copies = _distinct(ranked, catalog, k)
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
            copies={pid: [catalog.by_id[c] for c in copies[pid]] for pid in order if copies[pid]},
            features=features,
            candidates={str(p.id): p for p in candidates},
            acronyms=catalog.acronyms,
            term_weights=catalog.lexical.term_weights(expanded, language),
            counterpart=bridge,
            counterpart_weights=catalog.lexical.term_weights(bridge, other) if bridge else {},
            counterpart_groups=counterpart_groups(expanded, language) if bridge else [],
        )


def _better_hits(first: list[ScoredPassage], second: list[ScoredPassage]) -> list[ScoredPassage]:
    """The passages of two dense searches, each at its better score, best first; as many as
    the longer search returned."""
    best: dict[str, ScoredPassage] = {}
    for hit in [*first, *second]:
        pid = str(hit.passage.id)
        if pid not in best or hit.score > best[pid].score:
            best[pid] = hit
    return sorted(best.values(), key=lambda hit: -hit.score)[: max(len(first), len(second))]


def _merged(first: list[LexicalHit], second: list[LexicalHit]) -> list[LexicalHit]:
    """Two lexical rankings as one, each passage's scores summed, best first."""
    if not second:
        return first
    scores: dict[str, float] = {}
    passages: dict[str, Document] = {}
    for hit in [*first, *second]:
        pid = str(hit.passage.id)
        scores[pid] = scores.get(pid, 0.0) + hit.score
        passages[pid] = hit.passage
    return [
        LexicalHit(passages[pid], scores[pid]) for pid in sorted(scores, key=lambda p: -scores[p])
    ]


def _distinct(
    ranked: list[str], catalog: Catalog, k: int
) -> tuple[list[str], dict[str, list[str]]]:
    """The first ``k`` of ``ranked`` with distinct texts, and each one's same-text copies."""
    order: list[str] = []
    copies: dict[str, list[str]] = {}
    first_of: dict[str, str] = {}
    for pid in ranked:
        key = same_text_key(catalog.by_id[pid].page_content)
        kept = first_of.get(key)
        if kept is not None:
            copies[kept].append(pid)
        elif len(order) < k:
            first_of[key] = pid
            order.append(pid)
            copies[pid] = []
    return order, copies


def _score_sentences(
    catalog: Catalog, store: PassageStore, candidates: list[Document], queries: list[np.ndarray]
) -> list[ScoredSentence]:
    """The stored sentences inside the candidate passages, each scored by its best cosine to
    the question's vectors (the question, and its acronyms' other forms), in document and
    text order.

    Only sentences inside a candidate are kept: a long document holds hundreds, and making
    an object of each cost more than the rest of the sentence stage.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for passage in candidates:
        meta = passage.metadata
        spans.setdefault(meta["doc_id"], []).append((int(meta["start"]), int(meta["end"])))
    scored: list[ScoredSentence] = []
    for doc_id, (sentences, matrix) in zip(
        spans, catalog.sentences(store, list(spans)), strict=True
    ):
        if not sentences:
            continue
        starts, ends = sentences.starts, sentences.ends
        inside = {
            row
            for start, end in spans[doc_id]
            for row in rows_within(starts, ends.__getitem__, start, end)
        }
        if inside:
            rows = sorted(inside)
            # The whole product, then the rows: a row subset's product may round differently.
            scores = np.max([matrix @ query for query in queries], axis=0)[rows]
            scored.extend(
                ScoredSentence(sentences[row], float(value))
                for row, value in zip(rows, scores, strict=True)
            )
    return scored


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()`` reading), rounded."""
    return round((time.perf_counter() - start) * 1000, 2)
