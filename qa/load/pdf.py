"""PDF files: the text of each page, joined, with each page's starting offset kept."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from qa.errors import LoadError

PAGE_SEPARATOR = "\n\n"
# A line break inside a sentence: after a character that does not end a clause, before a
# lower-case letter. PDF text breaks wherever the layout wrapped the line.
_WRAP = re.compile(r"(?<=[^\s.!?:;])\n(?=[^\W\d_])")


def unwrap_lines(text: str) -> str:
    """Join lines the PDF layout wrapped mid-sentence (same length, so offsets do not move).

    Every line break ends a sentence for the sentence splitter, so without this a wrapped
    sentence would become two fragments.

    Example:
        >>> unwrap_lines("We delete backups\\nwithin ninety days.\\nYou may ask us.")
        'We delete backups within ninety days.\\nYou may ask us.'
    """
    return _WRAP.sub(lambda m: " " if text[m.end()].islower() else "\n", text)


def load_pdf(data: bytes) -> tuple[str, dict[str, Any], list[int]]:
    """Extract a PDF's text page by page.

    Returns:
        The joined text, metadata (title when the PDF names one) and the offset at which each
        page's text starts, so a passage can say which page it came from.

    Raises:
        LoadError: For a file pypdf cannot read, an encrypted PDF, or one without any text
            (a scan needs OCR first).
    """
    from pypdf import PdfReader

    # pypdf logs every recoverable defect; the skip reason is what the user needs to see.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            msg = "encrypted PDF; decrypt it before indexing"
            raise LoadError(msg)
        pages = [unwrap_lines((page.extract_text() or "").strip()) for page in reader.pages]
        info = reader.metadata
    except LoadError:
        raise
    except Exception as exc:
        # A damaged file makes pypdf raise almost anything (PdfReadError, LimitReachedError for
        # reference loops, NotImplementedError for a garbled filter name, KeyError, ...); every
        # one of them means "cannot read this PDF", never "stop the whole ingest".
        msg = f"broken PDF: {exc or type(exc).__name__}"
        raise LoadError(msg) from exc
    if not any(pages):
        msg = "PDF has no extractable text (a scanned PDF needs OCR first)"
        raise LoadError(msg)
    starts: list[int] = []
    chunks: list[str] = []
    offset = 0
    for text in pages:
        starts.append(offset)
        chunks.append(text)
        offset += len(text) + len(PAGE_SEPARATOR)
    metadata: dict[str, Any] = {}
    title = getattr(info, "title", None) if info else None
    if title and str(title).strip():
        metadata["title"] = str(title).strip()
    return PAGE_SEPARATOR.join(chunks) + "\n", metadata, starts
