"""The offline answer: the evidence sentences quoted verbatim, each with its ``[n]`` markers.

A lead line names the document that answers most directly; then the quotes, grouped by source,
each statement once with every source that makes it. Sources are numbered in order of their
best sentence; within a source, sentences keep their order of relevance. Abstentions list the
closest passages and say plainly that they are no answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.documents import Document

from qa.answer.evidence import Evidence
from qa.answer.phrases import phrase
from qa.answer.result import Citation, PassageView, Quote, Source

_SNIPPET_CHARS = 220


def passage_views(passages: list[Document]) -> list[PassageView]:
    """The retrieved passages as the result carries them (text exactly as indexed)."""
    return [
        PassageView(
            passage_id=str(p.id),
            text=p.page_content,
            start=int(p.metadata["start"]),
            end=int(p.metadata["end"]),
            rank=int(p.metadata.get("rank", i + 1)),
            score=float(p.metadata.get("fused_score") or 0.0),
            source=Source.from_metadata(p.metadata),
        )
        for i, p in enumerate(passages)
    ]


def cite(evidence: list[Evidence]) -> tuple[list[Citation], list[Quote]]:
    """Number the passages behind ``evidence``: one marker per passage, in reading order.

    Each item's copies (the same statement elsewhere) get their own markers and citations,
    quoting their own text; the ``Quote`` lists them all.

    Returns:
        The citations (one per marker and quoted sentence) and one quote per item, in order.
    """
    # The answer shows quotes grouped by document (in order of each one's best quote); numbering
    # in that order makes the markers read [1], [2], [3] down the answer.
    by_doc: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_doc.setdefault(str(item.passage.metadata["doc_id"]), []).append(item)
    markers: dict[str, int] = {}
    citations: list[Citation] = []
    quotes: list[Quote] = []
    for item in (item for items in by_doc.values() for item in items):
        numbers = []
        for source in (item, *item.copies):
            pid = str(source.passage.id)
            if pid not in markers:
                markers[pid] = len(markers) + 1
            numbers.append(markers[pid])
            citations.append(_citation(source, markers[pid]))
        quotes.append(
            Quote(
                text=item.text,
                markers=numbers,
                doc_id=str(item.passage.metadata["doc_id"]),
                versions=_versions(item),
            )
        )
    return citations, quotes


def _citation(item: Evidence, marker: int) -> Citation:
    return Citation(
        marker=marker,
        passage_id=str(item.passage.id),
        quote=item.text,
        quote_start=item.doc_start,
        quote_end=item.doc_end,
        passage_quote_start=item.passage_start,
        passage_quote_end=item.passage_end,
        score=round(item.score, 4),
        source=Source.from_metadata(item.passage.metadata),
    )


def _versions(item: Evidence) -> list[str]:
    """The dates of the sources when they are versions of one document (same publisher, kind)."""
    sources = [Source.from_metadata(s.passage.metadata) for s in (item, *item.copies)]
    if len(sources) < 2:
        return []
    series = {(s.publisher, s.kind) for s in sources}
    dates = sorted({s.document_date for s in sources if s.document_date})
    return dates if len(series) == 1 and len(dates) == len(sources) else []


def lead_line(citations: list[Citation], language: str) -> str:
    """The answer's first line: which document answers (most directly), and how many more.

    Example:
        >>> source = Source(doc_id="a.md", title="Privacy Policy", publisher="Acme",
        ...                 document_date="2021-01-04")
        >>> quote = Citation(marker=1, passage_id="a.md#0", quote="We never sell data.",
        ...                  quote_start=0, quote_end=19, passage_quote_start=0,
        ...                  passage_quote_end=19, score=0.9, source=source)
        >>> lead_line([quote], "en")
        'Privacy Policy (Acme, 2021-01-04) addresses this:'
    """
    first = citations[0].source
    title = first.title or first.doc_id
    # A version without a stated date is dated by when it took effect. A title that already
    # carries the date ("... (12 January 2021)") needs it only once.
    dated = first.document_date or first.valid_from
    date = "" if dated[:4] and dated[:4] in title else dated
    details = ", ".join(v for v in (first.publisher, date) if v and v != "unknown")
    where = title + (f" ({details})" if details else "")
    others = len({c.source.doc_id for c in citations} - {first.doc_id})
    more = ""
    if others:
        key = "lead_more" if others == 1 else "lead_more_plural"
        more = phrase(language, key, count=others)
    return phrase(language, "lead", where=where, more=more)


def describe_source(source: Source, language: str) -> str:
    """One line naming a source: title, publisher, kind, date, section, url."""
    parts = [source.title or source.doc_id]
    parts += [value for value in (source.publisher, source.kind, source.document_date) if value]
    if source.section:
        parts.append(f"{phrase(language, 'section')}: {source.section}")
    if source.page:
        parts.append(f"p. {source.page}")
    if source.url:
        parts.append(source.url)
    return " · ".join(parts)


def _quoted(text: str) -> str:
    # Statements often carry their own quotation marks; doubling them reads badly.
    if text[:1] in "\"“'‘" or text[-1:] in "\"”'’":
        return text
    return f"“{text}”"


def compose_answer(citations: list[Citation], quotes: list[Quote], language: str) -> Iterator[str]:
    """Yield the answer text piece by piece: the lead line, quotes by source, the source list.

    Quotes are grouped by the document of their first source, groups in order of their best
    quote; a statement several sources make is quoted once with all its markers.
    """
    yield lead_line(citations, language) + "\n"
    groups: dict[str, list[Quote]] = {}
    for quote in quotes:
        groups.setdefault(quote.doc_id, []).append(quote)
    for members in groups.values():
        for quote in members:
            markers = "".join(f"[{n}]" for n in quote.markers)
            line = f"\n{_quoted(quote.text)} {markers}"
            if quote.versions:
                line += f" ({phrase(language, 'versions', dates=', '.join(quote.versions))})"
            yield line
        yield "\n"
    yield f"\n{phrase(language, 'sources')}:\n"
    seen: set[int] = set()
    first_marker: dict[str, int] = {}
    for citation in citations:
        if citation.marker not in seen:
            seen.add(citation.marker)
            line = f"[{citation.marker}] {describe_source(citation.source, language)}"
            earlier = first_marker.setdefault(citation.source.doc_id, citation.marker)
            if earlier != citation.marker:
                # Another passage of a document already listed: say so instead of repeating it.
                line = f"[{citation.marker}] {phrase(language, 'same_document', marker=earlier)}"
                if citation.source.section:
                    line += f" · {phrase(language, 'section')}: {citation.source.section}"
            yield line + "\n"


def compose_abstention(
    passages: list[PassageView], language: str, reason: str | None = None
) -> str:
    """The abstention text: why, then the closest passages labelled as not being an answer."""
    lines = [reason or phrase(language, "abstention")]
    if passages:
        lines += ["", phrase(language, "closest")]
        for view in passages[:3]:
            lines.append(f"- {describe_source(view.source, language)}: {snippet(view.text)}")
    return "\n".join(lines) + "\n"


def snippet(text: str) -> str:
    """``text`` on one line, cut at a word before ``_SNIPPET_CHARS`` (220) characters with "…"
    when longer: how the closest passages of a refusal are shown."""
    line = " ".join(text.split())
    if len(line) > _SNIPPET_CHARS:
        line = line[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return line
