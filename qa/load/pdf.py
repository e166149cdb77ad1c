"""PDF files: the text of each page, joined, with each page's starting offset kept.

Each page's text is normalised (ligatures such as "ﬁ" become "fi"), lines the layout wrapped
inside a sentence are joined (and words it hyphenated at a line end), and running headers and
footers repeated on most pages are dropped; page numbers are kept as passage metadata.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from qa.errors import LoadError
from qa.load.text import join_wrapped_lines, normalise_text

PAGE_SEPARATOR = "\n\n"
RUNNING = "running header or footer (repeated on most pages)"
# A line at the top or bottom of at least this share of the pages (and of at least
# _MIN_PAGES_FOR_RUNNING pages) is a running header or footer, not the document's text.
_RUNNING_SHARE = 0.6
_MIN_PAGES_FOR_RUNNING = 3
# Text extraction spaces words by their layout; a quote reads better with single spaces.
_SPACES = re.compile(r"[ \t]{2,}")
_HEADING_WORDS = 8
_EDGE_LINES = 3
# A page number alone on its line, however a document writes it: "3", "- 3 -", "Page 3 of 9",
# "3/9", "Halaman 3 dari 9".
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|halaman|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|dari|/)\s*\d{1,4})?$",
    re.IGNORECASE,
)


def _edge_lines(page: str) -> list[str]:
    # Headers and footers may take a few lines: the name, the title, the date, the number.
    lines = [line.strip() for line in page.split("\n") if line.strip()]
    if len(lines) <= 2 * _EDGE_LINES:
        return lines
    return lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]


def running_lines(pages: list[str]) -> set[str]:
    """The header and footer lines repeated word for word at the edges of most pages.

    Page numbers differ on every page; ``_PAGE_NUMBER`` removes those wherever they are.

    Example:
        >>> pages = [f"Brightfield Ltd\\nText {n}.\\nPage {n} of 3" for n in (1, 2, 3)]
        >>> sorted(running_lines(pages))
        ['Brightfield Ltd']
    """
    if len(pages) < _MIN_PAGES_FOR_RUNNING:
        return set()
    counts: dict[str, int] = {}
    for page in pages:
        for line in set(_edge_lines(page)):
            counts[line] = counts.get(line, 0) + 1
    return {line for line, count in counts.items() if count >= _RUNNING_SHARE * len(pages)}


def mark_headings(page: str, first_page: bool = False) -> str:
    """Mark the page's short title-like lines as headings, so sections follow them.

    A PDF has no heading markup; a line of at most ``_HEADING_WORDS`` words that starts with a
    capital, ends without punctuation and is followed by a line of text is one. The very first
    line of the document is its title (``#``), the others sections (``##``).

    Example:
        >>> mark_headings("Acme Notice\\nPayment details\\nWe never store cards.", True)
        '# Acme Notice\\n## Payment details\\nWe never store cards.'
    """
    lines = page.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        text = line.strip()
        following = next((rest.strip() for rest in lines[index + 1 :] if rest.strip()), "")
        words = text.split()
        heading = (
            0 < len(words) <= _HEADING_WORDS
            and text[0].isupper()
            and text[-1].isalnum()
            and not text.isdigit()
            and bool(following)
        )
        if heading:
            level = "#" if first_page and not out else "##"
            out.append(f"{level} {text}")
        else:
            out.append(line)
    return "\n".join(out)


def _without_running(page: str, running: set[str]) -> str:
    lines = page.split("\n")
    edges = set(_edge_lines(page))
    kept = [
        line
        for line in lines
        if not (
            line.strip() in edges and (line.strip() in running or _PAGE_NUMBER.match(line.strip()))
        )
    ]
    return "\n".join(kept).strip()


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
        raw = [normalise_text(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata
    except LoadError:
        raise
    except Exception as exc:
        # A damaged file makes pypdf raise almost anything (PdfReadError, LimitReachedError for
        # reference loops, NotImplementedError for a garbled filter name, KeyError, ...); every
        # one of them means "cannot read this PDF", never "stop the whole ingest".
        msg = f"broken PDF: {exc or type(exc).__name__}"
        raise LoadError(msg) from exc
    running = running_lines(raw)
    removed = [(RUNNING, line) for line in sorted(running)]
    pages = [
        mark_headings(
            _SPACES.sub(" ", join_wrapped_lines(_without_running(page, running), hyphens=True)),
            number == 0,
        )
        for number, page in enumerate(raw)
    ]
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
    metadata: dict[str, Any] = {"removed": removed}
    title = getattr(info, "title", None) if info else None
    if title and str(title).strip():
        metadata["title"] = str(title).strip()
    return PAGE_SEPARATOR.join(chunks) + "\n", metadata, starts
