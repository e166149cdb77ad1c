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
from qa.load.markdown import ROW_LEAD, clean_markdown, table_row_text

# Never text: code, media, widgets' machinery.
_CODE = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object")
# Site furniture around a document, not the document.
_FURNITURE = ("nav", "header", "footer", "aside", "form", "button", "select", "dialog")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
    r"|opacity\s*:\s*0(?:\.0\d*)?\s*(?:;|$|!)"
    r"|font-size\s*:\s*(?:0|1|2)(?:\.\d+)?(?:px|pt)?\s*(?:;|$|!)"
    r"|(?:left|top|text-indent)\s*:\s*-\d{3,}"
    r"|transform\s*:\s*scale\(\s*0\s*\)|clip\s*:\s*rect\(\s*0|(?<![-\w])color\s*:\s*transparent",
    re.IGNORECASE,
)
# White text is invisible on the white page it is usually hidden on, not on a dark background
# its own style sets (and a page that sets its own colours shows them).
_WHITE_TEXT = re.compile(
    r"(?<![-\w])color\s*:\s*(?:#fff(?:fff)?(?![0-9a-f])|white\b"
    r"|rgba?\(\s*255[\s,]+255[\s,]+255)",
    re.IGNORECASE,
)
_BACKGROUND = re.compile(r"background", re.IGNORECASE)
# Classes that mean "not shown" in common CSS frameworks (screen-reader-only text included).
_HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "invisible", "sr-only", "visually-hidden", "screen-reader-text"}
)
# A rule of an embedded stylesheet: simple selectors and a declaration block.
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
# Elements that hold content by definition: never removed as furniture or widgets.
_CONTENT = ("main", "article", "section", "body", "html")
# A widget is small; an element with this much text is the page's content, whatever its name.
_WIDGET_MAX_CHARS = 600
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
    if _HIDDEN_CLASSES & {str(c).lower() for c in tag.get("class") or []}:
        return "hidden by its class"
    style = str(tag.get("style", ""))
    if style and _HIDDEN_STYLE.search(style):
        return "hidden by its style"
    if style and _WHITE_TEXT.search(style) and not _BACKGROUND.search(style):
        return "hidden by its style"
    return None


def _hidden_by_stylesheet(soup: BeautifulSoup) -> list[Tag]:
    """Elements an embedded ``<style>`` rule hides (``.x{display:none}``, ``#id{...}``)."""
    hidden: list[Tag] = []
    for style in soup.find_all("style"):
        for selectors, declarations in _CSS_RULE.findall(style.get_text()):
            if not _HIDDEN_STYLE.search(declarations):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or selector.startswith("@") or ":" in selector:
                    continue  # at-rules and pseudo-classes (":hover") are not "always hidden"
                try:
                    hidden.extend(tag for tag in soup.select(selector) if isinstance(tag, Tag))
                except Exception:
                    continue
    return hidden


def _widget(tag: Tag) -> str | None:
    """The kind of site widget ``tag`` is (consent banner, newsletter, ...), or ``None``."""
    classes = tag.get("class") or []
    names = " ".join(
        [str(tag.get("id", "")), *(str(c) for c in classes), str(tag.get("aria-label", ""))]
    )
    if names.strip() and _WIDGET.search(names):
        return "site widget (consent, newsletter, share or menu)"
    return None


def _is_content(tag: Tag) -> bool:
    """Whether ``tag`` is the page's content whatever its name or class says.

    Content elements (``main``, ``article``, ``section``), elements holding a heading (a
    "cookie-notice" ``div`` may be the cookie policy itself), elements with more text than a
    widget has, and a ``header``/``footer``/``aside`` inside an article or main element.
    """
    if tag.name in _CONTENT or tag.find(["h1", "h2", "h3", "h4", "h5", "h6"]):
        return True
    if tag.name in ("header", "footer", "aside") and tag.find_parent(["article", "main"]):
        return True
    return len(_text_of(tag)) > _WIDGET_MAX_CHARS


def _strip_unseen(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """Remove what a reader never sees or never reads as the document; return what and why."""
    removed: list[tuple[str, str]] = []
    by_stylesheet = {id(tag) for tag in _hidden_by_stylesheet(soup)}
    for tag in soup.find_all(_CODE):
        tag.decompose()
    for tag in list(soup.find_all(True)):
        if not isinstance(tag, Tag) or tag.decomposed:
            continue
        reason = _hidden(tag) or (
            "hidden by the page's stylesheet" if id(tag) in by_stylesheet else None
        )
        if reason is None:
            reason = _widget(tag)
            if reason is None and tag.name in _FURNITURE:
                reason = f"page furniture (<{tag.name}>)"
            # Only a candidate pays for the content check, which reads its whole subtree.
            if reason is not None and _is_content(tag):
                reason = None
        if reason is None:
            continue
        text = _text_of(tag)
        if text:
            removed.append((reason, text))
        tag.decompose()
    return removed


def _grid(table: Tag) -> tuple[list[list[str]], list[list[bool]]]:
    """The table's cell texts on a full grid (rowspan and colspan repeated), and which are <th>."""
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    texts: list[list[str]] = []
    heads: list[list[bool]] = []
    pending: dict[tuple[int, int], tuple[str, bool]] = {}
    for r, row in enumerate(rows):
        line: list[str] = []
        head: list[bool] = []
        cells = [c for c in row.find_all(["th", "td"]) if c.find_parent("tr") is row]
        c = 0
        for cell in cells:
            while (r, c) in pending:
                text, is_head = pending.pop((r, c))
                line.append(text)
                head.append(is_head)
                c += 1
            text, is_head = _text_of(cell), cell.name == "th"
            span_rows = _span(cell, "rowspan")
            for dc in range(_span(cell, "colspan")):
                line.append(text)
                head.append(is_head)
                for dr in range(1, span_rows):
                    pending[(r + dr, c + dc)] = (text, is_head)
            c += _span(cell, "colspan")
        while (r, c) in pending:
            text, is_head = pending.pop((r, c))
            line.append(text)
            head.append(is_head)
            c += 1
        texts.append(line)
        heads.append(head)
    return texts, heads


def _span(cell: Tag, name: str) -> int:
    try:
        return max(1, min(int(str(cell.get(name, 1))), 50))
    except ValueError:
        return 1


def _table_sentences(table: Tag) -> list[str]:
    """One sentence per data row, carrying the column headers (all header rows joined)."""
    texts, heads = _grid(table)
    in_head = {id(row) for section in table.find_all("thead") for row in section.find_all("tr")}
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    header_rows = 0
    for row, head in zip(rows, heads, strict=True):
        if not (id(row) in in_head or (head and all(head))):
            break
        header_rows += 1
    width = max((len(line) for line in texts), default=0)
    headers = [""] * width
    for line in texts[:header_rows]:
        for column, text in enumerate(line):
            if text and text not in headers[column].split(", "):
                headers[column] = f"{headers[column]}, {text}" if headers[column] else text
    return [table_row_text(headers, line) for line in texts[header_rows:] if any(line)]


def _tables_and_definitions_as_lists(soup: BeautifulSoup) -> None:
    """Replace each ``<table>`` and ``<dl>`` by a list of sentences that keep their labels.

    A row alone ("90 days") means nothing without its headers; a definition without its term
    the same. Innermost tables first, so a table inside a list item becomes a nested list.
    """
    for table in reversed(soup.find_all("table")):
        items = soup.new_tag("ul")
        for sentence in _table_sentences(table):
            item = soup.new_tag("li")
            item.string = sentence
            items.append(item)
        table.replace_with(items)
    for definitions in soup.find_all("dl"):
        items = soup.new_tag("ul")
        term = ""
        for child in definitions.find_all(["dt", "dd"]):
            if child.name == "dt":
                term = _text_of(child)
                continue
            item = soup.new_tag("li")
            item.string = f"{term}{ROW_LEAD}{_text_of(child)}" if term else _text_of(child)
            items.append(item)
        definitions.replace_with(items)


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
    _tables_and_definitions_as_lists(soup)
    body = clean_markdown(_main_content_markdown(soup), removed).strip()
    if not body:
        msg = "HTML page has no visible text"
        raise LoadError(msg)
    if "title" not in metadata and fallback_title:
        metadata["title"] = fallback_title
    metadata["removed"] = removed
    return body + "\n", metadata
