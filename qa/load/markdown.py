"""Markdown with an optional YAML front matter block.

The indexed text is the Markdown made readable: links become their anchor text, images and
emphasis markers go, headings stay (the chunker follows them) and page furniture is dropped.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import yaml

from qa.errors import LoadError

FRONT_MATTER_FIELDS = (
    "title",
    "publisher",
    "kind",
    "language",
    "region",
    "document_date",
    "captured",
    "url",
    "license",
    "note",
)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>\s]+>")
_BARE_URL = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![\w*])")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+[^>]*>\s*</a>", re.IGNORECASE)
# Lines that point elsewhere instead of saying anything: "Baca Juga: ...", "Read more: ...",
# also in bold or italics ("**Baca juga:** ...", "_Read more_: ...").
_FURNITURE_PREFIX = re.compile(
    r"^\s*(?:[-*+]\s*)?[*_]{0,3}\s*(?:baca juga|lihat juga|simak juga|read more|related|see also"
    r"|advertisement|iklan)\s*[*_]{0,3}\s*[:\-–]",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")
_WORDLIKE = re.compile(r"\w")
# Three or more consecutive lines of at most three words, without punctuation, are a menu.
_MENU_ITEM_WORDS = 3
_MENU_RUN = 3


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into its front matter mapping and the body that follows.

    Raises:
        LoadError: When a front matter block is present but is not a YAML mapping.

    Example:
        >>> split_front_matter("---\\ntitle: T\\n---\\nBody")
        ({'title': 'T'}, 'Body')
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        if text.startswith("---\n") and "\n---" not in text[4:]:
            msg = "malformed front matter: the opening '---' has no closing '---'"
            raise LoadError(msg)
        return {}, text
    raw = match.group(1) or ""
    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        msg = f"malformed front matter: {str(exc).splitlines()[0]}"
        raise LoadError(msg) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        msg = f"malformed front matter: expected key: value pairs, got {type(data).__name__}"
        raise LoadError(msg)
    return {str(key): _plain(value) for key, value in data.items()}, text[match.end() :]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _is_furniture(line: str) -> bool:
    if _FURNITURE_PREFIX.match(line) or _BARE_URL.match(line):
        return True
    if line.strip() and not _WORDLIKE.search(line):
        return True  # rules such as "---" or "* * *"
    if "](" in line or _HTML_ANCHOR.search(line):
        # A line made only of links (navigation, "archived versions", empty anchors) says nothing.
        without_links = _LINK.sub("", _IMAGE.sub("", _HTML_ANCHOR.sub("", line)))
        return not _LETTER.search(without_links)
    return False


def _inline(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _HTML_ANCHOR.sub("", line)
    # Twice, because anchor text may itself hold emphasis or a nested bracket.
    for _ in range(2):
        line = _LINK.sub(lambda m: m.group(1), line)
    line = _AUTOLINK.sub("", line)
    line = _BOLD.sub(lambda m: m.group(2), line)
    line = _ITALIC.sub(lambda m: m.group(2), line)
    line = line.replace("\u00a0", " ").replace("\\", "")
    return re.sub(r"[ \t]{2,}", " ", line).rstrip()


def _is_menu_item(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= _MENU_ITEM_WORDS
        and not line.startswith(("#", "- "))
        and line.rstrip()[-1] not in '.!?:;,"”'
    )


def _drop_menus(lines: list[str]) -> list[str]:
    """Drop runs of short label-like lines ("Tags", "Terkini", "Terpopuler"): site menus."""
    keep = [True] * len(lines)
    run: list[int] = []
    for index, line in enumerate([*lines, "<end of text>."]):
        if line == "":
            continue
        if _is_menu_item(line):
            run.append(index)
            continue
        if len(run) >= _MENU_RUN:
            for item in run:
                keep[item] = False
        run = []
    return [line for line, kept in zip(lines, keep, strict=True) if kept]


def clean_markdown(body: str) -> str:
    """Turn a Markdown body into the readable text Fineprint indexes.

    Headings are kept as ATX headings (``## Title``) so the chunker can follow them; setext
    headings are rewritten into that form.

    Example:
        >>> clean_markdown("Intro\\n=====\\nSee [the FAQ](https://x.y) **now**.\\n[](#)\\n")
        '# Intro\\nSee the FAQ now.\\n'
    """
    lines = body.split("\n")
    out: list[str] = []
    underline = False
    for index, raw in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if underline:
            underline = False
            continue  # the underline of a setext heading, already turned into "# ..."
        if _is_furniture(raw):
            continue
        line = _inline(raw)
        setext = _SETEXT.match(following)
        if setext and line.strip() and not _ATX.match(line) and not _BULLET.match(line):
            line = ("# " if following.lstrip().startswith("=") else "## ") + line.strip()
            underline = True
        heading = _ATX.match(line)
        if heading:
            line = f"{heading.group(1)} {heading.group(2)}"
        else:
            line = _BULLET.sub(lambda m: m.group(1) + "- ", line)
        if not line.strip():
            line = ""
            if out and out[-1] == "":
                continue
        out.append(line)
    out = _drop_menus(out)
    while out and out[0] == "":
        out.pop(0)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip("\n")
    return text + "\n" if text else ""


def first_heading(text: str) -> str | None:
    """Return the text of the first heading in cleaned Markdown, if any."""
    for line in text.split("\n"):
        heading = _ATX.match(line)
        if heading and heading.group(2).strip():
            return heading.group(2).strip()
    return None


def load_markdown(text: str) -> tuple[str, dict[str, Any]]:
    """Load a Markdown document: the cleaned body and its front matter fields.

    Raises:
        LoadError: For malformed front matter or a body with nothing to index.
    """
    front, body = split_front_matter(text)
    cleaned = clean_markdown(body)
    if not cleaned.strip():
        msg = "no text after the front matter"
        raise LoadError(msg)
    metadata = {
        field: front[field] for field in FRONT_MATTER_FIELDS if front.get(field) is not None
    }
    if "title" not in metadata:
        heading = first_heading(cleaned)
        if heading:
            metadata["title"] = heading
    return cleaned, metadata
