"""Presenting an answer on the page: pure functions from ``AnswerResult`` to chat and HTML.

The chat message is Markdown in which every piece of document text is inert (each character
that means something to Markdown or HTML becomes a character reference); the sources panel is
HTML built by hand, every piece of document text and metadata escaped, links only to http(s).
Nothing here imports Gradio, so it is tested without a server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from qa.answer.phrases import LANGUAGE_NAMES, SUPPORTED, phrase
from qa.answer.result import AnswerResult, Citation, Source
from qa.retrieve.filters import SearchFilters

SAFE_URL_SCHEMES = frozenset({"http", "https"})
CLOSEST_SHOWN = 3

# Characters that mean something to Markdown, HTML or Gradio's LaTeX and autolink rendering;
# document text is emitted with each of them as a numeric character reference, which Markdown
# treats as literal text.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:=^&\"'%@/;")
_MARKER = re.compile(r"\[(\d+)\]")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Make ``text`` render literally in Markdown that may also contain HTML.

    Every character with a meaning to Markdown or HTML becomes a numeric character reference
    (``<`` -> ``&#60;``), which Markdown shows as the character itself and never parses as
    syntax: no tags, no links, no emphasis, no autolinks. Leading indentation is dropped so
    no line turns into a code block.

    Example:
        >>> escape_markdown("[x](javascript:y)")
        '&#91;x&#93;&#40;javascript&#58;y&#41;'
    """
    return _entities(_LEADING_SPACE.sub("", text))


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" if c in _MARKDOWN_SPECIAL else c for c in text)


def anchor_id(turn: int, marker: int) -> str:
    """The element id of source ``marker`` of answer ``turn`` in the sources panel."""
    return f"fp-t{turn}-source-{marker}"


def _phrase_language(result: AnswerResult) -> str:
    return result.language if result.language in SUPPORTED else "en"


def render_answer(result: AnswerResult, turn: int = 1) -> str:
    """The chat message for ``result``: escaped answer text, markers linking to the sources.

    Args:
        result: An answer snapshot (partial while streaming, or final).
        turn: The answer's number in the conversation; marker links point at that answer's
            sources so an older answer never points at a newer one's passages.

    Returns:
        Markdown in which only the ``[n]`` marker links and Fineprint's own labels are markup.
    """
    markers = {c.marker for c in result.citations}
    language = _phrase_language(result)
    closest = phrase(language, "closest")
    lines: list[str] = []
    for line in _LEADING_SPACE.sub("", result.answer.rstrip("\n")).split("\n"):
        if result.abstained and line.strip() == closest:
            lines.append(f"**{escape_markdown(line.strip())}**")
            continue
        pieces: list[str] = []
        position = 0
        for match in _MARKER.finditer(line):
            number = int(match.group(1))
            if number not in markers:
                continue
            pieces.append(_entities(line[position : match.start()]))
            pieces.append(
                f'<a class="fp-cite" href="#{anchor_id(turn, number)}" '
                f'title="Show source {number}">&#91;{number}&#93;</a>'
            )
            position = match.end()
        pieces.append(_entities(line[position:]))
        lines.append("".join(pieces))
    text = "\n".join(lines)
    if result.notes:
        notes = "\n".join(f"_{escape_markdown(note)}_" for note in result.notes)
        text = f"{text}\n\n{notes}"
    return text


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else ``None`` (never linked).

    Example:
        >>> safe_url("javascript:alert(1)") is None
        True
    """
    candidate = url.strip()
    if not candidate or any(ord(c) < 33 for c in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_URL_SCHEMES or not parts.netloc:
        return None
    return candidate


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def quote_span(text: str, citation: Citation) -> tuple[int, int] | None:
    """Where ``citation``'s quote lies in its passage ``text``, or ``None`` if nowhere.

    The citation's own passage offsets are trusted when they hold the quoted sentence; when
    they do not (a passage re-chunked since), the quote is looked up instead.
    """
    start, end = citation.passage_quote_start, citation.passage_quote_end
    if 0 <= start < end <= len(text) and (not citation.quote or text[start:end] == citation.quote):
        return start, end
    if citation.quote:
        found = text.find(citation.quote)
        if found >= 0:
            return found, found + len(citation.quote)
    return None


def highlight_passage(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Escape ``text`` and wrap each span (character offsets) in ``<mark>``.

    Overlapping or touching spans are merged; spans outside the text are ignored.

    Example:
        >>> highlight_passage("a <b> c", [(2, 5)])
        'a <mark class="fp-quote">&lt;b&gt;</mark> c'
    """
    valid = [(s, e) for s, e in spans if 0 <= s < e <= len(text)]
    out: list[str] = []
    position = 0
    for start, end in _merge(valid):
        out.append(_esc(text[position:start]))
        out.append(f'<mark class="fp-quote">{_esc(text[start:end])}</mark>')
        position = end
    out.append(_esc(text[position:]))
    return "".join(out)


def language_label(code: str) -> str:
    """``"id"`` -> ``"Indonesian (id)"``; an unknown code stays as it is."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


def _source_meta(source: Source) -> str:
    rows = [
        ("Publisher", source.publisher),
        ("Kind", source.kind),
        ("Date", source.document_date),
        ("Language", language_label(source.language) if source.language else ""),
        ("Region", source.region),
        ("Section", source.section),
        ("Page", str(source.page) if source.page else ""),
    ]
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows if v)
    return f'<dl class="fp-meta">{items}</dl>' if items else ""


def _source_link(source: Source) -> str:
    url = safe_url(source.url)
    if url is None:
        if source.url:
            return f'<div class="fp-link">Original (not linked): {_esc(source.url)}</div>'
        return ""
    return (
        f'<div class="fp-link"><a href="{_esc(url)}" target="_blank" '
        f'rel="noopener noreferrer">Open the original</a></div>'
    )


def _card(element_id: str, label: str, source: Source, body: str, *, extra_class: str = "") -> str:
    title = source.title or source.doc_id
    classes = f"fp-source {extra_class}".strip()
    return (
        f'<article class="{classes}" id="{_esc(element_id)}">'
        f'<div class="fp-source-head"><span class="fp-marker">{_esc(label)}</span>'
        f'<span class="fp-title">{_esc(title)}</span></div>'
        f"{_source_meta(source)}"
        f'<blockquote class="fp-passage">{body}</blockquote>'
        f"{_source_link(source)}</article>"
    )


def describe_filters(filters: SearchFilters | None) -> str:
    """The active filters in words, e.g. ``kind = policy, from 2021-01-01``; ``""`` if none."""
    if filters is None or not filters.active:
        return ""
    parts = []
    for name in ("publisher", "kind", "language", "region"):
        value = getattr(filters, name)
        if value:
            parts.append(f"{name} = {value}")
    if filters.date_from:
        parts.append(f"from {filters.date_from}")
    if filters.date_to:
        parts.append(f"to {filters.date_to}")
    return ", ".join(parts)


def render_sources(
    result: AnswerResult | None, turn: int = 1, filters: SearchFilters | None = None
) -> str:
    """The sources panel for ``result``: each cited passage with its quote highlighted.

    An abstention shows the closest passages instead, under a label saying they are no answer.
    Every piece of document text and metadata is HTML-escaped; only http(s) URLs are linked.

    Args:
        result: The latest answer (or ``None`` before the first question).
        turn: The answer's number in the conversation (see ``render_answer``).
        filters: The filters the question was asked with, shown above the sources.
    """
    if result is None:
        return (
            '<div class="fp-sources"><p class="fp-empty">Ask a question: the passages its '
            "answer cites appear here, with the quoted sentences highlighted.</p></div>"
        )
    language = _phrase_language(result)
    parts = ['<div class="fp-sources">']
    described = describe_filters(filters)
    if described:
        parts.append(f'<p class="fp-filters">Filters: {_esc(described)}</p>')
    if result.invalid_input:
        parts.append(f'<p class="fp-empty">{_esc(result.answer.strip())}</p></div>')
        return "".join(parts)
    if result.abstained:
        reason = result.answer.strip().split("\n", 1)[0] or phrase(language, "abstention")
        closest = phrase(language, "closest") if result.passages else ""
        parts.append(
            '<p class="fp-not-answer" role="note"><strong>Not an answer.</strong> '
            f"{_esc(reason)} {_esc(closest)}</p>"
        )
        for view in result.passages[:CLOSEST_SHOWN]:
            parts.append(
                _card(
                    f"fp-t{turn}-closest-{view.rank}",
                    f"#{view.rank}",
                    view.source,
                    highlight_passage(view.text, []),
                    extra_class="fp-closest",
                )
            )
        if not result.passages:
            parts.append('<p class="fp-empty">No passage came close.</p>')
        parts.append("</div>")
        return "".join(parts)

    parts.append(f"<h3>{_esc(phrase(language, 'sources'))}</h3>")
    views = {view.passage_id: view for view in result.passages}
    by_marker: dict[int, list[Citation]] = {}
    for citation in result.citations:
        by_marker.setdefault(citation.marker, []).append(citation)
    for marker in sorted(by_marker):
        citations = by_marker[marker]
        view = views.get(citations[0].passage_id)
        if view is None:
            body = "\n".join(f'<mark class="fp-quote">{_esc(c.quote)}</mark>' for c in citations)
            source = citations[0].source
        else:
            spans = [span for c in citations if (span := quote_span(view.text, c))]
            body = highlight_passage(view.text, spans)
            source = view.source
        parts.append(_card(anchor_id(turn, marker), f"[{marker}]", source, body))
    if not by_marker:
        parts.append('<p class="fp-empty">Composing the answer…</p>')
    parts.append("</div>")
    return "".join(parts)
