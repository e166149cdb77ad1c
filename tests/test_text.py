"""One text normalisation for documents and questions (``qa.load.text``, ``qa.load.question``)."""

from __future__ import annotations

import pytest

from qa.load.question import clean_question
from qa.load.text import join_wrapped_lines, normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("noti\ufb01cation", "notification"),  # PDF ligature
        ("e\ufb00ect and \ufb02ow", "effect and flow"),
        ("50\u00a0MB", "50 MB"),  # non-breaking space
        ("Sentinel\u200bCheck", "SentinelCheck"),  # zero-width space
        ("trans\u00adaction", "transaction"),  # soft hyphen
        ("\ufeffTitle", "Title"),  # byte-order mark
        ("a\u200db\u200cc\u2060d", "abcd"),  # joiners, word joiner
        ("\u200fright-to-left mark", "right-to-left mark"),
        ("line\r\nbreak\rmore\u2028end", "line\nbreak\nmore\nend"),
        ("\uff21\uff42\uff43", "Abc"),  # full-width letters
        ("bell\x07here", "bell here"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_normalise_text_keeps_accents_and_other_scripts() -> None:
    text = "Café, naïve, 我的联系人, Ağustos, kebijakan privasi"
    assert normalise_text(text) == text


def test_normalise_text_is_idempotent() -> None:
    once = normalise_text("ﬁnal\u00a0\u200bword\r\n")
    assert normalise_text(once) == once


@pytest.mark.parametrize(
    ("wrapped", "joined"),
    [
        ("Heart-rate data is deleted\n24 months after it was recorded.", None),
        ("We keep it for\nthirty days.", "We keep it for thirty days."),
        # In typed text a hyphen at a line end is the writer's; PDFs are tested in test_load.
        ("We share it with third-\nparty processors.", "We share it with third-party processors."),
    ],
)
def test_wrapped_sentences_are_joined(wrapped: str, joined: str | None) -> None:
    expected = joined or wrapped.replace("\n", " ")
    assert join_wrapped_lines(wrapped) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "Retention Notes\nAcme keeps tickets.",  # a title line before a capital
        "We keep logs.\nwe also keep backups.",  # a sentence that ended
        "Contact:\nprivacy@example.com",  # a label
    ],
)
def test_line_breaks_that_end_something_stay(kept: str) -> None:
    assert join_wrapped_lines(kept) == kept


def test_questions_are_normalised_like_documents() -> None:
    assert clean_question(" How are \ufb01nancial\u00a0records\u200b kept?\n") == (
        "How are financial records kept?"
    )


def test_a_layout_hyphen_is_joined_unless_the_document_writes_the_word_with_it() -> None:
    assert join_wrapped_lines("We keep infor-\nmation.", hyphens=True) == "We keep information."
    kept = "Data of pihak-\npihak ketiga."
    assert join_wrapped_lines(kept, hyphens=True) == "Data of pihak-pihak ketiga."
    written = "Our third-party list. We share it with third-\nparty processors."
    assert join_wrapped_lines(written, hyphens=True).endswith("with third-party processors.")


def test_a_full_line_continues_on_the_next_even_before_a_capital() -> None:
    wrapped = (
        "We share your billing details with our payment processor, who bills you monthly for\n"
        "Stripe handles the payment itself and keeps the card details on our behalf.\n"
        "1. your name\n2. your email address"
    )
    lines = join_wrapped_lines(wrapped).split("\n")
    assert lines[0].endswith(
        "monthly for Stripe handles the payment itself and keeps the card details on our behalf."
    )
    assert lines[1:] == ["1. your name", "2. your email address"]
