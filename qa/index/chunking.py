"""Chunking: a loaded ``Document`` -> passages that follow its headings and sentences.

A passage never crosses a heading; inside a section, whole sentences are packed up to
``chunk_size`` characters, neighbours sharing ``overlap`` sentences. Every passage records its
section path, its ``[start, end)`` offsets in the document text (``text[start:end]`` is exactly the
passage) and, for PDFs, its page.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from qa.index.sentences import sentence_spans
from qa.load.markdown import FRONT_MATTER_FIELDS
from qa.settings import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE

SECTION_SEPARATOR = " > "
# Not tuned, set by reading passages: a trailing passage shorter than this joins its
# neighbour instead of standing alone, as long as the joined passage stays within
# _MAX_MERGED_SHARE of the chunk size. Both are part of the index's pipeline version.
_MIN_PASSAGE_CHARS = 160
_MAX_MERGED_SHARE = 1.5
_HEADING = re.compile(r"^(#{1,6}) (.+)$", re.MULTILINE)
# Metadata of the document that every passage carries (Chroma keeps only scalars).
# The version fields let retrieval pick the versions in force on a date (qa.versions).
_INHERITED = ("doc_id", *FRONT_MATTER_FIELDS, "content_hash", "format", "recorded", "stated_date")


@dataclass(frozen=True)
class _Section:
    path: tuple[str, ...]
    start: int
    end: int


def _sections(text: str, title: str) -> list[_Section]:
    sections: list[_Section] = []
    stack: list[tuple[int, str]] = []
    body_start = 0
    path: tuple[str, ...] = ()
    for match in _HEADING.finditer(text):
        sections.append(_Section(path, body_start, match.start()))
        level, name = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        # The document's own title as a heading adds nothing to a section path.
        if not (not stack and name.casefold() == title.casefold()):
            stack.append((level, name))
        path = tuple(item[1] for item in stack)
        body_start = match.end()
    sections.append(_Section(path, body_start, len(text)))
    return [s for s in sections if text[s.start : s.end].strip()]


def _split_long(start: int, end: int, size: int, text: str) -> list[tuple[int, int]]:
    """Cut one over-long sentence at spaces so no passage exceeds ``size``."""
    pieces: list[tuple[int, int]] = []
    while end - start > size:
        space = text.rfind(" ", start + size // 2, start + size)
        cut = start + size if space == -1 else space
        pieces.append((start, cut))
        # Skip the space cut at; a hard cut inside a word must not drop a character.
        start = cut + 1 if space != -1 else cut
    pieces.append((start, end))
    return pieces


def _pack(spans: list[tuple[int, int]], size: int, overlap: int) -> list[list[tuple[int, int]]]:
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in spans:
        if current and span[1] - current[0][0] > size:
            groups.append(current)
            carried = current[-overlap:] if overlap and len(current) > overlap else []
            # Carry only what leaves room for the new sentence.
            while carried and span[1] - carried[0][0] > size:
                carried = carried[1:]
            current = list(carried)
        current.append(span)
    if current:
        if groups and current[-1][1] - current[0][0] < _MIN_PASSAGE_CHARS:
            merged = sorted(set(groups[-1]) | set(current))
            if merged[-1][1] - merged[0][0] <= size * _MAX_MERGED_SHARE:
                groups[-1] = merged
                return groups
        groups.append(current)
    return groups


def _sectioned_sentences(
    document: Document, chunk_size: int
) -> list[tuple[_Section, list[tuple[int, int]]]]:
    text = document.page_content
    result = []
    for section in _sections(text, str(document.metadata.get("title", ""))):
        spans: list[tuple[int, int]] = []
        for start, end in sentence_spans(text, section.start, section.end):
            spans.extend(_split_long(start, end, chunk_size, text))
        result.append((section, spans))
    return result


def document_sentences(document: Document, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Document]:
    """The sentences passages are built from, as ``Document``s with ``doc_id``/``start``/``end``.

    Fineprint embeds these too, so evidence can be chosen sentence by sentence at question time
    without embedding anything but the question.
    """
    doc_id = document.metadata.get("doc_id", "")
    return [
        Document(
            page_content=document.page_content[start:end],
            metadata={"doc_id": doc_id, "start": start, "end": end},
            id=f"{doc_id}@{start}",
        )
        for _, spans in _sectioned_sentences(document, chunk_size)
        for start, end in spans
    ]


def chunk_document(
    document: Document, chunk_size: int = DEFAULT_CHUNK_SIZE, overlap: int = DEFAULT_CHUNK_OVERLAP
) -> list[Document]:
    """Split a loaded document into passages.

    Args:
        document: A document from ``qa.load``; its ``page_content`` is the text offsets refer to.
        chunk_size: Maximum characters per passage (a single longer sentence is cut at spaces).
        overlap: Sentences a passage shares with the one before it.

    Returns:
        Passages as ``Document``s with ``id`` ``"<doc_id>#<n>"`` and metadata ``section``,
        ``start``, ``end``, ``passage_index`` (and ``page``/``page_end`` for PDFs).

    Example:
        >>> doc = Document(page_content="## Data\\nWe collect data. We share it.\\n",
        ...                metadata={"doc_id": "a.md", "title": "A"})
        >>> [(p.metadata["section"], p.page_content) for p in chunk_document(doc)]
        [('Data', 'We collect data. We share it.')]
    """
    if chunk_size < 1:
        msg = f"chunk_size must be positive, got {chunk_size}"
        raise ValueError(msg)
    text = document.page_content
    meta = document.metadata
    page_starts: list[int] | None = meta.get("page_starts")
    passages: list[Document] = []
    for section, spans in _sectioned_sentences(document, chunk_size):
        for group in _pack(spans, chunk_size, overlap):
            start, end = group[0][0], group[-1][1]
            passages.append(
                _passage(text, start, end, section.path, meta, page_starts, len(passages))
            )
    return passages


def _passage(
    text: str,
    start: int,
    end: int,
    path: tuple[str, ...],
    meta: dict[str, Any],
    page_starts: list[int] | None,
    index: int,
) -> Document:
    passage_meta: dict[str, Any] = {key: meta[key] for key in _INHERITED if key in meta}
    passage_meta.update(
        section=SECTION_SEPARATOR.join(path), start=start, end=end, passage_index=index
    )
    if page_starts:
        passage_meta["page"] = bisect.bisect_right(page_starts, start)
        passage_meta["page_end"] = bisect.bisect_right(page_starts, max(start, end - 1))
    doc_id = meta.get("doc_id", "")
    return Document(page_content=text[start:end], metadata=passage_meta, id=f"{doc_id}#{index}")
