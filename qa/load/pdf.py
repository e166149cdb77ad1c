"""PDF files: the text of each page, joined, with each page's starting offset kept."""

from __future__ import annotations

import io
import logging
from typing import Any

from qa.load.errors import LoadError

PAGE_SEPARATOR = "\n\n"


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
    from pypdf.errors import PdfReadError

    # pypdf logs every recoverable defect; the skip reason is what the user needs to see.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            msg = "encrypted PDF; decrypt it before indexing"
            raise LoadError(msg)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        msg = f"broken PDF: {exc}"
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
