"""The chat's event handler (``make_responder``) with a fake chain: streaming, turns, filters,
messages in the question's language, and questions asked while the server still indexes.

The chain is a fake that streams snapshots of a hand-made result (``fake_answers``); the real
chain behind a real server is tested in ``test_web_api.py`` and ``test_browser.py``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fake_answers import SCRIPT, fake_result, fake_source

from qa.answer.result import AnswerResult
from qa.errors import FilterError, IndexUnreachableError
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings
from qa.ui.app import (
    ChainHolder,
    checked_examples,
    form_filters,
    make_index_view,
    make_json_answerer,
    make_responder,
)
from qa.ui.progress import IndexStatus
from qa.ui.render import EXAMPLE_ASKS, IndexedDocument, Turn, describe_filters, example_candidates


class _FakeChain:
    """Streams three growing snapshots of one canned result."""

    def __init__(self, result: AnswerResult) -> None:
        self.result = result
        self.settings = Settings()
        self.calls: list[dict[str, Any]] = []

    def stream(self, value: dict[str, Any]) -> Iterator[AnswerResult]:
        self.calls.append(value)
        answer = self.result.answer
        for end in (len(answer) // 3, 2 * len(answer) // 3, len(answer)):
            yield self.result.model_copy(update={"answer": answer[:end]})

    def invoke(self, value: dict[str, Any]) -> AnswerResult:
        self.calls.append(value)
        return self.result


def _value(update: Any) -> Any:
    return update["value"] if isinstance(update, dict) else update


def test_responder_streams_and_keeps_every_turn() -> None:
    chain = _FakeChain(fake_result(sentence="Acme keeps data for ninety days."))
    respond = make_responder(chain)  # type: ignore[arg-type]
    earlier = [Turn(question="earlier", result=fake_result(sentence="Earlier quote."))]
    updates = list(respond("How long?", earlier, "", "policy", "", "", ""))
    assert len(updates) >= 4  # pending + three snapshots (+ the final one)
    chat, panel, box, turns, _ask, _clear, welcome = updates[-1]
    assert _value(box) == ""
    assert [t.question for t in turns] == ["earlier", "How long?"]
    assert earlier[0].result is turns[0].result  # the earlier answer is kept as it was
    soup = BeautifulSoup(chat, "html.parser")
    assert soup.select_one("#fp-turn-2 a.fp-cite")["href"] == "#fp-t2-source-1"
    assert soup.select_one("#fp-turn-1 a.fp-cite")["href"] == "#fp-t1-source-1"
    panel_soup = BeautifulSoup(panel, "html.parser")
    assert panel_soup.select_one("#fp-t1-source-1 mark").get_text() == "Earlier quote."
    assert "ninety days" in panel_soup.select_one("#fp-t2-source-1 mark").get_text()
    assert welcome["visible"] is False
    assert chain.calls[0]["filters"] == SearchFilters(kind="policy")
    lengths = [len(BeautifulSoup(u[0], "html.parser").get_text()) for u in updates[1:]]
    assert lengths == sorted(lengths)


def test_an_empty_question_adds_no_turn() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    for blank in ("", "   ", "\n", "\u200b\u200b\u200b", " \u3164 "):
        updates = list(respond(blank, [], "", "", "", "", ""))
        assert len(updates) == 1
        assert all(type(u).__name__ == "_Skip" or u == {"__type__": "update"} for u in updates[0])
    assert chain.calls == []


def test_bad_dates_get_human_words_without_asking() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    chat, _panel, box, turns, *_ = list(respond("q?", [], "", "", "", "01/02/2021", ""))[-1]
    message = BeautifulSoup(chat, "html.parser").select_one(".fp-message").get_text()
    assert message.startswith("Please fix the filters: “Dated from” must be a date written")
    assert "date_from" not in message
    assert _value(box) == "q?"
    assert len(turns) == 1
    assert chain.calls == []


def test_filter_messages_follow_the_question_language() -> None:
    with pytest.raises(FilterError, match="harus berupa tanggal"):
        form_filters(date_to="kemarin", words="id")
    with pytest.raises(
        FilterError, match=re.escape("ends on 2021-01-01 (“Dated to”), before it starts")
    ):
        form_filters(date_from="2021-02-01", date_to="2021-01-01")
    assert form_filters(date_from=" 2021-02-01 ").date_from == "2021-02-01"


# -- "as of": the versions in force on a day, month or year --------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("2020", "2020"),
        (" 2020-12 ", "2020-12"),
        ("2020-12-01", "2020-12-01"),
        ("20201201", "2020-12-01"),
        # What ``fineprint ask --as-of`` also takes: several periods, the day before one.
        ("2020-12, <2021-01", "2020-12,<2021-01"),
    ],
)
def test_form_filters_take_an_as_of_year_month_or_day(typed: str, kept: str) -> None:
    filters = form_filters(as_of=typed)
    assert filters == SearchFilters(as_of=kept)
    assert filters.as_of == kept
    assert filters.periods()


def test_a_blank_as_of_is_no_filter() -> None:
    assert not form_filters("", "Any", "", "", "", "  ").active


@pytest.mark.parametrize("typed", ["December 2020", "2020-13", "12/2020", "2020-12-32", "<"])
def test_a_bad_as_of_is_refused_in_the_question_language(typed: str) -> None:
    with pytest.raises(FilterError) as english:
        form_filters(as_of=typed)
    assert str(english.value) == (
        f"“As of” must be a year, month or day written like 2020, 2020-12 or 2020-12-01; "
        f"“{typed}” is not one"
    )
    with pytest.raises(FilterError, match=re.escape("“Per tanggal” harus berupa tahun, bulan")):
        form_filters(as_of=typed, words="id")


def test_describe_filters_says_the_as_of_date() -> None:
    assert describe_filters(form_filters(as_of="2020-12")) == "as of 2020-12"
    assert describe_filters(form_filters(kind="policy", date_from="2021-01-01", as_of="2020")) == (
        "kind = policy, from 2021-01-01, as of 2020"
    )
    assert describe_filters(SearchFilters(as_of="<2021-01")) == "as of the day before 2021-01"
    assert describe_filters(form_filters()) == ""


def test_the_responder_asks_as_of_the_date_and_says_so() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    _chat, panel, *_ = list(respond("How long?", [], "", "", "", "", "", " 2020-09 "))[-1]
    assert chain.calls[0]["filters"] == SearchFilters(as_of="2020-09")
    filters = BeautifulSoup(panel, "html.parser").select_one(".fp-filters").get_text()
    assert filters == "Filters: as of 2020-09"


def test_a_bad_as_of_gets_a_message_without_asking() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    question = "Berapa lama pesan disimpan?"
    updates = list(respond(question, [], "", "", "", "", "", "Desember 2020"))
    chat, _panel, box, turns, *_ = updates[-1]
    message = BeautifulSoup(chat, "html.parser").select_one(".fp-message").get_text()
    assert message.startswith("Mohon perbaiki filter: “Per tanggal” harus berupa tahun")
    assert "“Desember 2020” bukan salah satunya" in message
    assert _value(box) == question
    assert len(turns) == 1
    assert chain.calls == []


def test_the_json_answer_takes_as_of() -> None:
    import gradio as gr

    chain = _FakeChain(fake_result())
    answer = make_json_answerer(chain)  # type: ignore[arg-type]
    result = answer("How long?", as_of="2020-12-01")
    assert result["answer"] == chain.result.answer
    assert chain.calls[0]["filters"] == SearchFilters(as_of="2020-12-01")
    with pytest.raises(gr.Error, match="“As of” must be a year, month or day"):
        answer("How long?", as_of="last winter")
    assert len(chain.calls) == 1


def test_an_indonesian_answer_turns_the_controls_indonesian() -> None:
    chain = _FakeChain(fake_result(language="id"))
    respond = make_responder(chain)  # type: ignore[arg-type]
    chat, _panel, box, _turns, ask, clear, _welcome = list(
        respond("Apakah data saya dibagikan?", [], "", "", "", "", "")
    )[-1]
    assert box["label"] == "Pertanyaan"
    assert ask["value"] == "Tanya"
    assert clear["value"] == "Percakapan baru"
    assert BeautifulSoup(chat, "html.parser").select_one(".fp-q .fp-who").get_text() == "Anda"


def test_the_question_is_escaped() -> None:
    chain = _FakeChain(fake_result())
    respond = make_responder(chain)  # type: ignore[arg-type]
    chat = list(respond(SCRIPT, [], "", "", "", "", ""))[-1][0]
    assert BeautifulSoup(chat, "html.parser").find("script") is None


def test_a_question_while_the_first_index_is_built_gets_a_message(tmp_path: Path) -> None:
    status = IndexStatus(tmp_path, had_index=False)
    status.start({"a.md": 10, "b.md": 30})
    status.file_done(1, 2, "a.md")
    holder = ChainHolder(Settings(index_dir=tmp_path), None, status)
    respond = make_responder(holder)
    chat, _panel, box, turns, *_ = list(respond("Do they sell data?", [], "", "", "", "", ""))[-1]
    assert "still being indexed (1 of 2)" in chat
    assert _value(box) == "Do they sell data?"  # kept, to ask again
    assert turns[0].result is None


def test_a_failed_index_is_told_in_words(tmp_path: Path) -> None:
    status = IndexStatus(tmp_path, had_index=False)
    status.failed("corpus folder /x does not exist")
    respond = make_responder(ChainHolder(Settings(index_dir=tmp_path), None, status))
    chat = list(respond("Do they sell data?", [], "", "", "", "", ""))[-1][0]
    assert "could not be indexed: corpus folder /x does not exist" in chat


def test_progress_estimates_time_left_from_bytes_done(tmp_path: Path) -> None:
    status = IndexStatus(tmp_path)
    status.start({"a.md": 100, "b.md": 300})
    assert status.seconds_left() is None  # nothing done yet: no guess
    status.batch_embedded(16, 64, "a.md")  # the clock starts at the first work reported
    assert status.seconds_left() is None  # 25 of 400 bytes: too little to extrapolate from
    time.sleep(0.05)
    status.file_done(1, 2, "a.md")  # 75 more bytes done in >= 50 ms; 300 to go
    left = status.seconds_left()
    assert left is not None and left >= 0.2
    assert status.fraction() == 0.25
    assert status.done == 1 and status.total == 2
    status.ready()
    assert status.answerable and status.finished and status.seconds_left() is None


# -- example questions checked by asking ---------------------------------------------------------


class _AnsweringChain:
    """Answers each question from a table: (doc_id, section, quote) cited first, or abstains."""

    def __init__(self, answers: dict[str, tuple[str, str, str] | None]) -> None:
        self.answers = answers
        self.settings = Settings()
        self.asked: list[str] = []

    def invoke(self, value: dict[str, Any]) -> AnswerResult:
        question = value["question"]
        self.asked.append(question)
        answer = self.answers.get(question)
        if answer is None:
            return fake_result(abstained=True, citations=[])
        doc_id, section, quote = answer
        return fake_result(sentence=quote, source=fake_source(doc_id=doc_id, section=section))


EXAMPLE_DOCS = [
    IndexedDocument(
        "eea.md",
        title="Acme Privacy Policy (European Region)",
        publisher="Acme Ireland",
        sections=("Third-Party Information", "Information You Provide"),
        passages=60,
    ),
    IndexedDocument(
        "terms.md",
        title="Acme Terms of Service",
        publisher="Acme LLC",
        sections=("About Our Services", "Acceptable Use Of Our Services", "Dispute Resolution"),
        passages=40,
    ),
    IndexedDocument(
        "telegram.md",
        title="Telegram Privacy Policy",
        publisher="Telegram",
        sections=("3.3.5. Phone Number and Contacts",),
        passages=30,
    ),
    IndexedDocument("gone.md", title="Gone Policy", sections=("Data Retention",), passages=5),
]
PREAMBLE = "Acme Ireland provides our Services to you under these Terms and this Policy."


def test_examples_are_kept_only_when_answered_from_their_own_document() -> None:
    candidates = example_candidates(EXAMPLE_DOCS)
    by_topic = {e.topic: e.question for e in candidates}
    chain = _AnsweringChain(
        {
            # The preamble of the right document: not about third-party information.
            by_topic["third-party information"]: ("eea.md", "Acme Privacy Policy", PREAMBLE),
            # Answered from the heading's own section.
            by_topic["acceptable use of its services"]: (
                "terms.md",
                "Terms > Acceptable Use Of Our Services",
                "You will not use our Services in ways that are illegal.",
            ),
            # From another document.
            by_topic["data retention"]: ("eea.md", "Retention", "We keep data retention logs."),
            # Elsewhere in its document, but saying what the heading says.
            by_topic["phone number and contacts"]: (
                "telegram.md",
                "3. Data > 3.3. Your Messages",
                "We use your phone number to find your contacts on Telegram.",
            ),
            by_topic["information you provide"]: ("eea.md", "Intro", PREAMBLE),
        }
    )
    kept = checked_examples(chain, candidates)  # type: ignore[arg-type]
    assert kept == [
        by_topic["acceptable use of its services"],
        by_topic["phone number and contacts"],
    ]  # fewer examples rather than bad ones; one per document
    assert by_topic["dispute resolution"] not in chain.asked  # its document has an example
    assert len(chain.asked) <= EXAMPLE_ASKS


def test_checking_examples_asks_at_most_eight_times() -> None:
    docs = [
        IndexedDocument(f"d{i}.md", title=f"Policy {i}", sections=(f"Topic Number {i}",))
        for i in range(20)
    ]
    chain = _AnsweringChain({})  # abstains on everything
    assert checked_examples(chain, example_candidates(docs)) == []  # type: ignore[arg-type]
    assert len(chain.asked) == EXAMPLE_ASKS == 8


class _UnreachableStore:
    def refresh(self) -> None:
        raise IndexUnreachableError(UNREACHABLE)


class _UnreachableChain(_FakeChain):
    def __init__(self) -> None:
        super().__init__(fake_result())
        self.store = _UnreachableStore()

    def stream(self, value: dict[str, Any]) -> Iterator[AnswerResult]:
        raise IndexUnreachableError(UNREACHABLE)


UNREACHABLE = (
    "cannot reach the Chroma server at http://127.0.0.1:9 ([Errno 111] Connection refused); "
    "is it running ('chroma run --path DIR --port 9'), and is the address right?"
)


def test_an_unreachable_index_is_a_sentence_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain = _UnreachableChain()
    holder = ChainHolder(chain.settings, chain, None)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        chat, panel, *_ = list(make_responder(holder)("Do they sell data?", []))[-1]
        summary, *_rest, problem, _timer = make_index_view(holder)()
    message = BeautifulSoup(chat, "html.parser").select_one(".fp-message").get_text()
    assert message.startswith("Cannot reach the Chroma server at http://127.0.0.1:9")
    assert message.endswith("is the address right?")
    assert "Errno" not in message
    assert BeautifulSoup(summary, "html.parser").get_text() == "The index cannot be reached."
    assert "Cannot reach the Chroma server" in BeautifulSoup(problem, "html.parser").get_text()
    assert "Sources of answer" not in panel
    assert caplog.records, "the problem is logged"
    assert all(r.exc_info is None and not r.exc_text for r in caplog.records)
