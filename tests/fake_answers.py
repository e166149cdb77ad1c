"""Hand-made ``AnswerResult``s and hostile payloads for the page's rendering and handler tests.

No chain and no model: ``fake_result`` builds one cited answer whose quote, title and URL can
carry the payloads, and ``markdown_html`` renders chat Markdown with a real CommonMark renderer
(markdown-it, raw HTML allowed) to prove payloads stay text.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from qa.answer.result import AnswerResult, Citation, PassageView, Source

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
JS_LINK = "[click](javascript:window.__xss=3)"
PAYLOAD_SENTENCE = f"Acme keeps location history {SCRIPT} {IMG} {JS_LINK} for ninety days."
PASSAGE_PREFIX = "Acme Tracker notice.\n"


def markdown_html(text: str) -> str:
    """Render chat Markdown the way a permissive client would: raw HTML allowed, linkify off."""
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).render(text)


def fake_source(**changes: Any) -> Source:
    """The source of ``fake_result``'s passage (Acme's policy), with ``changes`` applied."""
    fields: dict[str, Any] = {
        "doc_id": "acme.md",
        "title": "Acme Tracker notice",
        "publisher": "Acme Inc",
        "kind": "policy",
        "document_date": "2021-01-04",
        "language": "en",
        "section": "Retention",
        "url": "https://acme.example/privacy",
    }
    fields.update(changes)
    return Source(**fields)


def fake_result(
    sentence: str = PAYLOAD_SENTENCE, source: Source | None = None, **changes: Any
) -> AnswerResult:
    """A one-citation answer quoting ``sentence`` from a one-passage result, ``changes`` applied.

    The passage is ``PASSAGE_PREFIX + sentence + "\\nOther text."``; the citation's offsets
    point at ``sentence`` inside it.
    """
    source = source or fake_source()
    text = PASSAGE_PREFIX + sentence + "\nOther text."
    start = len(PASSAGE_PREFIX)
    citation = Citation(
        marker=1,
        passage_id="acme.md#0",
        quote=sentence,
        quote_start=start,
        quote_end=start + len(sentence),
        passage_quote_start=start,
        passage_quote_end=start + len(sentence),
        score=0.9,
        source=source,
    )
    view = PassageView(
        passage_id="acme.md#0",
        text=text,
        start=0,
        end=len(text),
        rank=1,
        score=0.5,
        source=source,
    )
    fields: dict[str, Any] = {
        "question": "How long is my location kept?",
        "answer": (
            f"Here is what the indexed documents say:\n\n“{sentence}” [1]\n\nSources:\n"
            f"[1] {source.title} · {source.url}\n"
        ),
        "citations": [citation],
        "passages": [view],
    }
    fields.update(changes)
    return AnswerResult(**fields)
