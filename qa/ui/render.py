"""Presenting the conversation: pure functions from answers to the page's HTML.

Every piece of document text, metadata and question is HTML-escaped here; links go only to
http(s) URLs or to anchors inside the page. Each answer keeps its own sources: the panel holds a
section per answer (``fp-t<turn>-...`` ids), and on a phone a copy follows each answer
(``fp-m<turn>-...`` ids). Labels follow the answer's language (English or Indonesian). Nothing
here imports Gradio, so it is tested without a server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from qa.answer.phrases import SUPPORTED, phrase
from qa.answer.result import AnswerResult, Citation, PassageView, Source
from qa.index.chunking import SECTION_SEPARATOR
from qa.retrieve.filters import BEFORE

SAFE_URL_SCHEMES = frozenset({"http", "https"})
CLOSEST_SHOWN = 3
EXAMPLES_SHOWN = 4
# The most example questions the page asks its chain to check, once per index generation.
EXAMPLE_ASKS = 8
# A question longer than this is shortened in the sources panel's heading.
HEADING_QUESTION_CHARS = 90
TITLE_CHARS = 70
_MARKER = re.compile(r"\[(\d+)\]")

# The page's own words. Document text is never looked up here: it is shown as it is.
_UI: dict[str, dict[str, str]] = {
    "en": {
        "publisher": "Publisher",
        "kind": "Kind",
        "date": "Date",
        "in_force": "In force",
        "span_superseded": "{start} to {end} (superseded)",
        "span_current": "since {start} (current)",
        "language": "Language",
        "region": "Region",
        "section": "Section",
        "page": "Page",
        "title": "Title",
        "open_original": "Open the original",
        "original_unlinked": "Original (not linked)",
        "sources": "Sources",
        "sources_of": "Sources of answer {turn}",
        "no_sources": "No sources: question {turn} got no answer.",
        "not_answer": "Not an answer.",
        "closest": "Closest passages (not an answer)",
        "no_passage": "No passage came close.",
        "composing": "Composing the answer…",
        "you": "You",
        "fineprint": "Fineprint",
        "show_source": "Source {marker}: {title}",
        "show_document": "Show {title} in the sources panel",
        "filters": "Filters",
        "fix_filters": "Please fix the filters: {problem}",
        "panel_empty": "Ask a question: the passages its answer cites appear here, with the "
        "quoted sentences highlighted. Each answer keeps its own sources.",
        "ask": "Ask",
        "question": "Question",
        "placeholder": "Ask in English or Indonesian…",
        "new_conversation": "New conversation",
        "failed": "Sorry, something went wrong while answering; the server's log has the details.",
        "examples": "Try a question about these documents:",
        "indexed": "Indexed documents ({count})",
        "no_documents": "No documents are indexed yet.",
        "welcome": "Ask about the privacy policies, terms and news below. Answers quote the "
        "documents and cite them: a marker such as [1] shows its passage.",
        "indexing": "Indexing the documents before the first answer",
        "indexing_done": "{done} of {total} documents, {passages} passages indexed",
        "time_left": "about {time} left",
        "estimating": "estimating the time left",
        "checking": "Checking the index against the documents…",
        "index_failed": "The documents could not be indexed: {problem}",
        "still_indexing": "The documents are still being indexed ({done} of {total}); "
        "please ask again in a moment.",
        "summary": "{count} documents are indexed.",
        "summary_one": "1 document is indexed.",
        "summary_versions": "{count} documents are indexed, {versions} versions in all.",
        "summary_one_versions": "1 document is indexed, {versions} versions in all.",
        "versions_since": "{count} versions since {date}",
        "unreachable": "The index cannot be reached.",
        "unreadable": "The index cannot be read.",
        "date_bad": "“{label}” must be a date written like 2021-01-31 (year-month-day); "
        "“{value}” is not one",
        "date_order": "the date range ends on {to} (“Dated to”), before it starts on {start} "
        "(“Dated from”)",
        "date_from": "Dated from",
        "date_to": "Dated to",
        "as_of": "As of",
        "as_of_bad": "“{label}” must be a year, month or day written like 2020, 2020-12 or "
        "2020-12-01; “{value}” is not one",
        "seconds": "{n} s",
        "minutes": "{n} min",
        "ask_tab": "Questions",
        "see_changes": "See how this changed",
        "see_changes_of": "See how {title} changed between versions",
    },
    "id": {
        "publisher": "Penerbit",
        "kind": "Jenis",
        "date": "Tanggal",
        "in_force": "Berlaku",
        "span_superseded": "{start} s.d. {end} (sudah diganti)",
        "span_current": "sejak {start} (versi kini)",
        "language": "Bahasa",
        "region": "Wilayah",
        "section": "Bagian",
        "page": "Halaman",
        "title": "Judul",
        "open_original": "Buka dokumen asli",
        "original_unlinked": "Dokumen asli (tanpa tautan)",
        "sources": "Sumber",
        "sources_of": "Sumber jawaban {turn}",
        "no_sources": "Tidak ada sumber: pertanyaan {turn} tidak terjawab.",
        "not_answer": "Bukan jawaban.",
        "closest": "Bagian yang paling mirip (bukan jawaban)",
        "no_passage": "Tidak ada bagian yang cukup mirip.",
        "composing": "Menyusun jawaban…",
        "you": "Anda",
        "fineprint": "Fineprint",
        "show_source": "Sumber {marker}: {title}",
        "show_document": "Tampilkan {title} di panel sumber",
        "filters": "Filter",
        "fix_filters": "Mohon perbaiki filter: {problem}",
        "panel_empty": "Ajukan pertanyaan: bagian dokumen yang dikutip jawabannya muncul di "
        "sini, dengan kalimat kutipan disorot. Setiap jawaban menyimpan sumbernya sendiri.",
        "ask": "Tanya",
        "question": "Pertanyaan",
        "placeholder": "Tanyakan dalam bahasa Indonesia atau Inggris…",
        "new_conversation": "Percakapan baru",
        "failed": "Maaf, terjadi kesalahan saat menjawab; log server memuat rinciannya.",
        "examples": "Coba pertanyaan tentang dokumen ini:",
        "indexed": "Dokumen yang diindeks ({count})",
        "no_documents": "Belum ada dokumen yang diindeks.",
        "welcome": "Tanyakan tentang kebijakan privasi, ketentuan, dan berita di bawah. "
        "Jawaban mengutip dokumen: penanda seperti [1] menampilkan bagiannya.",
        "indexing": "Mengindeks dokumen sebelum jawaban pertama",
        "indexing_done": "{done} dari {total} dokumen, {passages} bagian diindeks",
        "time_left": "sekitar {time} lagi",
        "estimating": "memperkirakan sisa waktu",
        "checking": "Memeriksa indeks terhadap dokumen…",
        "index_failed": "Dokumen tidak dapat diindeks: {problem}",
        "still_indexing": "Dokumen masih diindeks ({done} dari {total}); silakan bertanya "
        "lagi sebentar lagi.",
        "summary": "{count} dokumen diindeks.",
        "summary_one": "1 dokumen diindeks.",
        "summary_versions": "{count} dokumen diindeks, {versions} versi seluruhnya.",
        "summary_one_versions": "1 dokumen diindeks, {versions} versi seluruhnya.",
        "versions_since": "{count} versi sejak {date}",
        "unreachable": "Indeks tidak dapat dihubungi.",
        "unreadable": "Indeks tidak dapat dibaca.",
        "date_bad": "“{label}” harus berupa tanggal seperti 2021-01-31 (tahun-bulan-hari); "
        "“{value}” bukan tanggal",
        "date_order": "rentang tanggal berakhir pada {to} (“Sampai tanggal”), sebelum "
        "dimulai pada {start} (“Dari tanggal”)",
        "date_from": "Dari tanggal",
        "date_to": "Sampai tanggal",
        "as_of": "Per tanggal",
        "as_of_bad": "“{label}” harus berupa tahun, bulan, atau hari seperti 2020, 2020-12 "
        "atau 2020-12-01; “{value}” bukan salah satunya",
        "seconds": "{n} detik",
        "minutes": "{n} menit",
        "ask_tab": "Pertanyaan",
        "see_changes": "Lihat perubahannya",
        "see_changes_of": "Lihat perubahan {title} antarversi",
    },
}
_LANGUAGE_NAMES = {
    "en": {"en": "English", "id": "Indonesian"},
    "id": {"en": "Inggris", "id": "Indonesia"},
}
_KIND_NAMES = {
    "id": {"policy": "kebijakan", "terms": "ketentuan", "news": "berita", "statement": "pernyataan"}
}


def ui_language(language: str) -> str:
    """The page language for an answer in ``language``: itself if supported, else English."""
    return language if language in SUPPORTED else "en"


def ui(language: str, key: str, **values: object) -> str:
    """The page's word ``key`` in ``language`` (English when unsupported), filled in.

    Example:
        >>> ui("id", "publisher"), ui("fr", "publisher")
        ('Penerbit', 'Publisher')
    """
    return _UI[ui_language(language)][key].format(**values)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def anchor_id(turn: int, marker: int, *, inline: bool = False) -> str:
    """The id of cited passage ``marker`` of answer ``turn`` (panel, or the phone's copy)."""
    return f"fp-{'m' if inline else 't'}{turn}-source-{marker}"


def language_label(code: str, language: str = "en") -> str:
    """``"id"`` -> ``"Indonesian (id)"`` (in ``language``); an unknown code stays as it is."""
    name = _LANGUAGE_NAMES[ui_language(language)].get(code)
    return f"{name} ({code})" if name else code


def kind_label(kind: str, language: str = "en") -> str:
    """A document kind in ``language`` (``"news"`` -> ``"berita"`` in Indonesian)."""
    return _KIND_NAMES.get(ui_language(language), {}).get(kind, kind)


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with "…" if cut.

    Example:
        >>> shorten("one two three", 9)
        'one two…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")
_URLOPEN = re.compile(r"<urlopen error (.*?)>")


def human_message(text: str, *, capitalise: bool = True) -> str:
    """An error's message as a sentence for the page: capitalised, one closing mark, no errno.

    Errors (``qa.errors``) are worded for the command line (``Error: cannot ...``); the page
    shows them on their own. ``capitalise=False`` keeps the first letter, for a message that
    follows a colon.

    Example:
        >>> human_message("cannot reach it ([Errno 111] Connection refused); is it right?")
        'Cannot reach it (Connection refused); is it right?'
        >>> human_message("the date is bad")
        'The date is bad.'
    """
    text = _URLOPEN.sub(r"\1", " ".join(str(text).split()))
    text = _ERRNO.sub("", text).replace("()", "").strip()
    text = re.sub(r"\s+([,;.])", r"\1", text).rstrip(" ,;:")
    if not text:
        return ""
    if capitalise:
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!…" else text + "."


# -- highlighting -----------------------------------------------------------------------------


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


# -- the sources of one answer ----------------------------------------------------------------


@dataclass
class _Cited:
    """One passage shown inside a document card: its marker (or rank) and highlighted text."""

    element_id: str
    label: str
    section: str
    page: int | None
    body: str


@dataclass
class _DocumentCard:
    """One document of an answer's sources, with its passages."""

    source: Source
    element_id: str
    passages: list[_Cited] = field(default_factory=list)


def section_label(section: str) -> str:
    """The last heading of a section path (``"Privacy > Cookies"`` -> ``"Cookies"``)."""
    return section.split(SECTION_SEPARATOR)[-1].strip() if section else ""


def _meta(source: Source, language: str) -> str:
    rows = [
        (ui(language, "publisher"), source.publisher),
        (ui(language, "kind"), kind_label(source.kind, language) if source.kind else ""),
        (ui(language, "date"), source.document_date),
        (ui(language, "in_force"), _in_force(source, language)),
        (ui(language, "language"), language_label(source.language, language)),
        (ui(language, "region"), source.region),
    ]
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows if v)
    return f'<dl class="fp-meta">{items}</dl>' if items else ""


def _in_force(source: Source, language: str) -> str:
    # A version of a series says when it was in force, and an older one that it was replaced.
    if not source.valid_from:
        return ""
    if source.valid_to:
        return ui(language, "span_superseded", start=source.valid_from, end=source.valid_to)
    return ui(language, "span_current", start=source.valid_from)


def _link(source: Source, language: str) -> str:
    url = safe_url(source.url)
    if url is None:
        if source.url:
            return (
                f'<p class="fp-link">{_esc(ui(language, "original_unlinked"))}: '
                f"{_esc(source.url)}</p>"
            )
        return ""
    title = source.title or source.doc_id
    return (
        f'<p class="fp-link"><a href="{_esc(url)}" target="_blank" rel="noopener noreferrer" '
        f'aria-label="{_esc(ui(language, "open_original"))}: {_esc(title)}">'
        f"{_esc(ui(language, 'open_original'))}</a></p>"
    )


def _changes_link(source: Source, language: str) -> str:
    """A "See how this changed" link for a version of a series with several (``valid_from``
    is set only then). The document id travels as data for the page's script, never as HTML."""
    if not source.valid_from:
        return ""
    title = source.title or source.doc_id
    return (
        f'<p class="fp-link fp-changes-link"><a class="fp-see-changes" href="#fp-changes" '
        f'data-doc="{_esc(source.doc_id)}" data-lang="{_esc(ui_language(language))}" '
        f'aria-label="{_esc(ui(language, "see_changes_of", title=title))}">'
        f"{_esc(ui(language, 'see_changes'))}</a></p>"
    )


def _card_html(card: _DocumentCard, language: str, extra_class: str = "") -> str:
    source = card.source
    title = source.title or source.doc_id
    parts = [
        f'<article class="{" ".join(["fp-doc", extra_class]).strip()}" '
        f'id="{_esc(card.element_id)}" tabindex="-1" aria-label="{_esc(title)}">',
        f'<h4 class="fp-title">{_esc(title)}</h4>',
        _meta(source, language),
    ]
    for cited in card.passages:
        where = []
        section = section_label(cited.section)
        if section:
            where.append(f"{ui(language, 'section')}: {section}")
        if cited.page:
            where.append(f"{ui(language, 'page')} {cited.page}")
        parts.append(
            f'<div class="fp-cited" id="{_esc(cited.element_id)}" tabindex="-1">'
            f'<p class="fp-cited-head"><span class="fp-marker">{_esc(cited.label)}</span> '
            f'<span class="fp-where">{_esc(" · ".join(where))}</span></p>'
            f'<blockquote class="fp-passage">{cited.body}</blockquote></div>'
        )
    parts.append(_link(source, language))
    parts.append(_changes_link(source, language))
    parts.append("</article>")
    return "".join(parts)


def _group(items: Iterable[tuple[Source, _Cited]], doc_id_prefix: str) -> list[_DocumentCard]:
    cards: dict[str, _DocumentCard] = {}
    for source, cited in items:
        card = cards.get(source.doc_id)
        if card is None:
            card = cards[source.doc_id] = _DocumentCard(
                source, f"{doc_id_prefix}-doc-{len(cards) + 1}"
            )
        card.passages.append(cited)
    return list(cards.values())


def cited_documents(
    result: AnswerResult, turn: int, *, inline: bool = False
) -> list[_DocumentCard]:
    """The documents ``result`` cites, in order of their first marker, passages inside."""
    prefix = f"fp-{'m' if inline else 't'}{turn}"
    views = {view.passage_id: view for view in result.passages}
    by_marker: dict[int, list[Citation]] = {}
    for citation in result.citations:
        by_marker.setdefault(citation.marker, []).append(citation)
    items: list[tuple[Source, _Cited]] = []
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
        section = citations[0].source.section or source.section
        cited = _Cited(
            anchor_id(turn, marker, inline=inline), f"[{marker}]", section, source.page, body
        )
        items.append((source, cited))
    return _group(items, prefix)


def _closest_documents(
    passages: list[PassageView], turn: int, *, inline: bool
) -> list[_DocumentCard]:
    prefix = f"fp-{'m' if inline else 't'}{turn}"
    items = [
        (
            view.source,
            _Cited(
                f"{prefix}-closest-{view.rank}",
                f"#{view.rank}",
                view.source.section,
                view.source.page,
                highlight_passage(view.text, []),
            ),
        )
        for view in passages[:CLOSEST_SHOWN]
    ]
    return _group(items, prefix)


def describe_filters(filters: object | None) -> str:
    """The active filters in words, e.g. ``kind = policy, from 2021-01-01``; ``""`` if none.

    Example:
        >>> from qa.retrieve.filters import SearchFilters
        >>> describe_filters(SearchFilters(kind="policy", as_of="2020-12,<2021-01"))
        'kind = policy, as of 2020-12 and the day before 2021-01'
    """
    if filters is None or not getattr(filters, "active", False):
        return ""
    parts = []
    for name in ("publisher", "kind", "language", "region"):
        value = getattr(filters, name, None)
        if value:
            parts.append(f"{name} = {value}")
    if getattr(filters, "date_from", None):
        parts.append(f"from {filters.date_from}")  # type: ignore[attr-defined]
    if getattr(filters, "date_to", None):
        parts.append(f"to {filters.date_to}")  # type: ignore[attr-defined]
    as_of = getattr(filters, "as_of", None)
    if as_of:
        # "<2021-01" (from "before the January 2021 update") is the day before that month.
        days = [
            f"the day before {part.removeprefix(BEFORE)}" if part.startswith(BEFORE) else part
            for part in str(as_of).split(",")
        ]
        parts.append(f"as of {' and '.join(days)}")
    return ", ".join(parts)


@dataclass
class Turn:
    """One question and what the page says to it: an answer, or a message instead."""

    question: str
    result: AnswerResult | None = None
    message: str = ""
    language: str = "en"
    filters: str = ""
    pending: bool = False

    @property
    def page_language(self) -> str:
        """The language of this turn's labels."""
        return ui_language(self.result.language if self.result else self.language)


def has_sources(turn: Turn) -> bool:
    """Whether ``turn`` has (or is composing) an answer, and so sources to show."""
    if turn.pending:
        return True
    return turn.result is not None and not turn.result.invalid_input


def turn_sources(turn: Turn, number: int, *, inline: bool = False) -> str:
    """The sources of answer ``number``: one card per document, the cited passages inside.

    An abstention shows the closest passages, under a label saying they are no answer.
    """
    language = turn.page_language
    result = turn.result
    parts: list[str] = []
    if not has_sources(turn):
        return ""
    if turn.filters:
        parts.append(
            f'<p class="fp-filters">{_esc(ui(language, "filters"))}: {_esc(turn.filters)}</p>'
        )
    if result is None or result.invalid_input:
        if turn.pending:
            parts.append(f'<p class="fp-empty">{_esc(ui(language, "composing"))}</p>')
        return "".join(parts)
    if result.abstained:
        reason = result.answer.strip().split("\n", 1)[0] or phrase(language, "abstention")
        parts.append(
            f'<p class="fp-not-answer"><strong>{_esc(ui(language, "not_answer"))}</strong> '
            f"{_esc(reason)}</p>"
        )
        cards = _closest_documents(result.passages, number, inline=inline)
        if cards:
            parts.append(f'<h4 class="fp-closest-label">{_esc(ui(language, "closest"))}</h4>')
        parts.extend(_card_html(card, language, "fp-closest") for card in cards)
        if not cards:
            parts.append(f'<p class="fp-empty">{_esc(ui(language, "no_passage"))}</p>')
        return "".join(parts)
    cards = cited_documents(result, number, inline=inline)
    parts.extend(_card_html(card, language) for card in cards)
    if not cards:
        parts.append(f'<p class="fp-empty">{_esc(ui(language, "composing"))}</p>')
    return "".join(parts)


def render_sources(turns: Sequence[Turn], active: int | None = None) -> str:
    """The sources panel: a section per answer, only answer ``active`` (default: the last) shown.

    The page's script shows another answer's section when one of its markers is followed.
    """
    if not turns:
        return (
            '<div class="fp-sources" data-active="0"><p class="fp-empty">'
            f"{_esc(ui('en', 'panel_empty'))}</p></div>"
        )
    active = active or len(turns)
    parts = [f'<div class="fp-sources" data-active="{active}">']
    for number, turn in enumerate(turns, start=1):
        language = turn.page_language
        hidden = "" if number == active else " hidden"
        heading = ui(language, "sources_of", turn=number)
        if not has_sources(turn):
            # No answer (a message instead): no heading over nothing, one plain line.
            parts.append(
                f'<section class="fp-turn-sources fp-no-sources" data-turn="{number}" '
                f'lang="{language}"{hidden}><p class="fp-empty">'
                f"{_esc(ui(language, 'no_sources', turn=number))}</p></section>"
            )
            continue
        question = shorten(turn.question, HEADING_QUESTION_CHARS)
        parts.append(
            f'<section class="fp-turn-sources" data-turn="{number}" lang="{language}"'
            f' aria-label="{_esc(heading)}"{hidden}>'
            f'<header class="fp-turn-head"><h3>{_esc(heading)}</h3>'
            f'<p class="fp-asked">{_esc(question)}</p></header>'
            f"{turn_sources(turn, number)}</section>"
        )
    parts.append("</div>")
    return "".join(parts)


# -- the conversation --------------------------------------------------------------------------


def _answer_lines(result: AnswerResult) -> list[str]:
    """The answer's own text: without the source list (the chips and panel show it) or, for an
    abstention, the closest-passage lines (the panel shows those passages)."""
    language = ui_language(result.language)
    lines = result.answer.rstrip("\n").split("\n")
    stop = f"{phrase(language, 'sources')}:"
    if result.abstained:
        stop = phrase(language, "closest")
    for i, line in enumerate(lines):
        if line.strip() == stop:
            return lines[:i]
    return lines


def _quote_line(line: str, result: AnswerResult) -> tuple[str, str] | None:
    """A line quoting one of ``result``'s quotes: the quote as the document has it, and the
    rest of the line (its markers). ``None`` for any other line.

    The answer wraps a quote in “…” unless the document's sentence starts or ends with a
    quotation mark of its own, so wrapped and unwrapped quotes meet in one answer; the page
    shows every quote alike instead, set off as a quotation, its text verbatim.
    """
    for quote in result.quotes:
        text = quote.text
        if not text:
            continue
        for opening, closing in (("“", "”"), ("", "")):
            wrapped = f"{opening}{text}{closing}"
            if line.startswith(wrapped) and _MARKER.match(line[len(wrapped) :].lstrip()):
                return text, line[len(wrapped) :].strip()
    return None


def _marker_links(line: str, result: AnswerResult, turn: int) -> str:
    language = ui_language(result.language)
    titles = {c.marker: c.source.title or c.source.doc_id for c in result.citations}
    pieces: list[str] = []
    position = 0
    for match in _MARKER.finditer(line):
        number = int(match.group(1))
        if number not in titles:
            continue
        pieces.append(_esc(line[position : match.start()]))
        label = ui(language, "show_source", marker=number, title=titles[number])
        pieces.append(
            f'<a class="fp-cite" href="#{anchor_id(turn, number)}" data-turn="{turn}" '
            f'data-marker="{number}" aria-label="{_esc(label)}">[{number}]</a>'
        )
        position = match.end()
    pieces.append(_esc(line[position:]))
    return "".join(pieces)


def _chips(cards: list[_DocumentCard], language: str, label: str, turn: int) -> str:
    if not cards:
        return ""
    chips = []
    for card in cards:
        source = card.source
        title = shorten(source.title or source.doc_id, 48)
        dated = source.document_date or source.valid_from
        # The date is its own span, so a narrow screen shortens the title, never the date.
        date = f'<span class="fp-chip-date">&nbsp;· {_esc(dated)}</span>' if dated else ""
        aria = ui(language, "show_document", title=source.title or source.doc_id)
        chips.append(
            f'<li><a class="fp-chip" href="#{_esc(card.element_id)}" data-turn="{turn}" '
            f'title="{_esc(aria)}"><span class="fp-chip-title">{_esc(title)}</span>'
            f"{date}</a></li>"
        )
    return (
        f'<div class="fp-chips"><span class="fp-chips-label">{_esc(label)}:</span>'
        f"<ul>{''.join(chips)}</ul></div>"
    )


def render_answer(turn: Turn, number: int) -> str:
    """The answer of ``turn`` as HTML: its text with ``[n]`` marker links, then source chips."""
    language = turn.page_language
    result = turn.result
    if result is None:
        text = turn.message or ("…" if turn.pending else "")
        return f'<p class="fp-message">{_esc(text)}</p>'
    if result.invalid_input:
        return f'<p class="fp-message">{_esc(result.answer.strip())}</p>'
    paragraphs = []
    lines = _answer_lines(result)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        css = "fp-line"
        if result.abstained and i == 0:
            css = "fp-line fp-abstain"
        said = _quote_line(line.strip(), result)
        if said is not None:
            quote, rest = said
            paragraphs.append(
                f'<p class="fp-line fp-said"><q class="fp-said-text">{_esc(quote)}</q> '
                f"{_marker_links(rest, result, number)}</p>"
            )
            continue
        paragraphs.append(f'<p class="{css}">{_marker_links(line.strip(), result, number)}</p>')
    if result.notes:
        paragraphs.extend(f'<p class="fp-note">{_esc(note)}</p>' for note in result.notes)
    if result.abstained:
        cards = _closest_documents(result.passages, number, inline=False)
        chips = _chips(cards, language, ui(language, "closest"), number)
    else:
        cards = cited_documents(result, number)
        chips = _chips(cards, language, ui(language, "sources"), number)
    return "".join(paragraphs) + chips


def render_conversation(turns: Sequence[Turn]) -> str:
    """Every turn: the question, the answer, and (shown on a phone) that answer's sources."""
    if not turns:
        return '<div class="fp-conversation" data-turns="0"></div>'
    parts = [f'<div class="fp-conversation" data-turns="{len(turns)}">']
    for number, turn in enumerate(turns, start=1):
        language = turn.page_language
        inline = turn_sources(turn, number, inline=True)
        inline_html = (
            f'<section class="fp-inline-sources" aria-label="'
            f'{_esc(ui(language, "sources_of", turn=number))}">{inline}</section>'
            if inline
            else ""
        )
        busy = ' aria-busy="true"' if turn.pending else ""
        parts.append(
            f'<section class="fp-turn" id="fp-turn-{number}" data-turn="{number}" '
            f'lang="{language}"{busy}>'
            f'<div class="fp-q"><span class="fp-who">{_esc(ui(language, "you"))}</span>'
            f"<p>{_esc(turn.question)}</p></div>"
            f'<div class="fp-a"><span class="fp-who">{_esc(ui(language, "fineprint"))}</span>'
            f"{render_answer(turn, number)}{inline_html}</div></section>"
        )
    parts.append("</div>")
    return "".join(parts)


# -- the empty page and first-start progress --------------------------------------------------


@dataclass(frozen=True)
class IndexedDocument:
    """What the empty page says about one indexed document."""

    doc_id: str
    title: str = ""
    publisher: str = ""
    kind: str = ""
    date: str = ""
    language: str = ""
    # Section headings in document order, most passages first when equal.
    sections: tuple[str, ...] = ()
    passages: int = 0
    # A versioned document is listed once, as its latest version: how many versions it has,
    # and the day the first took effect.
    versions: int = 1
    since: str = ""


@dataclass(frozen=True)
class Example:
    """An example question for the empty page, and what it is about."""

    question: str
    doc_id: str
    # The section heading asked about, as worded in the question ("" for the whole document).
    topic: str = ""
    # That heading as the document has it.
    section: str = ""
    # Examples of one group (a document, by its title) are not shown together.
    group: str = ""


# Headings that name no topic of their own.
_GENERIC_HEADINGS = frozenset(
    {
        "contact",
        "contact us",
        "contact information",
        "contents",
        "table of contents",
        "introduction",
        "overview",
        "summary",
        "definitions",
        "general",
        "other",
        "others",
        "miscellaneous",
        "updates",
        "key updates",
        "changes",
        "terms",
        "pendahuluan",
        "lainnya",
        "kontak",
    }
)
# A title ending in one of these reads as a document: "the Signal Privacy Policy".
_DOCUMENT_NOUNS = frozenset(
    {"policy", "terms", "service", "notice", "statement", "agreement", "guidelines", "faq"}
)
# Words of a heading that read as the publisher speaking; "our" becomes "its".
_FIRST_PERSON = frozenset({"we", "us", "i", "me", "my", "kami"})
# Headings with one of these words are about reaching the publisher, not a topic.
_GENERIC_WORDS = frozenset({"contact", "contents", "kontak", "hubungi"})
# Words too common in headings and quotes to tell topics apart.
_COMMON_WORDS = frozenset(
    {
        "the", "and", "for", "with", "about", "your", "you", "its", "our", "their", "other",
        "how", "what", "this", "that", "from", "into", "are", "can", "use", "uses",
        "dan", "yang", "untuk", "dengan", "tentang", "anda", "kami", "dari",
    }
)  # fmt: skip
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]?)+\s*")
_WORD = re.compile(r"[^\W\d_]+")
EXAMPLE_TOPIC_CHARS = 60


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _topic(section: str, keep: set[str], title: str) -> str:
    """A section heading as the topic of a question, or ``""`` when it names no topic.

    Numbering and a leading "about" go, "our" becomes "its", words are lower-cased except
    acronyms and names the title or publisher spells with capitals; a question, a generic
    heading ("Contact Us"), one repeating the title, or one in the publisher's voice ("How We
    Use Information") names no topic.
    """
    topic = _NUMBERING.sub("", section).strip().rstrip(":").strip()
    if not topic or topic.endswith("?") or len(topic) > EXAMPLE_TOPIC_CHARS:
        return ""
    if topic.casefold().startswith("about "):
        topic = topic[6:].strip()
    words = topic.split()
    lowered = _words(topic)
    if not words or len(words) > 7 or " ".join(lowered) in _GENERIC_HEADINGS:
        return ""
    if set(lowered) & (_FIRST_PERSON | _GENERIC_WORDS):
        return ""
    if topic_stems(topic) <= topic_stems(title):
        return ""  # "Privacy Policy" in a privacy policy; "About Our Services" in its terms
    return " ".join("-".join(_topic_word(part, keep) for part in word.split("-")) for word in words)


def _topic_word(word: str, keep: set[str]) -> str:
    bare = word.strip(",.;:()\"'“”")
    if bare.casefold() == "our":
        return word.casefold().replace("our", "its")
    if (len(bare) > 1 and bare.isupper()) or any(c.isupper() for c in bare[1:]) or bare in keep:
        return word  # an acronym or a name: "EEA", "WhatsApp", "Facebook"
    return word.lower()


def topic_stems(text: str) -> set[str]:
    """The words of ``text`` that can tell topics apart, by their first five letters.

    Example:
        >>> sorted(topic_stems("Information you provide about Third-Party services"))
        ['infor', 'party', 'provi', 'servi', 'third']
    """
    return {w[:5] for w in _words(text) if len(w) >= 3 and w not in _COMMON_WORDS}


def _document_name(title: str) -> str:
    """How a question names a document: "the Signal Privacy Policy", or its title quoted."""
    words = _words(re.sub(r"\([^)]*\)\s*$", "", title))
    if words and words[-1] in _DOCUMENT_NOUNS:
        return title if title.casefold().startswith("the ") else f"the {title}"
    return f"“{title}”"


def example_candidates(
    documents: Sequence[IndexedDocument], limit: int = 2 * EXAMPLE_ASKS
) -> list[Example]:
    """Example questions to try, best first: at most ``limit``, none with a shortened title.

    Each names its document by its whole title (a document whose title is longer than
    ``TITLE_CHARS`` is not asked about) and asks about a section heading that names a topic:
    every document's best heading first (an Indonesian document first, asked in Indonesian),
    then every document's next one. Questions about a whole document, by its title, come
    last, but for an Indonesian document without such headings (asked first, so both
    languages can be shown). Of documents sharing a title (versions), only the one with most
    passages is asked about. Nothing here knows whether a question is answered:
    ``qa.ui.app`` asks them.

    Example:
        >>> docs = [IndexedDocument("a.md", title="Acme Privacy Policy", publisher="Acme",
        ...     sections=("Cookie Choices", "Contact Us"), passages=3)]
        >>> for example in example_candidates(docs):
        ...     print(example.question)
        What does the Acme Privacy Policy say about cookie choices?
        What does the Acme Privacy Policy say?
    """
    ranked = sorted(documents, key=lambda d: (-d.passages, d.title.casefold(), d.doc_id))
    ranked.sort(key=lambda d: d.language != "id")
    titles: set[str] = set()
    per_document: list[tuple[IndexedDocument, str, list[tuple[str, str]]]] = []
    for doc in ranked:
        title = " ".join((doc.title or doc.doc_id).split())
        if len(title) > TITLE_CHARS or title.casefold() in titles:
            continue
        titles.add(title.casefold())
        # Names keep their capitals: the publisher's, and the title's first word.
        names = re.findall(r"[^\W\d_]+", f"{doc.publisher} {title.split()[0]}")
        keep = {w for w in names if w[:1].isupper()}
        topics: list[tuple[str, str]] = []
        for section in doc.sections:
            topic = _topic(section, keep, title)
            if topic and topic.casefold() not in {t.casefold() for t, _ in topics}:
                topics.append((topic, section))
        # Headings of several words name a topic more surely than one word does.
        topics.sort(key=lambda t: len(t[0].split()) < 2)
        per_document.append((doc, title, topics))
    candidates: list[Example] = []
    # So that both languages can be shown, an Indonesian document without such headings is
    # asked about by its title at once; other whole-document questions come last.
    early = {doc.doc_id for doc, _, topics in per_document if doc.language == "id" and not topics}
    candidates.extend(_example(d, title) for d, title, _ in per_document if d.doc_id in early)
    rounds = max((len(topics) for _, _, topics in per_document), default=0)
    for number in range(rounds):
        for doc, title, topics in per_document:
            if number < len(topics):
                candidates.append(_example(doc, title, *topics[number]))
    candidates.extend(_example(d, title) for d, title, _ in per_document if d.doc_id not in early)
    return candidates[:limit]


def _example(doc: IndexedDocument, title: str, topic: str = "", section: str = "") -> Example:
    name = _document_name(title)
    group = title.casefold()
    if doc.language == "id":
        if topic:
            question = f"Apa kata {name.removeprefix('the ')} tentang {topic}?"
        elif doc.publisher:
            question = f"Apa kata {doc.publisher} tentang “{title}”?"
        else:
            question = f"Apa isi “{title}”?"
    elif topic:
        question = f"What does {name} say about {topic}?"
    else:
        question = f"What does {name} say?"
    return Example(question, doc.doc_id, topic, section, group)


def render_welcome(documents: Sequence[IndexedDocument], examples: Sequence[str]) -> str:
    """The empty page: what to ask (examples that ask when clicked) and what is indexed."""
    language = "en"
    parts = ['<div class="fp-welcome">', f"<p>{_esc(ui(language, 'welcome'))}</p>"]
    if examples:
        parts.append(f'<p class="fp-examples-label">{_esc(ui(language, "examples"))}</p>')
        parts.append('<ul class="fp-examples">')
        for question in examples:
            parts.append(
                f'<li><button type="button" class="fp-example" data-question="{_esc(question)}">'
                f"{_esc(question)}</button></li>"
            )
        parts.append("</ul>")
    if not documents:
        parts.append(f'<p class="fp-empty">{_esc(ui(language, "no_documents"))}</p></div>')
        return "".join(parts)
    heading = ui(language, "indexed", count=len(documents))
    columns = ("title", "publisher", "kind", "date", "language")
    head = "".join(f'<th scope="col">{_esc(ui(language, c))}</th>' for c in columns)
    rows = []
    for doc in sorted(documents, key=lambda d: (d.kind, d.date, d.title.casefold())):
        date = doc.date
        if doc.versions > 1:
            history = ui(language, "versions_since", count=doc.versions, date=doc.since)
            date = f"{date} ({history})" if date else history
        cells = (
            doc.title or doc.doc_id,
            doc.publisher,
            kind_label(doc.kind, language),
            date,
            language_label(doc.language, language),
        )
        first, *rest = cells
        # A phone shows each row stacked, every cell named by its column (``data-label``).
        rows.append(
            f'<tr><th scope="row">{_esc(first)}</th>'
            + "".join(
                f'<td data-label="{_esc(ui(language, c))}">{_esc(v)}</td>'
                for c, v in zip(columns[1:], rest, strict=True)
            )
            + "</tr>"
        )
    parts.append(
        f'<details class="fp-documents" open><summary>{_esc(heading)}</summary>'
        f'<div class="fp-table-wrap" tabindex="0" role="region" aria-label="{_esc(heading)}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</div></details></div>"
    )
    return "".join(parts)


def format_seconds(seconds: float, language: str = "en") -> str:
    """A duration as a reader says it: ``"40 s"``, ``"3 min"``.

    Example:
        >>> format_seconds(42), format_seconds(200), format_seconds(200, "id")
        ('42 s', '3 min', '3 menit')
    """
    if seconds < 90:
        return ui(language, "seconds", n=max(1, round(seconds)))
    return ui(language, "minutes", n=round(seconds / 60))


def render_index_problem(line: str) -> str:
    """The page's header line when the index cannot be used (``line`` says why, briefly)."""
    return f'<p class="fp-index-problem" role="alert">{_esc(line)}</p>'


def render_problem(message: str) -> str:
    """A problem with the index, above the conversation, in the words of ``message``."""
    return (
        '<div class="fp-progress fp-failed" role="alert">'
        f"<p>{_esc(human_message(message))}</p></div>"
    )


def render_progress(
    done: int,
    total: int,
    passages: int,
    seconds_left: float | None,
    problem: str = "",
    fraction: float | None = None,
) -> str:
    """First-start indexing progress: documents and passages done, the time left.

    ``fraction`` (0..1) fills the bar; without it, the share of documents done does.
    """
    language = "en"
    if problem:
        return (
            '<div class="fp-progress fp-failed" role="alert">'
            f"<p>{_esc(ui(language, 'index_failed', problem=problem))}</p></div>"
        )
    if total <= 0:
        return (
            f'<div class="fp-progress" role="status"><p>{_esc(ui(language, "checking"))}</p></div>'
        )
    left = (
        ui(language, "time_left", time=format_seconds(seconds_left, language))
        if seconds_left is not None
        else ui(language, "estimating")
    )
    label = ui(language, "indexing")
    share = round(100 * (fraction if fraction is not None else done / total))
    counts = ui(language, "indexing_done", done=done, total=total, passages=passages)
    return (
        '<div class="fp-progress" role="status">'
        f"<p><strong>{_esc(label)}</strong></p>"
        f'<progress max="100" value="{share}" aria-label="{_esc(label)}"></progress>'
        f'<p class="fp-progress-counts">{_esc(counts)}; {_esc(left)}.</p></div>'
    )
