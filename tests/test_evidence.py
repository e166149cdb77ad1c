"""Evidence sentences: scoring the sentences inside retrieved passages and choosing the quotes.

Hand-made passages and scored sentences, no model: each case sets the cosines it needs.
"""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from qa.answer.evidence import Evidence, EvidenceSelector
from qa.retrieve.catalog import ScoredSentence
from qa.settings import (
    DEFAULT_EVIDENCE_BIAS,
    DEFAULT_EVIDENCE_PER_PASSAGE,
    DEFAULT_EVIDENCE_RANK_PENALTY,
    DEFAULT_EVIDENCE_THRESHOLD,
    DEFAULT_EVIDENCE_WEIGHTS,
    DEFAULT_EVIDENCE_WORD_BONUS,
    DEFAULT_MAX_EVIDENCE_SENTENCES,
    DEFAULT_MIN_SENTENCE_CHARS,
    Settings,
)

QUESTION = "Do you share contact lists?"  # tokens: share, contact, list
ON_TOPIC = "We never share contact lists with anyone."  # repeats all three
OFF_TOPIC = "Partners receive only aggregated statistics."  # repeats none
HALF_TOPIC = "Contact us about your data at any time."  # repeats one of three

# A plain selector: no bonus, no penalty, no threshold and no caps, unless a test sets them.
PLAIN = EvidenceSelector(
    max_sentences=20, threshold=-1e9, per_passage=20, word_bonus=0.0, rank_penalty=0.0
)
# A rule that only looks at the cosine: log-odds -10 per unit below the best sentence's cosine.
BY_COSINE = {"cosine_gap": -10.0}


def passage(pid: str, start: int, end: int, rank: int) -> Document:
    """Passage ``pid`` (``<doc>#<n>``) covering ``start..end`` of its document, at ``rank``."""
    doc_id = pid.split("#")[0]
    return Document(
        page_content="x" * (end - start),
        id=pid,
        metadata={"doc_id": doc_id, "start": start, "end": end, "rank": rank},
    )


def scored(doc_id: str, start: int, text: str, score: float) -> ScoredSentence:
    """A stored sentence of ``doc_id`` at ``start`` with its cosine to the question."""
    sentence = Document(
        page_content=text, metadata={"doc_id": doc_id, "start": start, "end": start + len(text)}
    )
    return ScoredSentence(sentence, score)


def texts(evidence: list[Evidence]) -> list[str]:
    """The sentence texts of ``evidence``, in order."""
    return [e.text for e in evidence]


# Two overlapping passages of one document and a passage of another, ranked 1..3.
FIRST = passage("acme#0", 0, 200, rank=1)
SECOND = passage("acme#1", 150, 400, rank=2)
THIRD = passage("zeta#0", 0, 200, rank=3)
PASSAGES = [FIRST, SECOND, THIRD]


# -- score ---------------------------------------------------------------------------------------


def test_only_sentences_wholly_inside_a_passage_count() -> None:
    sentences = [
        scored("acme", 10, ON_TOPIC, 0.80),  # inside FIRST
        scored("acme", 500, OFF_TOPIC, 0.99),  # after every passage of acme
        scored("acme", 380, HALF_TOPIC, 0.98),  # starts in SECOND, ends after it
        scored("other", 10, OFF_TOPIC, 0.97),  # a document no passage comes from
        scored("zeta", 20, HALF_TOPIC, 0.70),  # inside THIRD
    ]
    evidence = PLAIN.score(PASSAGES, sentences, QUESTION)
    assert [(e.passage.id, e.doc_start) for e in evidence] == [("acme#0", 10), ("zeta#0", 20)]


def test_short_sentences_are_dropped() -> None:
    short = scored("acme", 10, "Contacts.", 0.95)
    sentences = [short, scored("acme", 30, ON_TOPIC, 0.80)]
    assert texts(PLAIN.score(PASSAGES, sentences, QUESTION)) == [ON_TOPIC]
    assert len("Contacts.") < DEFAULT_MIN_SENTENCE_CHARS == PLAIN.min_sentence_chars
    # Below the length floor, a one-word label is no statement either.
    lenient = EvidenceSelector(word_bonus=0.0, min_sentence_chars=5)
    assert texts(lenient.score(PASSAGES, sentences, QUESTION)) == [ON_TOPIC]


def test_the_word_bonus_lifts_sentences_that_repeat_the_question() -> None:
    sentences = [scored("acme", 10, OFF_TOPIC, 0.80), scored("acme", 60, ON_TOPIC, 0.78)]
    assert texts(PLAIN.score(PASSAGES, sentences, QUESTION)) == [OFF_TOPIC, ON_TOPIC]

    bonus = EvidenceSelector(word_bonus=0.04, rank_penalty=0.0)
    evidence = bonus.score(PASSAGES, sentences, QUESTION)
    assert texts(evidence) == [ON_TOPIC, OFF_TOPIC]
    assert [e.score for e in evidence] == pytest.approx([0.78 + 0.04, 0.80])


def test_the_bonus_is_the_share_of_question_words_repeated() -> None:
    bonus = EvidenceSelector(word_bonus=0.3, rank_penalty=0.0)
    (evidence,) = bonus.score(PASSAGES, [scored("acme", 10, HALF_TOPIC, 0.5)], QUESTION)
    assert evidence.score == pytest.approx(0.5 + 0.3 / 3)


def test_the_rank_penalty_lowers_sentences_of_later_passages() -> None:
    sentences = [scored("zeta", 10, OFF_TOPIC, 0.83), scored("acme", 10, HALF_TOPIC, 0.80)]
    assert texts(PLAIN.score(PASSAGES, sentences, QUESTION)) == [OFF_TOPIC, HALF_TOPIC]

    penalty = EvidenceSelector(word_bonus=0.0, rank_penalty=0.02)
    evidence = penalty.score(PASSAGES, sentences, QUESTION)
    assert texts(evidence) == [HALF_TOPIC, OFF_TOPIC]
    # The zeta passage is ranked 3rd: two ranks below the first.
    assert [e.score for e in evidence] == pytest.approx([0.80, 0.83 - 2 * 0.02])


def test_a_sentence_in_two_passages_counts_once_for_the_first() -> None:
    shared = scored("acme", 152, ON_TOPIC, 0.9)  # inside both FIRST and SECOND
    evidence = PLAIN.score(
        PASSAGES, [shared, shared, scored("acme", 300, OFF_TOPIC, 0.5)], QUESTION
    )
    assert [(e.passage.id, e.doc_start) for e in evidence] == [("acme#0", 152), ("acme#1", 300)]


def test_evidence_knows_its_offsets_inside_the_passage() -> None:
    (evidence,) = PLAIN.score([SECOND], [scored("acme", 300, ON_TOPIC, 0.9)], QUESTION)
    assert (evidence.doc_start, evidence.doc_end) == (300, 300 + len(ON_TOPIC))
    assert (evidence.passage_start, evidence.passage_end) == (150, 150 + len(ON_TOPIC))


def test_nothing_to_score_gives_nothing() -> None:
    assert PLAIN.score([], [scored("acme", 10, ON_TOPIC, 0.9)], QUESTION) == []
    assert PLAIN.score(PASSAGES, [], QUESTION) == []


# -- select --------------------------------------------------------------------------------------


def candidates() -> list[Evidence]:
    """Five scored sentences, best first: three in FIRST, one in SECOND, one in THIRD."""
    sentences = [
        scored("acme", 10, "We keep chat logs on our servers for thirty days.", 0.90),
        scored("acme", 60, "Backups are deleted after one full year.", 0.88),
        scored("acme", 110, "Support tickets stay open until you close them.", 0.87),
        scored("acme", 300, "Payment records are kept as tax law requires.", 0.86),
        scored("zeta", 10, "Zeta never sells personal data to anyone.", 0.80),
    ]
    return PLAIN.score(PASSAGES, sentences, QUESTION)


def test_select_keeps_sentences_whose_log_odds_reach_the_threshold() -> None:
    narrow = EvidenceSelector(
        max_sentences=20, weights=BY_COSINE, bias=0.0, threshold=-0.25, per_passage=20
    )
    assert [e.score for e in narrow.select(candidates())] == pytest.approx([0.90, 0.88])
    wide = EvidenceSelector(
        max_sentences=20, weights=BY_COSINE, bias=0.0, threshold=-2.0, per_passage=20
    )
    assert len(wide.select(candidates())) == 5


def test_the_best_sentence_is_kept_whatever_the_threshold() -> None:
    strict = EvidenceSelector(weights=BY_COSINE, bias=-50.0, threshold=0.0)
    assert [e.score for e in strict.select(candidates())] == pytest.approx([0.90])


def test_the_rule_orders_by_log_odds_not_by_cosine() -> None:
    # Repeating the question's words outweighs a cosine 0.02 lower under this rule.
    rule = EvidenceSelector(
        weights={"cosine_gap": -10.0, "overlap": 5.0}, bias=0.0, threshold=99.0, word_bonus=0.0
    )
    sentences = [scored("acme", 10, OFF_TOPIC, 0.90), scored("acme", 60, ON_TOPIC, 0.88)]
    assert texts(rule.select(rule.score(PASSAGES, sentences, QUESTION))) == [ON_TOPIC]


def test_select_caps_sentences_per_passage_and_moves_on() -> None:
    one_each = EvidenceSelector(
        max_sentences=20, weights=BY_COSINE, bias=0.0, threshold=-2.0, per_passage=1
    )
    assert [e.passage.id for e in one_each.select(candidates())] == ["acme#0", "acme#1", "zeta#0"]
    assert [e.score for e in one_each.select(candidates())] == pytest.approx([0.90, 0.86, 0.80])
    two_each = EvidenceSelector(
        max_sentences=20, weights=BY_COSINE, bias=0.0, threshold=-2.0, per_passage=2
    )
    assert [e.score for e in two_each.select(candidates())] == pytest.approx(
        [0.90, 0.88, 0.86, 0.80]
    )


def test_select_stops_at_max_sentences() -> None:
    capped = EvidenceSelector(
        max_sentences=2, weights=BY_COSINE, bias=0.0, threshold=-2.0, per_passage=20
    )
    assert [e.score for e in capped.select(candidates())] == pytest.approx([0.90, 0.88])


def test_select_of_nothing_is_nothing() -> None:
    assert EvidenceSelector().select([]) == []


# -- configuration -------------------------------------------------------------------------------


def test_defaults_are_the_tuned_settings() -> None:
    assert EvidenceSelector() == EvidenceSelector(
        max_sentences=DEFAULT_MAX_EVIDENCE_SENTENCES,
        weights=DEFAULT_EVIDENCE_WEIGHTS,
        bias=DEFAULT_EVIDENCE_BIAS,
        threshold=DEFAULT_EVIDENCE_THRESHOLD,
        per_passage=DEFAULT_EVIDENCE_PER_PASSAGE,
        word_bonus=DEFAULT_EVIDENCE_WORD_BONUS,
        rank_penalty=DEFAULT_EVIDENCE_RANK_PENALTY,
        min_sentence_chars=DEFAULT_MIN_SENTENCE_CHARS,
    )
    assert EvidenceSelector.from_settings(Settings()) == EvidenceSelector()


def test_from_settings_takes_every_value_from_the_settings() -> None:
    settings = Settings(
        max_evidence_sentences=7,
        evidence_threshold=0.3,
        evidence_bias=-1.0,
        evidence_per_passage=3,
        evidence_word_bonus=0.11,
        evidence_rank_penalty=0.07,
        min_sentence_chars=12,
    )
    assert EvidenceSelector.from_settings(settings) == EvidenceSelector(
        max_sentences=7,
        threshold=0.3,
        bias=-1.0,
        per_passage=3,
        word_bonus=0.11,
        rank_penalty=0.07,
        min_sentence_chars=12,
    )


# -- statements and copies -----------------------------------------------------------------------


def test_headings_labels_and_navigation_are_never_evidence() -> None:
    sentences = [
        scored("acme", 10, "Deleting Your Acme Account And Contacts.", 0.99),
        scored("acme", 60, "Acme blog post, 15 January 2021:", 0.98),
        scored("acme", 110, "Learn more about how Acme shares contact lists.", 0.97),
        scored("acme", 300, ON_TOPIC, 0.80),
    ]
    assert texts(PLAIN.score(PASSAGES, sentences, QUESTION)) == [ON_TOPIC]


def test_a_sentence_inside_a_quotation_is_quoted_from_its_opening_mark() -> None:
    text = 'Acme said: "We read nothing. We never share contact lists," in a post.'
    item = Document(
        page_content=text,
        id="q#0",
        metadata={"doc_id": "q", "start": 0, "end": len(text), "rank": 1},
    )
    tail = 'We never share contact lists," in a post.'
    found = PLAIN.score([item], [scored("q", text.index(tail), tail, 0.9)], QUESTION)
    assert texts(found) == ['"We read nothing. We never share contact lists," in a post.']
    assert text[found[0].doc_start : found[0].doc_end] == found[0].text


def test_the_same_statement_elsewhere_is_kept_once_as_a_copy() -> None:
    other = passage("birch#0", 0, 200, rank=2)
    sentences = [
        scored("acme", 10, "Acme never shares your contact lists with anyone.", 0.90),
        scored("birch", 10, "Birch never shares your contact lists with anyone.", 0.89),
        scored("acme", 300, "Acme keeps contact lists for thirty days only.", 0.88),
    ]
    chosen = EvidenceSelector(per_passage=1).select(
        PLAIN.score([FIRST, other, SECOND], sentences, QUESTION)
    )
    assert texts(chosen) == [
        "Acme never shares your contact lists with anyone.",
        "Acme keeps contact lists for thirty days only.",
    ]
    assert [c.passage.id for c in chosen[0].copies] == ["birch#0"]
    assert chosen[0].copies[0].text.startswith("Birch")
