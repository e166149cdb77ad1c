"""HTML pages: the text a reader sees in the page's main content, and nothing a reader does not.

Three steps:

1. What no reader sees goes first: scripts, styles, comments, elements hidden by the ``hidden``
   attribute, ``aria-hidden``, ``display:none``, ``visibility:hidden``, zero opacity, tiny or
   white text. So does site furniture no policy consists of: navigation, header, footer,
   forms, and cookie-consent, newsletter and share widgets.
2. trafilatura (a maintained main-content extractor) turns the page's main content into
   Markdown: headings as ``#`` lines, nested lists, tables. Chosen over readability-lxml on the
   cases in ``../shared/cases``: readability's clean-up drops short lists and small tables,
   which are what policies list their data and partners in.
3. Fineprint's Markdown cleaning (``qa.load.markdown.clean_markdown``) makes it the indexed
   text: headings are the chunker's sections, list items stay, and each table row becomes one
   line carrying its column headers ("Meter readings — While you are a customer: 6 years").

What was dropped and why is returned with the text (``qa.load`` keeps it for ``fineprint
inspect`` and the ingest summary).
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from qa.errors import LoadError
from qa.load.markdown import clean_markdown

# Never text: code, media, widgets' machinery.
_CODE = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object")
# Site furniture around a document, not the document.
_FURNITURE = ("nav", "header", "footer", "aside", "form", "button", "select", "dialog")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)"
    r"|font-size\s*:\s*(?:0|1|2)(?:\.\d+)?(?:px|pt)?\s*(?:;|$)"
    r"|(?<![-\w])color\s*:\s*(?:#fff(?:fff)?|white|rgba?\(\s*255\s*,\s*255\s*,\s*255)",
    re.IGNORECASE,
)
# Consent, cookie-banner, newsletter and share widgets, by id, class or label. A document about
# cookies is not one: these need the widget word ("banner", "consent", "newsletter", ...).
_WIDGET = re.compile(
    r"consent|cookie[-_ ]?(?:banner|bar|notice|popup|modal|wall|law)|\bcmp\b|cmp[-_]"
    r"|gdpr[-_ ]?(?:banner|popup)|newsletter|subscribe|signup|sign-up|share[-_ ]?(?:bar|buttons?)"
    r"|social[-_ ]?(?:share|links|buttons?)|site[-_ ]?(?:menu|nav|bottom|footer|header)"
    r"|breadcrumb|skip[-_ ]?link",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


def _text_of(node: Tag) -> str:
    return _SPACE.sub(" ", node.get_text(" ", strip=True)).strip()


def _hidden(tag: Tag) -> str | None:
    """Why ``tag`` is invisible to a reader, or ``None``."""
    if tag.has_attr("hidden"):
        return "hidden attribute"
    if str(tag.get("aria-hidden", "")).lower() == "true":
        return "aria-hidden"
    style = str(tag.get("style", ""))
    if style and _HIDDEN_STYLE.search(style):
        return "hidden by its style"
    return None


def _widget(tag: Tag) -> str | None:
    """The kind of site widget ``tag`` is (consent banner, newsletter, ...), or ``None``."""
    classes = tag.get("class") or []
    names = " ".join(
        [str(tag.get("id", "")), *(str(c) for c in classes), str(tag.get("aria-label", ""))]
    )
    if names.strip() and _WIDGET.search(names):
        return "site widget (consent, newsletter, share or menu)"
    return None


def _strip_unseen(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """Remove what a reader never sees or never reads as the document; return what and why."""
    removed: list[tuple[str, str]] = []
    for tag in soup.find_all(_CODE):
        tag.decompose()
    for tag in list(soup.find_all(True)):
        if not isinstance(tag, Tag) or tag.decomposed:
            continue
        # A widget never holds the page's own headings: an element that does is content,
        # whatever its class says ("cookie-notice" may be the cookie policy itself).
        widget = None if tag.find(["h1", "h2"]) else _widget(tag)
        reason = _hidden(tag) or widget
        if reason is None and tag.name in _FURNITURE:
            reason = f"page furniture (<{tag.name}>)"
        if reason is None:
            continue
        text = _text_of(tag)
        if text:
            removed.append((reason, text))
        tag.decompose()
    return removed


def _main_content_markdown(soup: BeautifulSoup) -> str:
    """The page's main content as Markdown, extracted by trafilatura from the cleaned page."""
    import trafilatura

    markdown = trafilatura.extract(
        str(soup),
        output_format="markdown",
        include_formatting=True,  # headings as "#" lines: the chunker's sections
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=True,  # a policy's short clauses and list items are its content
        deduplicate=False,
    )
    return markdown or ""


def load_html(text: str) -> tuple[str, dict[str, Any]]:
    """Extract the main text, title and declared language of an HTML page.

    Returns:
        The text and metadata; ``metadata["removed"]`` lists ``(reason, text)`` for every
        element dropped as hidden, furniture or a widget.

    Raises:
        LoadError: When the page has no visible text.
    """
    soup = BeautifulSoup(text, "html.parser")
    metadata: dict[str, Any] = {}
    if soup.title and soup.title.get_text(strip=True):
        metadata["title"] = soup.title.get_text(strip=True)
    html_tag = soup.find("html")
    if isinstance(html_tag, Tag) and html_tag.get("lang"):
        metadata["language"] = str(html_tag.get("lang"))
    first_heading = soup.find(["h1", "h2"])
    fallback_title = _text_of(first_heading) if isinstance(first_heading, Tag) else ""
    removed = _strip_unseen(soup)
    body = clean_markdown(_main_content_markdown(soup), removed).strip()
    if not body:
        msg = "HTML page has no visible text"
        raise LoadError(msg)
    if "title" not in metadata and fallback_title:
        metadata["title"] = fallback_title
    metadata["removed"] = removed
    return body + "\n", metadata
