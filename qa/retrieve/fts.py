"""Lexical search over the side index: FTS5's BM25 on the stored stems, and term weights.

The ranking is FTS5's ``bm25()`` (k1 = 1.2, b = 0.75; idf ``log((N - n + 0.5) / (n + 0.5))``,
floored at 1e-6), where the in-memory index it replaced used rank_bm25's Okapi (k1 = 1.5,
b = 0.75; a negative idf replaced by a quarter of the mean idf). FTS5 lets no parameter be set,
so: term frequency saturates a little sooner, and a word in more than half of the passages
counts for nearly nothing instead of a little (a word in exactly half, which rank_bm25 dropped
with idf 0, is found). Fused with the dense scores at weight 0.08 (``qa.settings``), on the
fitting questions over ``../shared/corpus`` (``fineprint eval``, 2026-11-29) hit@1 stayed 0.676,
ndcg@10 0.819 -> 0.820, citation recall 0.824 -> 0.853; abstention recall 0.286 -> 0.143 (one of
the 7 unanswerable questions, whose margin was -0.06, now answers). ``term_weights`` keeps
rank_bm25's idf exactly, from the persisted document frequencies.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.documents import Document

from qa.retrieve.lexical import LexicalHit, tokenize
from qa.retrieve.snapshot import SideSnapshot, okapi_idf

# rank_bm25's default: a negative idf becomes this share of the mean idf.
NEGATIVE_IDF_SHARE = 0.25


class PersistedLexicalIndex:
    """BM25 over the passages of a side-index snapshot (``LexicalIndex``'s interface).

    Example:
        >>> index = PersistedLexicalIndex(snapshot, catalog_passages)  # doctest: +SKIP
        >>> index.search("contacts", 1)[0].passage.id  # doctest: +SKIP
        'a#0'
    """

    def __init__(
        self, snapshot: SideSnapshot, passages: Callable[[list[str]], dict[str, Document]]
    ) -> None:
        """Search ``snapshot``; ``passages(ids)`` turns hit ids into the catalog's passages."""
        self._snapshot = snapshot
        self._passages = passages

    def search(
        self, query: str, k: int, allowed: set[str] | None = None, language: str = "en"
    ) -> list[LexicalHit]:
        """The ``k`` best passages for ``query``, restricted to ``allowed`` doc ids if given.

        Returns:
            Hits best first; ``score`` is FTS5's BM25 negated (positive, unbounded).
        """
        ranked = self._snapshot.search(tokenize(query, language), k, allowed)
        found = self._passages([pid for pid, _ in ranked])
        return [
            LexicalHit(found[pid], score) for pid, score in ranked if score > 0 and pid in found
        ]

    def term_weights(self, query: str, language: str = "en") -> dict[str, float]:
        """Each query token's weight: 1 plus its Okapi idf (rank_bm25's, floored at 0).

        A token no passage holds gets the highest idf, as in ``LexicalIndex.term_weights``.
        """
        tokens = tokenize(query, language)
        frequencies = self._snapshot.document_frequencies(tokens)
        weights: dict[str, float] = {}
        for token in tokens:
            holding = frequencies.get(token)
            if holding is None:
                idf = self._snapshot.idf_statistics()[2]
            else:
                idf = okapi_idf(self._snapshot.passage_count(), holding)
                if idf < 0:
                    idf = NEGATIVE_IDF_SHARE * self._snapshot.idf_statistics()[1]
            weights[token] = 1.0 + max(0.0, idf)
        return weights
