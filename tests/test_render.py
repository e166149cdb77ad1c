"""The page's pure rendering: chat Markdown, the sources panel, URLs and highlighting.

No server and no model: results are hand-made (``fake_answers``). The chat Markdown is also
rendered with a real CommonMark renderer (markdown-it, HTML allowed) to prove payloads stay text.
"""

from __future__ import annotations

import re

import pytest
from fake_answers import IMG, JS_LINK, SCRIPT, fake_result, fake_source, markdown_html

from qa.answer.result import AnswerResult
from qa.retrieve.filters import SearchFilters
from qa.ui.render import (
    anchor_id,
    escape_markdown,
    highlight_passage,
    quote_span,
    render_answer,
    render_sources,
    safe_url,
)

# -- escaping in the chat ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [SCRIPT, IMG, JS_LINK, "*bold* _it_ `code` $x$ # h"])
def test_escape_markdown_renders_payloads_as_literal_text(payload: str) -> None:
    rendered = markdown_html(escape_markdown(payload))
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "<a " not in rendered
    assert "<em>" not in rendered and "<code>" not in rendered and "<h1>" not in rendered


def test_escape_markdown_drops_indentation_so_no_code_block() -> None:
    rendered = markdown_html(escape_markdown("intro\n\n        indented"))
    assert "<pre>" not in rendered
    assert "indented" in rendered


def test_render_answer_keeps_document_payloads_inert() -> None:
    markdown = render_answer(
        fake_result(source=fake_source(title=f"Title {IMG}", url="javascript:x()"))
    )
    rendered = markdown_html(markdown)
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
    markdown = render_answer(fake_result(), turn=3)
    rendered = markdown_html(markdown)
    target = anchor_id(3, 1)
    assert target == "fp-t3-source-1"
    assert rendered.count(f'href="#{target}"') == 2  # in the quote and in the source list
    assert 'class="fp-cite"' in rendered


def test_render_answer_leaves_unknown_markers_unlinked() -> None:
    result = fake_result(sentence="See footnote [7] for details.")
    rendered = markdown_html(render_answer(result))
    assert "fp-t1-source-7" not in rendered
    assert "[7]" in rendered


def test_render_answer_shows_notes_escaped() -> None:
    result = fake_result(notes=[f"model said {SCRIPT}"])
    rendered = markdown_html(render_answer(result))
    assert "<script" not in rendered
    assert "<em>model said &lt;script&gt;" in rendered


def test_render_answer_labels_the_closest_passages_of_an_abstention() -> None:
    result = fake_result(
        answer="The indexed documents do not answer this question.\n\n"
        "Closest passages (not an answer):\n- Acme: text\n",
        citations=[],
        abstained=True,
    )
    rendered = markdown_html(render_answer(result))
    assert "<strong>Closest passages (not an answer):</strong>" in rendered
    assert "fp-cite" not in rendered


# -- the sources panel ---------------------------------------------------------------------------


def test_sources_panel_escapes_text_and_metadata() -> None:
    source = fake_source(
        title=f"T {SCRIPT}",
        publisher=IMG,
        kind="<b>policy</b>",
        document_date='2021"><script>',
        language="<i>en</i>",
        section=JS_LINK,
        url="javascript:window.__xss=6",
    )
    panel = render_sources(fake_result(source=source))
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
    panel = render_sources(fake_result(source=fake_source(url=url)))
    assert "href=" not in panel


def test_http_urls_are_linked_escaped_with_noopener() -> None:
    url = 'https://acme.example/p?a=1&b="2"'
    assert safe_url(url) == url
    panel = render_sources(fake_result(source=fake_source(url=url)))
    assert 'href="https://acme.example/p?a=1&amp;b=&quot;2&quot;"' in panel
    assert 'rel="noopener noreferrer"' in panel
    assert 'target="_blank"' in panel


def test_sources_panel_shows_metadata_fields() -> None:
    panel = render_sources(fake_result(), turn=2)
    for value in ("Acme Tracker notice", "Acme Inc", "policy", "2021-01-04", "English (en)"):
        assert value in panel
    assert "Retention" in panel
    assert 'id="fp-t2-source-1"' in panel


def test_highlight_uses_the_passage_offsets() -> None:
    panel = render_sources(fake_result(sentence="Acme keeps data for ninety days."))
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
    result = fake_result(sentence="Acme keeps data.")
    citation = result.citations[0].model_copy(
        update={"passage_quote_start": 0, "passage_quote_end": 5}
    )
    text = result.passages[0].text
    start, end = quote_span(text, citation) or (0, 0)
    assert text[start:end] == "Acme keeps data."
    missing = citation.model_copy(update={"quote": "not there"})
    assert quote_span(text, missing) is None


def test_several_quotes_of_one_passage_are_all_highlighted() -> None:
    result = fake_result(sentence="First claim.")
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
    result = fake_result(
        abstained=True, citations=[], answer="The indexed documents do not answer."
    )
    panel = render_sources(result)
    assert "Not an answer." in panel
    assert "Closest passages (not an answer)" in panel
    assert 'class="fp-source fp-closest"' in panel
    assert "<mark" not in panel


def test_abstention_panel_gives_the_chain_reason() -> None:
    reason = "No indexed document matches the filters you chose."
    result = fake_result(abstained=True, citations=[], passages=[], answer=f"{reason}\n")
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
    panel = render_sources(
        fake_result(), filters=SearchFilters(kind="policy", date_from="2021-01-01")
    )
    assert "Filters: kind = policy, from 2021-01-01" in panel


def test_empty_panel_before_the_first_question() -> None:
    assert "Ask a question" in render_sources(None)
