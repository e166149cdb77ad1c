"""Markdown with an optional YAML front matter block.

The indexed text is the Markdown made readable: links become their anchor text, images and
emphasis markers go, headings stay (the chunker follows them) and page furniture is dropped.
"""

from __future__ import annotations

import html
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
    "series",
    "captured",
    "url",
    "license",
    "note",
)

# Field names people write for the ones Fineprint reads (a notice suggests the right one).
FIELD_ALIASES = {
    "date": "document_date",
    "published": "document_date",
    "effective": "document_date",
    "effective_date": "document_date",
    "last_modified": "document_date",
    "updated": "document_date",
    "author": "publisher",
    "company": "publisher",
    "organisation": "publisher",
    "organization": "publisher",
    "type": "kind",
    "lang": "language",
    "link": "url",
    "source": "url",
    "country": "region",
}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>\s]+>")
_BARE_URL = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![\w*])")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
# Any list item, bulleted or numbered, at any depth: "- x", "  * x", "1. x", "2) x".
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE = re.compile(r"(?<!\\)\|")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
# Why a line was dropped, as ``fineprint inspect`` and the ingest summary say it.
FURNITURE = "page furniture (links only, 'read more', a rule)"
MENU = "site menu (a run of short labels)"
# What joins a table row's first cell to the rest, and each header to its cell.
ROW_LEAD = " — "
CELL_SEPARATOR = "; "
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+[^>]*>\s*</a>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Inline HTML that only formats text ("we <b>never</b> sell"): the words stay, the tags go. Any
# other tag stays as literal text (it is data; the page shows it escaped).
_FORMATTING_TAG = re.compile(
    r"</?(?:b|i|em|strong|u|s|small|mark|sup|sub|span|abbr|cite|del|ins)(?:\s[^<>]*)?>",
    re.IGNORECASE,
)
_BLOCKQUOTE = re.compile(r"^\s*(?:>\s?)+")
# CommonMark's escapable punctuation; an escaped one is kept as a private-use placeholder
# while emphasis and links are parsed.
_ESCAPABLE = "\\`*_{}[]()#+-.!|<>~"
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_ESCAPE_BASE = 0xE000
_ESCAPE_MARK = re.compile(f"[{chr(_ESCAPE_BASE)}-{chr(_ESCAPE_BASE + len(_ESCAPABLE) - 1)}]")
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
_DATA_LIKE = re.compile(r"[\d@._/]")
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


def _in_introduced_list(lines: list[str]) -> bool:
    """Whether the next line continues a list that a line ending in ``:`` introduced."""
    for line in reversed(lines):
        if not line.strip() or _LIST_ITEM.match(line):
            continue
        return line.rstrip().endswith(":")
    return False


def _inline(line: str) -> str:
    # A backslash escape ("\_\_adroll") is a literal character, never emphasis: hide escaped
    # characters from the patterns below, then put them back without their backslash.
    line = _ESCAPED.sub(lambda m: chr(_ESCAPE_BASE + _ESCAPABLE.index(m.group(1))), line)
    # Tags before entities: "&lt;b&gt;" is a document writing "<b>", to keep as text.
    line = html.unescape(_BREAK.sub("; ", _FORMATTING_TAG.sub("", line)))
    line = _IMAGE.sub("", line)
    line = _HTML_ANCHOR.sub("", line)
    # Twice, because anchor text may itself hold emphasis or a nested bracket.
    for _ in range(2):
        line = _LINK.sub(lambda m: m.group(1), line)
    line = _AUTOLINK.sub("", line)
    line = _BOLD.sub(lambda m: m.group(2), line)
    line = _ITALIC.sub(lambda m: m.group(2), line)
    line = line.replace("\u00a0", " ").replace("\\", "")
    line = _ESCAPE_MARK.sub(lambda m: _ESCAPABLE[ord(m.group(0)) - _ESCAPE_BASE], line)
    indent = line[: len(line) - len(line.lstrip(" "))]
    return indent + re.sub(r"[ \t]{2,}", " ", line.lstrip(" ")).rstrip()


def _is_menu_item(line: str) -> bool:
    # A list item is the document's own content ("1. Travel insurers"), never a site menu.
    words = line.split()
    return (
        0 < len(words) <= _MENU_ITEM_WORDS
        # Addresses, cookie names, e-mail and web addresses are data, not menu labels.
        and not _DATA_LIKE.search(line)
        and not line.startswith("#")
        and not _LIST_ITEM.match(line)
        and not _TABLE_ROW.match(line)
        and line.rstrip()[-1] not in '.!?:;,"”'
    )


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    # "\|" is a pipe inside a cell, not a cell boundary.
    return [_inline(cell.replace("\\|", "|")).strip() for cell in _CELL_SPLIT.split(row)]


def _is_table_start(line: str, following: str) -> bool:
    """A header row and its rule: "| a | b |" or "a | b", then "|---|---|" or "--- | ---"."""
    return (
        bool(_PIPE.search(line))
        and bool(_TABLE_RULE.match(following))
        and bool(_PIPE.search(following) or line.lstrip().startswith("|"))
    )


def table_row_text(headers: list[str], cells: list[str]) -> str:
    """One table row as a sentence that carries its column headers.

    Example:
        >>> table_row_text(["Data", "Open", "After closing"], ["Sleep", "12 months", "90 days"])
        'Sleep — Open: 12 months; After closing: 90 days.'
    """
    pairs = [
        f"{header}: {cell}" if header else cell
        for header, cell in zip(headers[1:], cells[1:], strict=False)
        if cell
    ]
    lead = cells[0] if cells else ""
    text = lead + (ROW_LEAD + CELL_SEPARATOR.join(pairs) if pairs else "")
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def _table_lines(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A table's rows as list items: one line, one sentence each, never joined to another.

    Without headers (an empty header row, as layout and key-value tables have), a two-column
    table is one record: "Name: substack.sid; Lifetime: 90 days max."
    """
    if any(headers):
        return ["- " + table_row_text(headers, cells) for cells in rows if any(cells)]
    if all(len([cell for cell in cells if cell]) <= 2 for cells in rows):
        pairs = [": ".join(cell for cell in cells if cell) for cells in rows if any(cells)]
        return ["- " + CELL_SEPARATOR.join(pairs) + "."] if pairs else []
    return ["- " + table_row_text([""] * len(cells), cells) for cells in rows if any(cells)]


def _tables_as_rows(lines: list[str]) -> list[str]:
    """Markdown tables rewritten as one list item per row, each row with its column headers."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _is_table_start(line, following):
            headers = _cells(line)
            index += 2
            rows: list[list[str]] = []
            while index < len(lines) and lines[index].strip() and _PIPE.search(lines[index]):
                rows.append(_cells(lines[index]))
                index += 1
            out.extend(_table_lines(headers, rows))
            continue
        out.append(line)
        index += 1
    return out


def _starts_block(line: str) -> bool:
    return bool(
        line.startswith("#")
        or _LIST_ITEM.match(line)
        or _TABLE_ROW.match(line)
        or line.lstrip().startswith(">")
        or _FENCE.match(line)
    )


def _join_paragraphs(lines: list[str]) -> list[str]:
    """Join the lines of a paragraph: in Markdown a single line break is only a space.

    A line continues the one before unless it starts a block (heading, list item, table row,
    quote, code fence) or the line before is a heading; inside a code fence nothing is joined.
    """
    out: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        joinable = (
            not fenced
            and line.strip()
            and out
            and out[-1].strip()
            and not _starts_block(line)
            and not out[-1].startswith("#")
            and not _FENCE.match(out[-1])
        )
        if joinable:
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _drop_menus(lines: list[str], removed: list[tuple[str, str]]) -> list[str]:
    """Drop runs of short label-like lines ("Tags", "Terkini", "Terpopuler"): site menus."""
    keep = [True] * len(lines)
    run: list[int] = []
    before = ""  # the last line before the current run
    for index, line in enumerate([*lines, "<end of text>."]):
        if line == "":
            continue
        if _is_menu_item(line):
            run.append(index)
            continue
        # Short lines a lead-in introduces ("Our processors are:") are its list, not a menu.
        if len(run) >= _MENU_RUN and not before.rstrip().endswith(":"):
            for item in run:
                keep[item] = False
            removed.append((MENU, " · ".join(lines[item].strip() for item in run)))
        run = []
        before = line
    return [line for line, kept in zip(lines, keep, strict=True) if kept]


def clean_markdown(body: str, removed: list[tuple[str, str]] | None = None) -> str:
    """Turn a Markdown body into the readable text Fineprint indexes.

    Headings are kept as ATX headings (``## Title``) so the chunker can follow them; setext
    headings are rewritten into that form. Lists stay, tables become one line per row with the
    column headers, and a paragraph's lines are joined. Dropped lines are appended to
    ``removed`` as ``(reason, text)`` when it is given.

    Example:
        >>> clean_markdown("Intro\\n=====\\nSee [the FAQ](https://x.y) **now**.\\n[](#)\\n")
        '# Intro\\nSee the FAQ now.\\n'
    """
    removed = [] if removed is None else removed
    lines = _tables_as_rows(body.split("\n"))
    out: list[str] = []
    underline = False
    for index, raw in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if underline:
            underline = False
            continue  # the underline of a setext heading, already turned into "# ..."
        raw = _BLOCKQUOTE.sub("", raw)
        # Items of a list that a lead-in introduces ("processed by:") are content even when each
        # is only a link ("- [Stripe](...)"); the same links without a lead-in are navigation.
        if _is_furniture(raw) and not (
            _LIST_ITEM.match(raw) and _in_introduced_list(out) and _LETTER.search(_inline(raw))
        ):
            if raw.strip():
                removed.append((FURNITURE, raw.strip()))
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
    out = _join_paragraphs(_drop_menus(out, removed))
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
    removed: list[tuple[str, str]] = []
    cleaned = clean_markdown(body, removed)
    if not cleaned.strip():
        msg = "no text after the front matter"
        raise LoadError(msg)
    metadata = {
        field: front[field] for field in FRONT_MATTER_FIELDS if front.get(field) is not None
    }
    metadata["notices"] = [
        _unknown_field(str(key)) for key in front if key not in FRONT_MATTER_FIELDS
    ]
    if "title" not in metadata:
        heading = first_heading(cleaned)
        if heading:
            metadata["title"] = heading
    metadata["removed"] = removed
    return cleaned, metadata


def _unknown_field(key: str) -> str:
    """A notice for a front matter field Fineprint does not read, with the likely one meant.

    Example:
        >>> _unknown_field("date")
        "front matter field 'date' is not read; did you mean 'document_date'?"
    """
    import difflib

    meant = FIELD_ALIASES.get(key.casefold()) or next(
        iter(difflib.get_close_matches(key, FRONT_MATTER_FIELDS, n=1, cutoff=0.75)), None
    )
    hint = f"did you mean '{meant}'?" if meant else "corpus/FORMAT.md lists the fields"
    return f"front matter field '{key}' is not read; {hint}"
