"""The offline answer (``qa.answer.extractive``): numbering, quoting, grouping, abstention text."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from qa.answer.evidence import Evidence
from qa.answer.extractive import (
    cite,
    compose_abstention,
    compose_answer,
    describe_source,
    lead_line,
    passage_views,
)
from qa.answer.phrases import phrase
from qa.answer.result import Source

TEXT = "We never sell your data. We keep logs for thirty days. Backups go after a year."


def passage(pid: str, doc_id: str, start: int, rank: int, **meta: object) -> Document:
    """A passage of ``TEXT`` starting at ``start`` (the whole rest of it)."""
    return Document(
        page_content=TEXT[start:],
        id=pid,
        metadata={"doc_id": doc_id, "start": start, "end": len(TEXT), "rank": rank, **meta},
    )


def evidence(item: Document, sentence: str, score: float) -> Evidence:
    """``sentence`` of ``TEXT`` quoted from ``item``."""
    start = TEXT.index(sentence)
    return Evidence(item, sentence, start, start + len(sentence), score)


def test_one_marker_per_passage_numbered_by_first_appearance() -> None:
    first = passage("a#0", "a.md", 0, 1, title="A")
    second = passage("b#0", "b.md", 25, 2, title="B")
    citations, _ = cite(
        [
            evidence(second, "We keep logs for thirty days.", 0.9),
            evidence(first, "We never sell your data.", 0.8),
            evidence(second, "Backups go after a year.", 0.7),
        ]
    )
    # Quotes are grouped by document, so both of b's come first: markers read in order.
    assert [(c.marker, c.passage_id) for c in citations] == [(1, "b#0"), (1, "b#0"), (2, "a#0")]
    assert citations[0].source.title == "B"


def test_quote_offsets_point_at_the_quote_in_document_and_passage() -> None:
    item = passage("b#0", "b.md", 25, 1)
    citation = cite([evidence(item, "Backups go after a year.", 0.7)])[0][0]
    assert TEXT[citation.quote_start : citation.quote_end] == citation.quote
    inside = item.page_content[citation.passage_quote_start : citation.passage_quote_end]
    assert inside == citation.quote


def test_the_answer_groups_quotes_by_source_and_lists_the_sources() -> None:
    first = passage("a#0", "a.md", 0, 1, title="Alpha", publisher="Acme")
    second = passage("a#1", "a.md", 25, 2, title="Alpha", section="Logs")
    citations, quotes = cite(
        [
            evidence(first, "We never sell your data.", 0.9),
            evidence(second, "We keep logs for thirty days.", 0.8),
        ]
    )
    text = "".join(compose_answer(citations, quotes, "en"))
    assert text.startswith("Alpha (Acme) addresses this:\n")
    assert "“We never sell your data.” [1]" in text
    assert "“We keep logs for thirty days.” [2]" in text
    sources = text.split(f"{phrase('en', 'sources')}:\n", 1)[1]
    assert sources.splitlines()[0].startswith("[1] Alpha · Acme")
    # A second passage of a listed document points back to it instead of repeating it.
    assert sources.splitlines()[1] == (
        f"[2] {phrase('en', 'same_document', marker=1)} · {phrase('en', 'section')}: Logs"
    )


def test_a_quote_with_its_own_quotation_marks_is_not_quoted_twice() -> None:
    text = "“We never sell.”"
    item = Document(page_content=text, id="q#0", metadata={"doc_id": "q", "start": 0, "end": 16})
    citations, quotes = cite([Evidence(item, text, 0, len(text), 0.9)])
    assert "\n“We never sell.” [1]" in "".join(compose_answer(citations, quotes, "en"))


def test_a_statement_made_by_several_sources_is_quoted_once_with_every_marker() -> None:
    old = passage(
        "p#0",
        "p-2019.md",
        0,
        1,
        title="Policy",
        publisher="Acme",
        kind="policy",
        document_date="2019-12-19",
    )
    new = passage(
        "q#0",
        "p-2021.md",
        0,
        2,
        title="Policy",
        publisher="Acme",
        kind="policy",
        document_date="2021-01-04",
    )
    copy = evidence(new, "We never sell your data.", 0.8)
    item = Evidence(old, "We never sell your data.", 0, 24, 0.9, copies=(copy,))
    citations, quotes = cite([item])
    assert [(c.marker, c.passage_id) for c in citations] == [(1, "p#0"), (2, "q#0")]
    assert quotes[0].markers == [1, 2]
    assert quotes[0].versions == ["2019-12-19", "2021-01-04"]
    text = "".join(compose_answer(citations, quotes, "en"))
    assert text.count("We never sell your data.") == 1
    assert (
        "“We never sell your data.” [1][2] (the same in each version: 2019-12-19, 2021-01-04)"
        in text
    )
    # Two publishers saying the same (a template) are not versions of one document.
    other = passage(
        "r#0",
        "r.md",
        0,
        2,
        title="Notice",
        publisher="Birch",
        kind="policy",
        document_date="2021-01-04",
    )
    shared = Evidence(
        old,
        "We never sell your data.",
        0,
        24,
        0.9,
        copies=(evidence(other, "We never sell your data.", 0.8),),
    )
    assert cite([shared])[1][0].versions == []


def test_the_lead_line_names_the_first_source_and_counts_the_others() -> None:
    first = passage(
        "a#0", "a.md", 0, 1, title="Alpha", publisher="Acme", document_date="2021-01-12"
    )
    second = passage("b#0", "b.md", 25, 2, title="Beta")
    citations, _ = cite(
        [
            evidence(first, "We never sell your data.", 0.9),
            evidence(second, "We keep logs for thirty days.", 0.8),
        ]
    )
    assert lead_line(citations, "en") == (
        "Alpha (Acme, 2021-01-12) addresses this, as 1 other document does:"
    )
    assert lead_line(citations[:1], "id") == "Alpha (Acme, 2021-01-12) membahas hal ini:"


def test_the_abstention_says_so_and_shows_closest_passages_cut_short() -> None:
    long_text = "word " * 200
    item = Document(
        page_content=long_text, id="l#0", metadata={"doc_id": "l.md", "start": 0, "end": 1000}
    )
    text = compose_abstention(passage_views([item]), "id")
    lines = text.splitlines()
    assert lines[0] == phrase("id", "abstention")
    assert lines[2] == phrase("id", "closest")
    assert lines[3].endswith("…") and len(lines[3]) < 260


def test_a_reason_replaces_the_standard_abstention_line() -> None:
    assert compose_abstention([], "en", "Nothing is indexed yet.") == "Nothing is indexed yet.\n"


def test_source_line_in_indonesian() -> None:
    source = Source(doc_id="x.md", title="Kebijakan", section="Data", page=3, url="https://x.id")
    assert describe_source(source, "id") == "Kebijakan · bagian: Data · p. 3 · https://x.id"


def test_the_lead_line_gives_the_date_once_when_the_title_has_it() -> None:
    item = passage(
        "a#0",
        "a.md",
        0,
        1,
        title="Acme's clarification (12 January 2021)",
        publisher="Acme",
        document_date="2021-01-12",
    )
    citations, _ = cite([evidence(item, "We never sell your data.", 0.9)])
    assert lead_line(citations, "en") == (
        "Acme's clarification (12 January 2021) (Acme) addresses this:"
    )


def test_the_lead_line_dates_a_version_by_when_it_took_effect() -> None:
    item = passage(
        "a#0",
        "a.md",
        0,
        1,
        title="Acme Privacy Policy",
        publisher="Acme",
        valid_from="2020-07-13",
        valid_to="2020-07-20",
    )
    citations, _ = cite([evidence(item, "We never sell your data.", 0.9)])
    assert lead_line(citations, "en") == "Acme Privacy Policy (Acme, 2020-07-13) addresses this:"


def test_markers_read_in_order_down_a_grouped_answer() -> None:
    a0 = passage("a#0", "a.md", 0, 1, title="A")
    b0 = passage("b#0", "b.md", 25, 2, title="B")
    a1 = passage("a#1", "a.md", 55, 3, title="A")
    citations, quotes = cite(
        [
            evidence(a0, "We never sell your data.", 0.9),
            evidence(b0, "We keep logs for thirty days.", 0.8),
            evidence(a1, "Backups go after a year.", 0.7),
        ]
    )
    text = "".join(compose_answer(citations, quotes, "en"))
    answer = text.split("Sources:")[0]
    shown = [int(n) for n in re.findall(r"\[(\d+)\]", answer)]
    assert shown == sorted(shown) == [1, 2, 3]
