"""Pooled passage vectors: a passage's vector made from its sentences' vectors, not embedded.

A passage is a run of whole sentences (``qa.index.chunking``), and every sentence is embedded
anyway for evidence; embedding the passage as well puts each token through the model twice.
A pooled passage vector is the normalised mean of the vectors of its sentences and of its
context line (title and section, which an embedded passage carries as its first line), each
weighted by its length in characters, as the model's own mean pooling weighs tokens.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from langchain_core.documents import Document

# The sentence ``start`` of a context line: no sentence starts before the text, so readers of
# sentences leave context lines out by asking for ``start >= 0``.
CONTEXT_START = -1


def context_text(metadata: dict[str, Any]) -> str:
    """The context line a passage is embedded (or pooled) with: ``title - section``, or ``""``."""
    parts = (metadata.get("title"), metadata.get("section"))
    return " - ".join(str(part) for part in parts if part)


class PassagePooler:
    """Pools the vectors of one document's sentences and context lines into passage vectors.

    Example:
        >>> sentences = [Document("We keep logs.", metadata={"start": 0, "end": 13})]
        >>> passage = Document("We keep logs.", metadata={"start": 0, "end": 13, "title": "T"})
        >>> pooler = PassagePooler(sentences)
        >>> pooler.contexts([passage])
        ['T']
        >>> pooler.pool([passage], [[1.0, 0.0]], {"T": [0.0, 1.0]})[0][0] > 0.97
        True
    """

    def __init__(self, sentences: list[Document]) -> None:
        """Index ``sentences`` (a document's, with ``start``/``end`` offsets, in text order).

        Raises:
            ValueError: The sentences are not in text order.
        """
        starts = [int(s.metadata["start"]) for s in sentences]
        if starts != sorted(starts):
            msg = "sentences must be in text order to be pooled into passages"
            raise ValueError(msg)
        self._sentences = sentences
        self._starts = starts

    def contexts(self, passages: list[Document]) -> list[str]:
        """The distinct non-empty context lines of ``passages``, in first-seen order."""
        lines = (context_text(p.metadata) for p in passages)
        return list(dict.fromkeys(line for line in lines if line))

    def members(self, passage: Document) -> list[int]:
        """Indices of the sentences inside ``passage`` (``[start, end)`` offsets)."""
        start, end = int(passage.metadata["start"]), int(passage.metadata["end"])
        first = bisect.bisect_left(self._starts, start)
        return [
            index
            for index in range(first, len(self._sentences))
            if self._starts[index] < end and int(self._sentences[index].metadata["end"]) <= end
        ]

    def pool(
        self,
        passages: list[Document],
        sentence_vectors: list[list[float]],
        context_vectors: dict[str, list[float]],
    ) -> list[list[float]]:
        """One unit vector per passage: the length-weighted mean of its parts, normalised.

        Args:
            passages: The document's passages (``start``/``end``, ``title``/``section``).
            sentence_vectors: One vector per sentence given to the constructor, in order.
            context_vectors: A vector for each line ``contexts`` returned.

        Returns:
            ``len(passages)`` lists of floats of the vectors' dimension.

        Raises:
            ValueError: The counts do not match, or a passage holds no sentence and no context.
        """
        if len(sentence_vectors) != len(self._sentences):
            msg = f"{len(sentence_vectors)} sentence vectors for {len(self._sentences)} sentences"
            raise ValueError(msg)
        matrix = np.asarray(sentence_vectors, dtype=np.float64)
        lengths = np.asarray([len(s.page_content) for s in self._sentences], dtype=np.float64)
        pooled: list[list[float]] = []
        for passage in passages:
            rows = self.members(passage)
            total = lengths[rows] @ matrix[rows] if rows else np.zeros(matrix.shape[1])
            context = context_text(passage.metadata)
            if context:
                total = total + len(context) * np.asarray(context_vectors[context])
            norm = float(np.linalg.norm(total))
            if norm == 0.0:
                msg = f"passage {passage.id} holds no sentence to pool"
                raise ValueError(msg)
            pooled.append((total / norm).tolist())
        return pooled
