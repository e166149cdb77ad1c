"""One document's stored sentences, made into ``Document`` objects only when asked for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from langchain_core.documents import Document


class StoredSentences(Sequence[Document]):
    """A document's stored sentences in text order, as a read-only sequence of ``Document``.

    A question reads every sentence of its candidates' documents but uses the few inside its
    candidate passages. Building a ``Document`` for each of a long policy's thousands of
    sentences was the larger part of reading it (130 of 325 ms for the ten longest documents
    of the 877-document index), so rows stay as stored until one is asked for, and ``texts``,
    ``starts`` and ``ends`` answer without making any.

    Rows are ``[id, text, metadata]`` with ``metadata["start"]`` and ``metadata["end"]`` the
    sentence's character offsets in its document (as the side index stores them).

    Example:
        >>> rows = StoredSentences([["d@0", "We keep logs.", {"start": 0, "end": 13}]])
        >>> rows.texts, rows.starts, rows[0].page_content
        (['We keep logs.'], [0], 'We keep logs.')
    """

    def __init__(self, rows: list[list[Any]]) -> None:
        """Keep ``rows`` (``[id, text, metadata]`` each, in text order) as they are."""
        self._rows = rows
        self._made: list[Document | None] = [None] * len(rows)
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    @classmethod
    def of(cls, sentences: Iterable[Document]) -> StoredSentences:
        """The sentences given (``Document`` objects, in text order) as a ``StoredSentences``."""
        made = list(sentences)
        rows = [[doc.id, doc.page_content, doc.metadata] for doc in made]
        stored = cls(rows)
        stored._made = list(made)
        return stored

    @property
    def texts(self) -> list[str]:
        """Every sentence's text, in order."""
        return [row[1] for row in self._rows]

    @property
    def starts(self) -> list[int]:
        """Every sentence's start offset in its document, in order (ascending)."""
        if self._starts is None:
            self._starts = [int(row[2]["start"]) for row in self._rows]
        return self._starts

    @property
    def ends(self) -> list[int]:
        """Every sentence's end offset in its document, in order."""
        if self._ends is None:
            self._ends = [int(row[2]["end"]) for row in self._rows]
        return self._ends

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Document: ...

    @overload
    def __getitem__(self, index: slice) -> list[Document]: ...

    def __getitem__(self, index: int | slice) -> Document | list[Document]:
        if isinstance(index, slice):
            return [self._document(row) for row in range(len(self._rows))[index]]
        return self._document(range(len(self._rows))[index])

    def __iter__(self) -> Iterator[Document]:
        for row in range(len(self._rows)):
            yield self._document(row)

    def _document(self, row: int) -> Document:
        made = self._made[row]
        if made is None:
            sid, text, meta = self._rows[row]
            made = self._made[row] = Document(page_content=text, metadata=meta, id=sid)
        return made
