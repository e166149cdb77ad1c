"""Unit tests of the web page's pure parts: chat Markdown, sources HTML, filters, bind checks.

No server and no model: results are built by hand. The chat Markdown is also rendered with a
real CommonMark renderer (markdown-it, HTML allowed) to prove payloads stay text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from pydantic import SecretStr

from qa.answer.result import AnswerResult, Citation, PassageView, Source
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings
from qa.errors import CorpusError, FilterError, ServeError
from qa.index.ingest import prepare_index
from qa.ui.app import form_filters as parse_filters
from qa.ui.app import make_responder
from qa.ui.server import check_bind
from qa.ui.render import (
    anchor_id,
    escape_markdown,
    highlight_passage,
    quote_span,
    render_answer,
    render_sources,
    safe_url,
)

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
JS_LINK = "[click](javascript:window.__xss=3)"
PAYLOAD_SENTENCE = f"Acme keeps location history {SCRIPT} {IMG} {JS_LINK} for ninety days."
PASSAGE_PREFIX = "Acme Tracker notice.\n"


def _markdown_html(text: str) -> str:
    """Render chat Markdown the way a permissive client would: raw HTML allowed, linkify on."""
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).render(text)


def _source(**changes: Any) -> Source:
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


def _result(
    sentence: str = PAYLOAD_SENTENCE, source: Source | None = None, **changes: Any
) -> AnswerResult:
    source = source or _source()
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


# -- escaping in the chat ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [SCRIPT, IMG, JS_LINK, "*bold* _it_ `code` $x$ # h"])
def test_escape_markdown_renders_payloads_as_literal_text(payload: str) -> None:
    rendered = _markdown_html(escape_markdown(payload))
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "<a " not in rendered
    assert "<em>" not in rendered and "<code>" not in rendered and "<h1>" not in rendered


def test_escape_markdown_drops_indentation_so_no_code_block() -> None:
    rendered = _markdown_html(escape_markdown("intro\n\n        indented"))
    assert "<pre>" not in rendered
    assert "indented" in rendered


def test_render_answer_keeps_document_payloads_inert() -> None:
    markdown = render_answer(_result(source=_source(title=f"Title {IMG}", url="javascript:x()")))
    rendered = _markdown_html(markdown)
    assert "<script" not in rendered
    assert "<img" not in rendered
    # The only links are Fineprint's own marker links into the page.
    assert (
        re.findall(r"<a\b[^>]*>", rendered)
        == ['<a class="fp-cite" href="#fp-t1-source-1" title="Show source 1">'] * 2
    )
    # The payload text itself is still shown, as text.
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in rendered
    assert "[click](javascript:window.__xss=3)" in rendered


def test_render_answer_links_markers_to_the_sources_panel() -> None:
    markdown = render_answer(_result(), turn=3)
    rendered = _markdown_html(markdown)
    target = anchor_id(3, 1)
    assert target == "fp-t3-source-1"
    assert rendered.count(f'href="#{target}"') == 2  # in the quote and in the source list
    assert 'class="fp-cite"' in rendered


def test_render_answer_leaves_unknown_markers_unlinked() -> None:
    result = _result(sentence="See footnote [7] for details.")
    rendered = _markdown_html(render_answer(result))
    assert "fp-t1-source-7" not in rendered
    assert "[7]" in rendered


def test_render_answer_shows_notes_escaped() -> None:
    result = _result(notes=[f"model said {SCRIPT}"])
    rendered = _markdown_html(render_answer(result))
    assert "<script" not in rendered
    assert "<em>model said &lt;script&gt;" in rendered


def test_render_answer_labels_the_closest_passages_of_an_abstention() -> None:
    result = _result(
        answer="The indexed documents do not answer this question.\n\n"
        "Closest passages (not an answer):\n- Acme: text\n",
        citations=[],
        abstained=True,
    )
    rendered = _markdown_html(render_answer(result))
    assert "<strong>Closest passages (not an answer):</strong>" in rendered
    assert "fp-cite" not in rendered


# -- the sources panel ---------------------------------------------------------------------------


def test_sources_panel_escapes_text_and_metadata() -> None:
    source = _source(
        title=f"T {SCRIPT}",
        publisher=IMG,
        kind="<b>policy</b>",
        document_date='2021"><script>',
        language="<i>en</i>",
        section=JS_LINK,
        url="javascript:window.__xss=6",
    )
    panel = render_sources(_result(source=source))
    assert "<script" not in panel
    assert "<img" not in panel
    assert "<b>" not in panel and "<i>" not in panel
    assert "href=" not in panel
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in panel
    assert "&lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;" in panel


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "http:///nohost",
        "ftp://files.example/x",
        "",
    ],
)
def test_unsafe_urls_are_never_linked(url: str) -> None:
    assert safe_url(url) is None
    panel = render_sources(_result(source=_source(url=url)))
    assert "href=" not in panel


def test_http_urls_are_linked_escaped_with_noopener() -> None:
    url = 'https://acme.example/p?a=1&b="2"'
    assert safe_url(url) == url
    panel = render_sources(_result(source=_source(url=url)))
    assert 'href="https://acme.example/p?a=1&amp;b=&quot;2&quot;"' in panel
    assert 'rel="noopener noreferrer"' in panel
    assert 'target="_blank"' in panel


def test_sources_panel_shows_metadata_fields() -> None:
    panel = render_sources(_result(), turn=2)
    for value in ("Acme Tracker notice", "Acme Inc", "policy", "2021-01-04", "English (en)"):
        assert value in panel
    assert "Retention" in panel
    assert 'id="fp-t2-source-1"' in panel


def test_highlight_uses_the_passage_offsets() -> None:
    panel = render_sources(_result(sentence="Acme keeps data for ninety days."))
    assert (
        'Acme Tracker notice.\n<mark class="fp-quote">Acme keeps data for ninety days.</mark>'
        "\nOther text." in panel
    )


def test_highlight_escapes_inside_and_outside_the_mark() -> None:
    text = "a <b> c <i> d"
    assert highlight_passage(text, [(2, 5)]) == (
        'a <mark class="fp-quote">&lt;b&gt;</mark> c &lt;i&gt; d'
    )


def test_highlight_merges_overlaps_and_ignores_bad_spans() -> None:
    text = "0123456789"
    marked = highlight_passage(text, [(1, 4), (3, 6), (8, 20), (-1, 2), (5, 5)])
    assert marked == '0<mark class="fp-quote">12345</mark>6789'


def test_quote_span_falls_back_to_finding_the_quote() -> None:
    result = _result(sentence="Acme keeps data.")
    citation = result.citations[0].model_copy(
        update={"passage_quote_start": 0, "passage_quote_end": 5}
    )
    text = result.passages[0].text
    start, end = quote_span(text, citation) or (0, 0)
    assert text[start:end] == "Acme keeps data."
    missing = citation.model_copy(update={"quote": "not there"})
    assert quote_span(text, missing) is None


def test_several_quotes_of_one_passage_are_all_highlighted() -> None:
    result = _result(sentence="First claim.")
    text = result.passages[0].text + " Second claim."
    second = text.index("Second claim.")
    view = result.passages[0].model_copy(update={"text": text})
    extra = result.citations[0].model_copy(
        update={
            "quote": "Second claim.",
            "passage_quote_start": second,
            "passage_quote_end": second + len("Second claim."),
        }
    )
    result = result.model_copy(update={"passages": [view], "citations": [*result.citations, extra]})
    panel = render_sources(result)
    assert panel.count("<mark") == 2
    assert panel.count("<article") == 1


def test_abstention_panel_is_labelled_not_an_answer() -> None:
    result = _result(abstained=True, citations=[], answer="The indexed documents do not answer.")
    panel = render_sources(result)
    assert "Not an answer." in panel
    assert "Closest passages (not an answer)" in panel
    assert 'class="fp-source fp-closest"' in panel
    assert "<mark" not in panel


def test_abstention_panel_gives_the_chain_reason() -> None:
    reason = "No indexed document matches the filters you chose."
    result = _result(abstained=True, citations=[], passages=[], answer=f"{reason}\n")
    panel = render_sources(result)
    assert f"<strong>Not an answer.</strong> {reason}" in panel
    assert "<article" not in panel


def test_invalid_input_panel_shows_the_message_only() -> None:
    result = AnswerResult(
        question="x" * 10,
        answer="The question is too long (900 characters); the limit is 500.",
        abstained=True,
        invalid_input=True,
    )
    panel = render_sources(result)
    assert "too long" in panel
    assert "<article" not in panel


def test_panel_names_active_filters() -> None:
    panel = render_sources(_result(), filters=SearchFilters(kind="policy", date_from="2021-01-01"))
    assert "Filters: kind = policy, from 2021-01-01" in panel


def test_empty_panel_before_the_first_question() -> None:
    assert "Ask a question" in render_sources(None)


# -- filters -------------------------------------------------------------------------------------


def test_parse_filters_blank_and_any_mean_no_filter() -> None:
    assert not parse_filters("", "Any", None, "  ", "").active


def test_parse_filters_strips_values() -> None:
    filters = parse_filters(" WhatsApp ", "policy", "id", "2021-01-01", "2021-12-31")
    assert filters == SearchFilters(
        publisher="WhatsApp",
        kind="policy",
        language="id",
        date_from="2021-01-01",
        date_to="2021-12-31",
    )


@pytest.mark.parametrize(("date_from", "date_to"), [("yesterday", ""), ("", "2021-13-01")])
def test_parse_filters_rejects_bad_dates(date_from: str, date_to: str) -> None:
    with pytest.raises(FilterError, match="date"):
        parse_filters(date_from=date_from, date_to=date_to)


def test_parse_filters_rejects_a_reversed_range() -> None:
    with pytest.raises(FilterError, match="before it starts"):
        parse_filters(date_from="2021-02-01", date_to="2021-01-01")


# -- binding and login ---------------------------------------------------------------------------


def _serve_settings(**changes: Any) -> Settings:
    base: dict[str, Any] = {"host": "127.0.0.1", "auth_user": None, "auth_password": None}
    base.update(changes)
    return Settings(**base)


def test_loopback_needs_no_login() -> None:
    assert check_bind(_serve_settings()) is None
    assert check_bind(_serve_settings(host="localhost")) is None


def test_other_addresses_refuse_to_start_without_a_login() -> None:
    with pytest.raises(ServeError, match="FINEPRINT_AUTH_USER"):
        check_bind(_serve_settings(host="0.0.0.0"))


def test_other_addresses_use_the_login() -> None:
    settings = _serve_settings(host="0.0.0.0", auth_user="ana", auth_password=SecretStr("pw"))
    assert check_bind(settings) == ("ana", "pw")


def test_half_a_login_is_refused() -> None:
    with pytest.raises(ServeError, match="both"):
        check_bind(_serve_settings(auth_user="ana"))


def test_no_corpus_and_no_index_refuses_to_start(tmp_path: Path) -> None:
    settings = _serve_settings(corpus_dir=tmp_path / "missing", index_dir=tmp_path / "index")
    with pytest.raises(CorpusError, match="does not exist"):
        prepare_index(settings, echo=lambda _line: None)


# -- the event handler, with a fake chain --------------------------------------------------------


class _FakeChain:
    """Streams three growing snapshots of one canned result."""

    def __init__(self, result: AnswerResult) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def stream(self, value: dict[str, Any]) -> Iterator[AnswerResult]:
        self.calls.append(value)
        answer = self.result.answer
        for end in (len(answer) // 3, 2 * len(answer) // 3, len(answer)):
            yield self.result.model_copy(update={"answer": answer[:end]})


def test_responder_streams_and_keeps_history() -> None:
    chain = _FakeChain(_result(sentence="Acme keeps data for ninety days."))
    respond = make_responder(chain)  # type: ignore[arg-type]
    previous = [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "earlier answer"},
    ]
    updates = list(respond("How long?", previous, "", "policy", "", "", ""))
    assert len(updates) >= 4  # placeholder + three snapshots
    history, panel, box = updates[-1]
    assert box == ""
    assert history[:2] == previous
    assert history[2] == {"role": "user", "content": "How long?"}
    assert 'href="#fp-t2-source-1"' in history[3]["content"]
    assert 'id="fp-t2-source-1"' in panel
    assert chain.calls[0]["filters"] == SearchFilters(kind="policy")
    lengths = [len(update[0][-1]["content"]) for update in updates[1:]]
    assert lengths == sorted(lengths)


def test_responder_reports_bad_filters_without_asking() -> None:
    chain = _FakeChain(_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    history, _panel, box = list(respond("q?", [], "", "", "", "01/02/2021", ""))[-1]
    assert "Please fix the filters" in history[-1]["content"]
    assert box == "q?"
    assert chain.calls == []


def test_responder_escapes_the_question() -> None:
    chain = _FakeChain(_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    history, _panel, _box = list(respond(SCRIPT, [], "", "", "", "", ""))[-1]
    assert "<script" not in _markdown_html(history[0]["content"])
