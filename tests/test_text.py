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
        ("This infor-\nmation is kept.", "This information is kept."),
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
