"""Sentence vectors computed at question time, for indexes that do not embed sentences.

An index built with ``sentence_vectors = "lazy"`` stores each sentence with its passage's
vector as a stand-in, so the sentences of a passage score alike until they are embedded. The
sentences inside a question's best candidates are embedded when first needed and kept in memory
by the hash of their text (any passage, document or version with that text reuses it), so each
distinct text is embedded at most once per process.
"""

from __future__ import annotations

import threading

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from qa.load.corpus import content_hash
from qa.retrieve.catalog import ScoredSentence

# Vectors kept in memory before the cache starts over (about 150 MB at 384 dims).
CACHE_LIMIT = 100_000


class LazySentenceVectors:
    """Embeds the sentences of chosen passages on first use and rescores them.

    Example:
        >>> lazy = LazySentenceVectors()
        >>> lazy.rescore(embeddings, scored, passages, query)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        """An empty cache (text hash -> unit vector)."""
        self._vectors: dict[tuple[int, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self.embedded = 0

    def rescore(
        self,
        embeddings: Embeddings,
        sentences: list[ScoredSentence],
        passages: list[Document],
        query: np.ndarray,
        min_chars: int = 0,
    ) -> list[ScoredSentence]:
        """``sentences`` with the true cosine for those inside ``passages``, others as given.

        Args:
            embeddings: The index's embedding model (``embed_documents`` adds its prefix).
            sentences: Scored stored sentences of the candidates' documents.
            passages: The passages whose sentences get their own vectors.
            query: The question's unit vector, shape ``(dim,)``.
            min_chars: Shorter sentences are left as given: they never score or get quoted
                (``Settings.min_sentence_chars``), so embedding them would be wasted.

        Returns:
            A new list in the order of ``sentences``.
        """
        spans: dict[str, list[tuple[int, int]]] = {}
        for passage in passages:
            meta = passage.metadata
            spans.setdefault(meta["doc_id"], []).append((int(meta["start"]), int(meta["end"])))
        inside = [
            index
            for index, item in enumerate(sentences)
            if len(item.sentence.page_content) >= min_chars
            and _within(item.sentence, spans.get(item.sentence.metadata["doc_id"], []))
        ]
        texts = {index: sentences[index].sentence.page_content for index in inside}
        keys = {index: content_hash(text.encode("utf-8")) for index, text in texts.items()}
        vectors = self._vectors_for(embeddings, {keys[i]: texts[i] for i in inside})
        rescored = list(sentences)
        for index in inside:
            rescored[index] = ScoredSentence(
                sentences[index].sentence, float(vectors[keys[index]] @ query)
            )
        return rescored

    def _vectors_for(self, embeddings: Embeddings, texts: dict[str, str]) -> dict[str, np.ndarray]:
        """Vectors by text hash, embedding those not seen before in one call."""
        model = id(embeddings)
        with self._lock:
            cached = {key: self._vectors.get((model, key)) for key in texts}
        found = {key: vector for key, vector in cached.items() if vector is not None}
        missing = [key for key in texts if key not in found]
        if missing:
            computed = np.asarray(
                embeddings.embed_documents([texts[key] for key in missing]), dtype=np.float32
            )
            with self._lock:
                if len(self._vectors) > CACHE_LIMIT:
                    self._vectors.clear()
                for key, vector in zip(missing, computed, strict=True):
                    self._vectors[(model, key)] = vector
                    found[key] = vector
                self.embedded += len(missing)
        return found


def _within(sentence: Document, spans: list[tuple[int, int]]) -> bool:
    start, end = int(sentence.metadata["start"]), int(sentence.metadata["end"])
    return any(first <= start and end <= last for first, last in spans)


# One cache per process: every chain over any index shares it (keys include the model).
SHARED = LazySentenceVectors()
