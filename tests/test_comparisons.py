"""A question comparing two companies is answered with a quote from each, or says which had none."""

from __future__ import annotations

import pytest
from conftest import chain_over

from qa.answer.chain import AnswerChain, _compared
from qa.answer.result import AnswerResult

QUILLCHAT = """---
title: Quillchat Privacy Policy
publisher: Quillchat Ltd
kind: policy
date: 2024-03-01
---
# Quillchat Privacy Policy

Quillchat is a messaging app for families and small teams.

## Messages

Quillchat keeps your messages on its servers for 30 days after delivery and then deletes them.
Attachments such as photos are deleted when the messages that carry them are deleted.

## Contacts

We read your address book only to show which of your contacts already use Quillchat.
We never sell your contact list to anyone. We never share your messages with Google.

## Advertising

Quillchat shows no advertising and does not build advertising profiles.
"""

TANDEMTALK = """---
title: Tandemtalk Privacy Notice
publisher: Tandemtalk Inc.
kind: policy
date: 2024-05-10
---
# Tandemtalk Privacy Notice

Tandemtalk lets you chat with friends, share voice notes and join public channels.

## Your account

You sign up with a phone number, and you may add a display name and a profile photo.
We use your phone number to verify your account and to let friends find you.

## Storage

Tandemtalk stores your chat history in the cloud indefinitely, so that it can be synced to all
of your devices, until you delete it. Voice notes are stored in the same way as text messages.

## Payments

Channel owners can sell subscriptions; payments are handled by our payment processor.
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> AnswerChain:
    return chain_over(
        tmp_path_factory.mktemp("compared"),
        {"quillchat.md": QUILLCHAT, "tandemtalk.md": TANDEMTALK},
    )


def _quoted_publishers(result: AnswerResult) -> set[str]:
    return {citation.source.publisher for citation in result.citations}


@pytest.mark.parametrize(
    "question",
    [
        "What is the difference between Quillchat and Tandemtalk on how long they keep messages?",
        "Apa bedanya Quillchat dan Tandemtalk soal penyimpanan riwayat pesan?",
    ],
)
def test_each_compared_company_is_quoted(chain: AnswerChain, question: str) -> None:
    # The first search found only one company's storage sentence; each is searched alone.
    result = chain.invoke(question)

    assert not result.abstained, result.answer
    quotes = " ".join(c.quote for c in result.citations)
    assert "for 30 days after delivery" in quotes, result.answer
    assert "in the cloud indefinitely" in quotes, result.answer
    assert _quoted_publishers(result) == {"Quillchat Ltd", "Tandemtalk Inc."}
    # Every quote is a passage the result shows.
    shown = {view.passage_id for view in result.passages}
    assert {c.passage_id for c in result.citations} <= shown
    assert not result.notes, result.notes


def test_a_company_whose_sentence_names_the_subject_otherwise_shows_it_as_closest(
    chain: AnswerChain,
) -> None:
    # "messages" against "chat history": the subject rule reads words, so Tandemtalk's
    # sentence is not taken for an answer, but the note shows it for the reader to judge.
    result = chain.invoke(
        "What is the difference between Quillchat and Tandemtalk on how long messages are stored?"
    )

    assert _quoted_publishers(result) == {"Quillchat Ltd"}, result.answer
    assert any(
        "Tandemtalk Inc.'s documents" in note and "in the cloud indefinitely" in note
        for note in result.notes
    ), result.notes


def test_a_company_that_says_nothing_of_it_is_named_not_quoted(chain: AnswerChain) -> None:
    result = chain.invoke("Compare Quillchat and Tandemtalk on advertising.")

    assert not result.abstained, result.answer
    assert _quoted_publishers(result) == {"Quillchat Ltd"}, result.answer
    assert any("Tandemtalk Inc.'s documents" in note for note in result.notes), result.notes


def test_a_question_about_one_company_is_no_comparison(chain: AnswerChain) -> None:
    result = chain.invoke("How long does Quillchat keep my messages?")

    assert _quoted_publishers(result) == {"Quillchat Ltd"}, result.answer
    assert not result.notes, result.notes


@pytest.mark.parametrize(
    ("question", "compared"),
    [
        ("Apa bedanya Signal dan Telegram soal kontak?", ["signal", "telegram"]),
        ("Compare Telegram's and Signal's retention.", ["telegram", "signal"]),
        ("Compare WhatsApp vs. Telegram on retention.", ["whatsapp", "telegram"]),
        ("Does WhatsApp Ireland Limited or WhatsApp keep logs?", []),
        ("Does Signal keep my messages?", []),
        ("How does Signal compare with WhatsApp on sharing data?", ["signal", "whatsapp"]),
        ("Signal dibandingkan dengan Telegram soal iklan?", ["signal", "telegram"]),
    ],
)
def test_the_compared_companies_in_the_order_asked(question: str, compared: list[str]) -> None:
    said = {"signal", "telegram", "whatsapp", "whatsapp ireland limited"}
    named = {form for form in said if form in question.casefold()}
    assert _compared(question, named) == compared


def test_a_publisher_chosen_in_the_filters_bounds_the_comparison(chain: AnswerChain) -> None:
    question = "How do Quillchat and Tandemtalk differ on how long messages are stored?"
    result = chain.invoke({"question": question, "filters": {"publisher": "Tandemtalk"}})

    assert _quoted_publishers(result) <= {"Tandemtalk Inc."}, result.answer
    assert not any("Quillchat" in note for note in result.notes), result.notes


@pytest.mark.parametrize(
    ("question", "answering", "silent"),
    [
        ("Do Quillchat and Tandemtalk sell my contacts?", "Quillchat Ltd", "Tandemtalk Inc."),
        # A name the topic gives must be said: Tandemtalk shares voice notes, not with Google.
        (
            "How does Tandemtalk compare with Quillchat on sharing messages with Google?",
            "Quillchat Ltd",
            "Tandemtalk Inc.",
        ),
    ],
)
def test_each_company_is_answered_or_named_as_silent(
    chain: AnswerChain, question: str, answering: str, silent: str
) -> None:
    result = chain.invoke(question)

    assert not result.abstained, result.answer
    assert _quoted_publishers(result) == {answering}, result.answer
    assert any(f"{silent}'s documents" in note for note in result.notes), result.notes


def test_a_comparison_no_company_answers_is_refused_without_notes(chain: AnswerChain) -> None:
    result = chain.invoke("Compare Quillchat and Tandemtalk on fingerprint scans.")

    assert result.abstained, result.answer
    assert not result.notes, result.notes


def test_another_company_s_practice_does_not_answer_for_the_one_named(
    chain: AnswerChain,
) -> None:
    # Quillchat's "shows no advertising" was quoted for Tandemtalk, which says nothing of it.
    result = chain.invoke("Does Tandemtalk show advertising?")

    assert "Quillchat Ltd" not in _quoted_publishers(result), result.answer
    assert (
        chain.invoke("Does Quillchat show advertising?")
        .citations[0]
        .quote.startswith("Quillchat shows no advertising")
    )
