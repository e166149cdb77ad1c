"""Search filters: one validation for the page's form, ``SearchFilters``, the CLI and the chain.

``SearchFilters`` itself refuses a bad date or a reversed range, so every entry point refuses
the same values with the same ``FilterError``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from answer_docs import CONTACT_QUESTION
from click.testing import CliRunner

from qa.answer.chain import AnswerChain
from qa.cli import main
from qa.errors import FilterError
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings
from qa.ui.app import form_filters

REVERSED = {"date_from": "2021-02-01", "date_to": "2021-01-01"}
REVERSED_MESSAGE = "the date range ends (2021-01-01) before it starts (2021-02-01)"
POLICY_META = {
    "publisher": "WhatsApp LLC",
    "kind": "policy",
    "language": "en",
    "region": "European Region",
    "document_date": "2021-01-04",
}


# -- the page's form -----------------------------------------------------------------------------


def test_form_filters_blank_and_any_mean_no_filter() -> None:
    assert not form_filters("", "Any", None, "  ", "").active


def test_form_filters_strips_values() -> None:
    filters = form_filters(" WhatsApp ", "policy", "id", "2021-01-01", "2021-12-31")
    assert filters == SearchFilters(
        publisher="WhatsApp",
        kind="policy",
        language="id",
        date_from="2021-01-01",
        date_to="2021-12-31",
    )


@pytest.mark.parametrize(("date_from", "date_to"), [("yesterday", ""), ("", "2021-13-01")])
def test_form_filters_rejects_bad_dates(date_from: str, date_to: str) -> None:
    with pytest.raises(FilterError, match="date"):
        form_filters(date_from=date_from, date_to=date_to)


def test_form_filters_rejects_a_reversed_range() -> None:
    with pytest.raises(FilterError, match="before it starts"):
        form_filters(date_from="2021-02-01", date_to="2021-01-01")


# -- SearchFilters.from_values ---------------------------------------------------------------------


@pytest.mark.parametrize("blank", [None, "", "   ", "Any", "any", " ANY "])
def test_from_values_blank_and_any_leave_a_filter_unset(blank: str | None) -> None:
    filters = SearchFilters.from_values({"kind": blank, "publisher": "Acme"})
    assert filters.kind is None
    assert filters == SearchFilters(publisher="Acme")
    assert filters.active
    assert not SearchFilters.from_values({"kind": blank}).active


def test_from_values_strips_text_and_dates() -> None:
    filters = SearchFilters.from_values(
        {"publisher": "  Acme Inc ", "region": "\tEurope\n", "date_from": " 2021-01-04 "}
    )
    assert filters == SearchFilters(publisher="Acme Inc", region="Europe", date_from="2021-01-04")


def test_from_values_keywords_win_over_the_mapping() -> None:
    filters = SearchFilters.from_values({"kind": "news", "language": "en"}, kind="policy")
    assert (filters.kind, filters.language) == ("policy", "en")
    assert SearchFilters.from_values() == SearchFilters()


def test_from_values_refuses_an_unknown_field() -> None:
    with pytest.raises(FilterError, match=r"unknown filter\(s\) colour, size; known: publisher"):
        SearchFilters.from_values({"kind": "policy", "size": "1", "colour": "red"})


# -- SearchFilters validates itself --------------------------------------------------------------


@pytest.mark.parametrize(("field", "label"), [("date_from", "start"), ("date_to", "end")])
@pytest.mark.parametrize("value", ["yesterday", "2021-13-01", "2021-02-30", "01/02/2021"])
def test_a_bad_date_is_refused_by_the_type_itself(field: str, label: str, value: str) -> None:
    expected = f"the {label} date must be a date like 2021-01-04, not '{value}'"
    with pytest.raises(FilterError, match=expected):
        SearchFilters(**{field: value})


def test_a_reversed_range_is_refused_by_the_type_itself() -> None:
    with pytest.raises(FilterError, match=re.escape(REVERSED_MESSAGE)):
        SearchFilters(**REVERSED)
    one_day = SearchFilters(date_from="2021-01-01", date_to="2021-01-01")
    assert one_day.date_from == one_day.date_to


def test_dates_are_normalised_to_iso() -> None:
    assert SearchFilters(date_from="20210104").date_from == "2021-01-04"


# -- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), True),
        (SearchFilters(publisher="whatsapp"), True),  # part of the name, any case
        (SearchFilters(publisher="Signal"), False),
        (SearchFilters(region="europe"), True),
        (SearchFilters(kind="POLICY"), True),
        (SearchFilters(kind="pol"), False),  # kind matches the whole value
        (SearchFilters(language="e"), False),  # so does language
        (SearchFilters(language="en"), True),
        (SearchFilters(date_from="2021-01-04", date_to="2021-01-04"), True),
        (SearchFilters(date_from="2021-01-05"), False),
        (SearchFilters(date_to="2021-01-03"), False),
    ],
)
def test_matches(filters: SearchFilters, expected: bool) -> None:
    assert filters.matches(POLICY_META) is expected


def test_an_undated_document_passes_only_without_a_date_filter() -> None:
    undated = {k: v for k, v in POLICY_META.items() if k != "document_date"}
    assert SearchFilters(kind="policy").matches(undated)
    assert not SearchFilters(date_from="2000-01-01").matches(undated)
    assert not SearchFilters(date_to="2100-01-01").matches(undated)


# -- the same reversed range, refused by every entry point ---------------------------------------


def test_fineprint_ask_refuses_a_reversed_range(answer_settings: Settings) -> None:
    result = CliRunner().invoke(
        main,
        [
            "ask",
            CONTACT_QUESTION,
            "--index",
            str(answer_settings.index_dir),
            "--date-from",
            REVERSED["date_from"],
            "--date-to",
            REVERSED["date_to"],
        ],
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"Error: {REVERSED_MESSAGE}" in result.stderr
    assert "Traceback" not in result.output


def test_the_chain_refuses_a_reversed_range(answer_chain: AnswerChain) -> None:
    value: dict[str, Any] = {"question": CONTACT_QUESTION, "filters": dict(REVERSED)}
    with pytest.raises(FilterError, match=re.escape(REVERSED_MESSAGE)):
        answer_chain.invoke(value)
    with pytest.raises(FilterError, match="unknown filter"):
        answer_chain.invoke({"question": CONTACT_QUESTION, "filters": {"colour": "red"}})
