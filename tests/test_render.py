"""The page's pure rendering: the conversation, each answer's sources, URLs, highlighting,
labels in the answer's language, the empty page and the first-start progress.

No server and no model: results are hand-made (``fake_answers``). The HTML is parsed with a
real parser (BeautifulSoup's) to prove payloads stay text.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from fake_answers import IMG, JS_LINK, SCRIPT, fake_result, fake_source

from qa.answer.result import AnswerResult, Citation, Quote
from qa.ui.render import (
    TITLE_CHARS,
    IndexedDocument,
    Turn,
    anchor_id,
    example_candidates,
    format_seconds,
    highlight_passage,
    human_message,
    quote_span,
    render_conversation,
    render_progress,
    render_sources,
    render_welcome,
    safe_url,
)

INJECTED = ("script", "img", "iframe", "b", "i", "svg")


def _turn(result: AnswerResult | None = None, **changes: object) -> Turn:
    return Turn(question=changes.pop("question", "How long?"), result=result, **changes)  # type: ignore[arg-type]


def _panel(*results: AnswerResult) -> BeautifulSoup:
    return BeautifulSoup(render_sources([_turn(r) for r in results]), "html.parser")


def _chat(*results: AnswerResult) -> BeautifulSoup:
    return BeautifulSoup(render_conversation([_turn(r) for r in results]), "html.parser")


def _assert_inert(soup: BeautifulSoup) -> None:
    assert soup.find_all(INJECTED) == []
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert all(h.startswith(("#fp-", "https://", "http://")) for h in hrefs), hrefs


# -- the conversation ----------------------------------------------------------------------------


def test_conversation_keeps_document_payloads_inert() -> None:
    result = fake_result(source=fake_source(title=f"Title {IMG}", url="javascript:x()"))
    soup = _chat(result)
    _assert_inert(soup)
    text = soup.get_text()
    assert SCRIPT in text and JS_LINK in text
    assert [a["href"] for a in soup.select("a.fp-cite")] == [f"#{anchor_id(1, 1)}"]


def test_the_question_is_escaped() -> None:
    soup = BeautifulSoup(render_conversation([Turn(question=SCRIPT, message="m")]), "html.parser")
    _assert_inert(soup)
    assert soup.select_one(".fp-q p").get_text() == SCRIPT


def test_markers_of_each_answer_point_at_that_answers_sources() -> None:
    soup = _chat(fake_result(), fake_result(), fake_result())
    for turn in (1, 2, 3):
        links = soup.select(f"#fp-turn-{turn} a.fp-cite")
        assert [a["href"] for a in links] == [f"#fp-t{turn}-source-1"]
        assert links[0]["data-turn"] == str(turn)


def test_adjacent_markers_are_each_linked() -> None:
    result = fake_result(sentence="Kept for ninety days.")
    second = result.citations[0].model_copy(update={"marker": 3})
    result = result.model_copy(
        update={
            "answer": "Intro:\n\n“Kept for ninety days.” [1][3]\n",
            "citations": [*result.citations, second],
        }
    )
    links = _chat(result).select("a.fp-cite")
    assert [a.get_text() for a in links] == ["[1]", "[3]"]


def test_unknown_markers_stay_plain_text() -> None:
    soup = _chat(fake_result(sentence="See footnote [7] for details."))
    assert "fp-t1-source-7" not in str(soup)
    assert "[7]" in soup.get_text()


def test_the_source_list_becomes_chips_with_title_and_date() -> None:
    soup = _chat(fake_result())
    answer_text = soup.select_one(".fp-a").get_text()
    assert "https://acme.example/privacy" not in answer_text  # the long plain URL is gone
    chips = soup.select("a.fp-chip")
    # A no-break space: a flex item's leading space would vanish ("notice· 2021-01-04").
    assert [c.get_text() for c in chips] == ["Acme Tracker notice\u00a0· 2021-01-04"]
    assert chips[0]["href"] == "#fp-t1-doc-1"


def test_notes_are_shown_escaped() -> None:
    soup = _chat(fake_result(notes=[f"model said {SCRIPT}"]))
    _assert_inert(soup)
    assert f"model said {SCRIPT}" in soup.select_one(".fp-note").get_text()


def test_an_abstention_says_so_and_offers_the_closest_passages_as_chips() -> None:
    result = fake_result(
        answer="The indexed documents do not answer this question.\n\n"
        "Closest passages (not an answer):\n- Acme: text\n",
        citations=[],
        abstained=True,
    )
    soup = _chat(result)
    assert soup.select("a.fp-cite") == []
    assert "do not answer" in soup.select_one(".fp-abstain").get_text()
    assert "- Acme: text" not in soup.get_text()
    assert soup.select_one(".fp-chips-label").get_text() == "Closest passages (not an answer):"


def test_indonesian_answer_has_indonesian_labels() -> None:
    result = fake_result(language="id")
    chat = _chat(result)
    assert chat.select_one(".fp-q .fp-who").get_text() == "Anda"
    assert chat.select_one(".fp-chips-label").get_text() == "Sumber:"
    panel = _panel(result)
    labels = [dt.get_text() for dt in panel.select("dl.fp-meta dt")]
    assert labels == ["Penerbit", "Jenis", "Tanggal", "Bahasa"]
    assert "kebijakan" in panel.get_text()  # the kind, in Indonesian
    assert panel.select_one(".fp-link a").get_text() == "Buka dokumen asli"
    assert panel.select_one("h3").get_text() == "Sumber jawaban 1"


def test_a_message_turn_has_no_sources() -> None:
    turn = Turn(question="q", message="Please fix the filters: bad date.")
    assert "bad date" in render_conversation([turn])
    assert "<article" not in render_sources([turn])


# -- the sources panel ---------------------------------------------------------------------------


def test_panel_keeps_every_answers_sources_and_shows_the_last() -> None:
    first = fake_result(sentence="First answer's quote.")
    second = fake_result(sentence="Second answer's quote.", source=fake_source(title="Other"))
    panel = _panel(first, second)
    sections = panel.select("section.fp-turn-sources")
    assert [s["data-turn"] for s in sections] == ["1", "2"]
    assert sections[0].has_attr("hidden") and not sections[1].has_attr("hidden")
    assert panel.select_one("#fp-t1-source-1 mark").get_text() == "First answer's quote."
    assert panel.select_one("#fp-t2-source-1 mark").get_text() == "Second answer's quote."


def test_one_card_per_document_with_its_passages_inside() -> None:
    result = fake_result(sentence="First claim.")
    other = result.passages[0].model_copy(
        update={"passage_id": "acme.md#1", "text": "Later. Second claim.", "rank": 2}
    )
    second = result.citations[0].model_copy(
        update={
            "marker": 2,
            "passage_id": "acme.md#1",
            "quote": "Second claim.",
            "passage_quote_start": 7,
            "passage_quote_end": 20,
        }
    )
    result = result.model_copy(
        update={"passages": [*result.passages, other], "citations": [*result.citations, second]}
    )
    panel = _panel(result)
    cards = panel.select("article.fp-doc")
    assert len(cards) == 1
    assert len(cards[0].select("dl.fp-meta")) == 1  # the metadata once
    assert [c["id"] for c in cards[0].select(".fp-cited")] == ["fp-t1-source-1", "fp-t1-source-2"]
    assert [m.get_text() for m in cards[0].select("mark")] == ["First claim.", "Second claim."]


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
    panel = _panel(fake_result(source=source))
    _assert_inert(panel)
    assert panel.select("a") == []
    text = panel.get_text()
    assert SCRIPT in text and IMG in text and "javascript:window.__xss=6" in text


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
    assert "href=" not in render_sources([_turn(fake_result(source=fake_source(url=url)))])


def test_http_urls_are_linked_escaped_with_noopener() -> None:
    url = 'https://acme.example/p?a=1&b="2"'
    assert safe_url(url) == url
    link = _panel(fake_result(source=fake_source(url=url))).select_one(".fp-link a")
    assert link["href"] == url
    assert link["rel"] == ["noopener", "noreferrer"]
    assert link["target"] == "_blank"


def test_sources_panel_shows_metadata_and_section() -> None:
    panel = _panel(fake_result())
    text = panel.get_text()
    for value in ("Acme Tracker notice", "Acme Inc", "policy", "2021-01-04", "English (en)"):
        assert value in text
    assert "Section: Retention" in panel.select_one("#fp-t1-source-1").get_text()


def test_a_superseded_version_says_when_it_was_in_force() -> None:
    old = fake_source(valid_from="2019-12-19", valid_to="2021-01-04", superseded=True)
    text = _panel(fake_result(source=old)).get_text()
    assert "2019-12-19 to 2021-01-04 (superseded)" in text
    current = _panel(fake_result(source=fake_source(valid_from="2021-01-04"))).get_text()
    assert "since 2021-01-04 (current)" in current and "superseded" not in current
    indonesian = render_sources([_turn(fake_result(source=old, language="id"))])
    assert "2019-12-19 s.d. 2021-01-04 (sudah diganti)" in indonesian
    # A document alone in its series has no version dates to show.
    assert "In force" not in _panel(fake_result()).get_text()


def test_highlight_uses_the_passage_offsets() -> None:
    panel = render_sources([_turn(fake_result(sentence="Acme keeps data for ninety days."))])
    assert (
        'Acme Tracker notice.\n<mark class="fp-quote">Acme keeps data for ninety days.</mark>'
        "\nOther text." in panel
    )


def test_highlight_escapes_inside_and_outside_the_mark() -> None:
    assert highlight_passage("a <b> c <i> d", [(2, 5)]) == (
        'a <mark class="fp-quote">&lt;b&gt;</mark> c &lt;i&gt; d'
    )


def test_highlight_merges_overlaps_and_ignores_bad_spans() -> None:
    marked = highlight_passage("0123456789", [(1, 4), (3, 6), (8, 20), (-1, 2), (5, 5)])
    assert marked == '0<mark class="fp-quote">12345</mark>6789'


def test_quote_span_falls_back_to_finding_the_quote() -> None:
    result = fake_result(sentence="Acme keeps data.")
    citation: Citation = result.citations[0].model_copy(
        update={"passage_quote_start": 0, "passage_quote_end": 5}
    )
    text = result.passages[0].text
    start, end = quote_span(text, citation) or (0, 0)
    assert text[start:end] == "Acme keeps data."
    assert quote_span(text, citation.model_copy(update={"quote": "not there"})) is None


def test_abstention_panel_is_labelled_not_an_answer() -> None:
    result = fake_result(abstained=True, citations=[], answer="The indexed documents do not.")
    panel = _panel(result)
    assert panel.select_one(".fp-not-answer strong").get_text() == "Not an answer."
    assert "Closest passages (not an answer)" in panel.get_text()
    assert panel.select("article.fp-doc.fp-closest")
    assert panel.select("mark") == []


def test_abstention_panel_gives_the_chain_reason() -> None:
    reason = "No indexed document matches the filters you chose."
    panel = _panel(fake_result(abstained=True, citations=[], passages=[], answer=f"{reason}\n"))
    assert panel.select_one(".fp-not-answer").get_text() == f"Not an answer. {reason}"
    assert panel.select("article") == []


def test_invalid_input_gets_the_message_and_no_sources() -> None:
    result = AnswerResult(
        question="x" * 10,
        answer="The question is too long (900 characters); the limit is 500.",
        abstained=True,
        invalid_input=True,
    )
    assert "too long" in render_conversation([_turn(result)])
    assert "<article" not in render_sources([_turn(result)])


def test_panel_names_active_filters() -> None:
    panel = _panel_with_filters("kind = policy, from 2021-01-01")
    assert "Filters: kind = policy, from 2021-01-01" in panel


def _panel_with_filters(described: str) -> str:
    return render_sources([Turn(question="q", result=fake_result(), filters=described)])


def test_empty_panel_before_the_first_question() -> None:
    assert "Ask a question" in render_sources([])


# -- the empty page and progress -----------------------------------------------------------------


DOCS = [
    IndexedDocument(
        "a.md",
        title="Acme Privacy Policy",
        publisher="Acme Inc",
        kind="policy",
        date="2021-01-04",
        language="en",
        sections=("3.1. Cookies and Beacons", "Contact"),
        passages=9,
    ),
    IndexedDocument(
        "b.md",
        title="Kabar Acme menunda pembaruan",
        publisher="Kabar Tegal",
        kind="news",
        date="2021-01-16",
        language="id",
        passages=2,
    ),
    IndexedDocument("c.md", title=f"Beacon {SCRIPT}", publisher="Acme Inc", passages=1),
]


LONG_TITLE = (
    "Guna Meningkatkan Transaksi di Platform Bisnis, WhatsApp Tunda Pembaruan Pada Fitur Bisnis"
)


def test_examples_ask_about_headings_by_whole_titles() -> None:
    docs = [
        *DOCS,
        IndexedDocument("long.md", title=LONG_TITLE, publisher="Kabar Tegal", language="id"),
        IndexedDocument(
            "terms.md",
            title="Acme Terms of Service",
            publisher="Acme LLC",
            sections=("About Our Services", "How We Use Information", "Acceptable Use Of Our "
                      "Services", "What do we collect?", "Other", "Third-Party Information"),
            passages=20,
        ),
    ]  # fmt: skip
    examples = example_candidates(docs)
    questions = [e.question for e in examples]
    assert questions[:4] == [
        "Apa kata Kabar Tegal tentang “Kabar Acme menunda pembaruan”?",
        "What does the Acme Terms of Service say about acceptable use of its services?",
        "What does the Acme Privacy Policy say about cookies and beacons?",
        "What does the Acme Terms of Service say about third-party information?",
    ]  # headings first (an Indonesian document first); then whole documents by their titles
    assert all("…" not in q for q in questions)  # never a shortened title
    assert not any(LONG_TITLE[:20] in q for q in questions)  # too long to name whole: skipped
    for generic in ("our services?", "use information", "collect", "other?", "contact"):
        assert not any(q.lower().endswith(generic) or generic in q.lower() for q in questions)
    assert examples[1].doc_id == "terms.md" and examples[1].section.startswith("Acceptable")
    assert all(len(e.question) < TITLE_CHARS + 60 for e in examples)
    assert example_candidates([]) == []


def test_welcome_lists_documents_and_example_buttons_escaped() -> None:
    soup = BeautifulSoup(render_welcome(DOCS, [f"Ask {SCRIPT}?"]), "html.parser")
    _assert_inert(soup)
    buttons = soup.select("button.fp-example")
    assert [b["data-question"] for b in buttons] == [f"Ask {SCRIPT}?"]
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in soup.select("tbody tr")]
    assert ["Acme Privacy Policy", "Acme Inc", "policy", "2021-01-04", "English (en)"] in rows
    # A phone stacks the rows: each cell carries its column's name.
    labels = [td["data-label"] for td in soup.select("tbody tr")[0].find_all("td")]
    assert labels == ["Publisher", "Kind", "Date", "Language"]
    assert [f"Beacon {SCRIPT}", "Acme Inc", "", "", ""] in rows
    assert "Indexed documents (3)" in soup.get_text()


def test_a_versioned_document_is_one_row_with_its_history() -> None:
    versioned = replace(DOCS[0], versions=3, since="2019-12-19")
    soup = BeautifulSoup(render_welcome([versioned, *DOCS[1:]], []), "html.parser")
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in soup.select("tbody tr")]
    assert [
        "Acme Privacy Policy",
        "Acme Inc",
        "policy",
        "2021-01-04 (3 versions since 2019-12-19)",
        "English (en)",
    ] in rows


def test_progress_shows_documents_passages_and_time_left() -> None:
    soup = BeautifulSoup(render_progress(5, 15, 230, 42), "html.parser")
    assert "5 of 15 documents, 230 passages indexed; about 42 s left." in soup.get_text()
    assert soup.select_one("progress")["value"] == "33"  # by documents without a fraction
    by_bytes = BeautifulSoup(render_progress(5, 15, 230, 42, fraction=0.04), "html.parser")
    assert by_bytes.select_one("progress")["value"] == "4"
    assert "estimating" in render_progress(0, 15, 0, None)
    failed = render_progress(0, 0, 0, None, problem="disk full")
    assert "could not be indexed: disk full" in failed


def test_seconds_read_as_a_person_says_them() -> None:
    assert format_seconds(0.2) == "1 s"
    assert format_seconds(125) == "2 min"


# -- turns without an answer, error messages, quotation marks -----------------------------------


def test_a_turn_without_an_answer_has_no_sources_heading() -> None:
    turns = [
        Turn(question="Asked too early", message="The documents are still being indexed."),
        Turn(question="Bad date", message="Please fix the filters: …", filters="from 2021"),
        _turn(fake_result(sentence="Acme keeps data.")),
    ]
    panel = BeautifulSoup(render_sources(turns, active=1), "html.parser")
    first = panel.select_one('section[data-turn="1"]')
    assert first.find(["h3", "header"]) is None  # no "Sources of answer 1" over nothing
    assert first.get_text(" ", strip=True) == "No sources: question 1 got no answer."
    assert panel.select_one('section[data-turn="2"]').find("h3") is None
    assert panel.select_one('section[data-turn="3"] h3').get_text() == "Sources of answer 3"
    chat = BeautifulSoup(render_conversation(turns), "html.parser")
    assert chat.select("#fp-turn-1 .fp-inline-sources, #fp-turn-2 .fp-inline-sources") == []
    assert chat.select_one("#fp-turn-3 .fp-inline-sources") is not None
    pending = BeautifulSoup(render_sources([Turn(question="q", pending=True)]), "html.parser")
    assert pending.find("h3") is not None and "Composing" in pending.get_text()


def test_error_messages_read_as_sentences() -> None:
    raw = (
        "cannot reach the Chroma server at http://127.0.0.1:9 ([Errno 111] Connection refused);"
        " is it running ('chroma run --path DIR --port 9'), and is the address right?"
    )
    message = human_message(raw)
    assert message.startswith("Cannot reach the Chroma server at http://127.0.0.1:9 (Connection")
    assert message.endswith("is the address right?")
    assert "Errno" not in message and "?." not in message
    assert human_message("the date range ends on 2021-01-01.") == (
        "The date range ends on 2021-01-01."
    )
    assert human_message("x <urlopen error [Errno -2] Name or service not known>") == (
        "X Name or service not known."
    )
    assert human_message("a problem", capitalise=False) == "a problem."


def test_quotes_are_set_off_alike_and_kept_verbatim() -> None:
    plain = "Acme keeps data for ninety days."
    own = '"We never sell your data," said Acme.'
    result = fake_result(sentence=plain)
    result.answer = (
        f"Acme Tracker notice addresses this:\n\n“{plain}” [1]\n{own} [2]\n\nSources:\n[1] x\n"
    )
    result.citations.append(result.citations[0].model_copy(update={"marker": 2, "quote": own}))
    result.quotes = [
        Quote(text=plain, markers=[1], doc_id="acme.md"),
        Quote(text=own, markers=[2], doc_id="acme.md"),
    ]
    soup = BeautifulSoup(render_conversation([_turn(result)]), "html.parser")
    said = soup.select("#fp-turn-1 p.fp-said")
    assert [p.select_one("q.fp-said-text").get_text() for p in said] == [plain, own]
    assert [[a.get_text() for a in p.select("a.fp-cite")] for p in said] == [["[1]"], ["[2]"]]
    assert "“" not in soup.select_one("#fp-turn-1 .fp-a").get_text()  # none added by the page
