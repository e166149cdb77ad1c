"""HTML pages: the main text, without navigation, scripts or styles.

Headings become ATX Markdown headings so the chunker can follow the page's structure.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, PreformattedString

from qa.errors import LoadError

_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
)
_BLOCKS = {
    "p",
    "li",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "tr",
    "div",
    "section",
    "article",
    "main",
    "td",
    "th",
    "figcaption",
    "address",
}
_HEADING = re.compile(r"^h([1-6])$")


def _text_of(node: Tag) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ", strip=True)).strip()


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, PreformattedString) and not isinstance(child, CData):
            continue  # comments, doctypes, processing instructions: never visible text
        if isinstance(child, NavigableString):
            text = re.sub(r"\s+", " ", str(child)).strip()
            if text:
                out.append(text)
            continue
        if not isinstance(child, Tag):
            continue
        heading = _HEADING.match(child.name or "")
        if heading:
            text = _text_of(child)
            if text:
                out.append("\n" + "#" * int(heading.group(1)) + " " + text + "\n")
        elif child.name in ("p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "address"):
            text = _text_of(child)
            if text:
                out.append(("- " if child.name == "li" else "") + text + "\n")
        elif child.name in _BLOCKS:
            _walk(child, out)
            out.append("\n")
        elif child.name == "br":
            out.append("\n")
        else:
            _walk(child, out)


def load_html(text: str) -> tuple[str, dict[str, Any]]:
    """Extract the main text, title and declared language of an HTML page.

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
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    parts: list[str] = []
    _walk(root, parts)
    joined = " ".join(parts)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in joined.split("\n")]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not body:
        msg = "HTML page has no visible text"
        raise LoadError(msg)
    if "title" not in metadata:
        first = soup.find(["h1", "h2"])
        if isinstance(first, Tag) and _text_of(first):
            metadata["title"] = _text_of(first)
    return body + "\n", metadata
