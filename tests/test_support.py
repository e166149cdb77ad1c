"""The support rule: when a passage supports a gold quote (whole, normalised, or split)."""

from __future__ import annotations

from qa.evaluate.questions import EvidenceQuote
from qa.evaluate.support import normalise, supports, words

POLICY_DOC = "policies/acme-privacy.md"
NEWS_DOC = "news/acme-statement.md"
OTHER_DOC = "policies/zeta-terms.md"
SPLIT_QUOTE = (
    "Acme keeps undelivered messages on its servers for thirty days and then deletes them "
    "without a trace from every backup"
)


def test_exact_quote_supports_from_any_document() -> None:
    gold = [EvidenceQuote(POLICY_DOC, "We do not sell your data.")]
    text = "Our promise. We do not sell your data. We share it with processors only."
    assert supports(text, POLICY_DOC, gold)
    assert supports(text, NEWS_DOC, gold)  # a whole quote counts wherever it is found
    assert not supports("We sell your data.", POLICY_DOC, gold)
    assert not supports(text, POLICY_DOC, [])


def test_curly_quotes_whitespace_case_and_markup_are_normalised() -> None:
    gold = [EvidenceQuote(NEWS_DOC, 'We don\'t share your contacts with "Facebook".')]
    text = "WE DON\u2019T  share\nyour **contacts** with \u201c[Facebook](https://fb.com)\u201d."
    assert supports(text, NEWS_DOC, gold)
    assert normalise("  A\u00a0\t_b_  [c] ") == "a b c"


QUOTE_WORDS = SPLIT_QUOTE.split()  # 20 words: a run of 12 is exactly 60 %
FIRST_12_WORDS = " ".join(QUOTE_WORDS[:12])
FIRST_11_WORDS = " ".join(QUOTE_WORDS[:11])


def test_split_quote_with_a_60_percent_run_from_the_same_document_supports() -> None:
    gold = [EvidenceQuote(POLICY_DOC, SPLIT_QUOTE)]
    assert len(words(SPLIT_QUOTE)) == 20
    passage_end = f"Retention. {FIRST_12_WORDS}"
    assert supports(passage_end, POLICY_DOC, gold)
    passage_start = " ".join(QUOTE_WORDS[8:]) + ". Deletion is final."
    assert supports(passage_start, POLICY_DOC, gold)


def test_split_quote_words_from_another_document_do_not_support() -> None:
    gold = [EvidenceQuote(POLICY_DOC, SPLIT_QUOTE)]
    assert not supports(f"Retention. {FIRST_12_WORDS}", OTHER_DOC, gold)


def test_split_quote_run_below_60_percent_does_not_support() -> None:
    gold = [EvidenceQuote(POLICY_DOC, SPLIT_QUOTE)]
    assert not supports(f"Retention. {FIRST_11_WORDS}", POLICY_DOC, gold)
    # All 20 quote words are there, but the longest run in a row is 10.
    scattered = " ".join(QUOTE_WORDS[:10]) + ". Meanwhile, " + " ".join(QUOTE_WORDS[10:])
    assert not supports(scattered, POLICY_DOC, gold)
