"""The offline answer: the evidence sentences quoted verbatim, each with its ``[n]`` marker.

Sources are numbered in order of their best sentence; within a source, sentences keep their
order of relevance. Abstentions list the closest passages and say plainly that they are no answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.documents import Document

from qa.answer.evidence import Evidence
from qa.answer.phrases import phrase
from qa.answer.result import Citation, PassageView, Source

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


def cite(evidence: list[Evidence]) -> list[Citation]:
    """Number the passages behind ``evidence``: one marker per passage, best passage first."""
    markers: dict[str, int] = {}
    citations: list[Citation] = []
    for item in evidence:
        pid = str(item.passage.id)
        markers.setdefault(pid, len(markers) + 1)
        citations.append(
            Citation(
                marker=markers[pid],
                passage_id=pid,
                quote=item.text,
                quote_start=item.doc_start,
                quote_end=item.doc_end,
                passage_quote_start=item.passage_start,
                passage_quote_end=item.passage_end,
                score=round(item.score, 4),
                source=Source.from_metadata(item.passage.metadata),
            )
        )
    return citations


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


def compose_answer(citations: list[Citation], language: str) -> Iterator[str]:
    """Yield the answer text piece by piece: intro, quotes grouped by source, the source list."""
    yield phrase(language, "intro") + "\n"
    for marker in sorted({c.marker for c in citations}):
        for citation in (c for c in citations if c.marker == marker):
            yield f"\n{_quoted(citation.quote)} [{marker}]"
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
            snippet = " ".join(view.text.split())
            if len(snippet) > _SNIPPET_CHARS:
                snippet = snippet[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
            lines.append(f"- {describe_source(view.source, language)}: {snippet}")
    return "\n".join(lines) + "\n"
