"""Abstention: the question's names, the signals, the margin per language and model, the rule.

Hand-made retrievals and evidence, no model: each case sets the cosines it needs.
"""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from qa.answer.abstention import compute_signals, margin, question_names, should_abstain
from qa.answer.evidence import Evidence
from qa.retrieve.hybrid import Retrieval
from qa.settings import (
    DEFAULT_ABSTENTION_RULES,
    E5_MODEL,
    MINILM_MODEL,
    AbstentionRule,
    Settings,
)

E5_RULE = DEFAULT_ABSTENTION_RULES[E5_MODEL]
MINILM_RULE = DEFAULT_ABSTENTION_RULES[MINILM_MODEL]
SIGNAL_KEYS = {
    "top_dense",
    "top_sentence",
    "evidence",
    "coverage",
    "evidence_coverage",
    "rare_coverage",
    "cross_lingual",
    "missing_names",
    "unknown_names",
    "agreement",
    "indonesian",
    "margin",
}


# -- question_names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What fine did Turkey's authority impose in 2021? It was big.", ["Turkey", "2021"]),
        ("Does WhatsApp share data with Facebook?", ["WhatsApp", "Facebook"]),
        ("Is Meta’s policy the same as Google's?", ["Meta", "Google"]),  # both apostrophes
        ("Did Meta pay? Meta said no.", []),  # a word that starts a sentence is no name
        ('"Facebook" owns it?', []),  # a quote before a sentence's first word
        ("Does Acme keep 1,000 logs for 30 days in 2021.", ["Acme", "1,000", "30", "2021"]),
        ("Apakah Acme menyimpan data di Jakarta?", ["Acme", "Jakarta"]),
        ("is my data sold?", []),
    ],
)
def test_question_names(question: str, names: list[str]) -> None:
    assert question_names(question) == names


@pytest.mark.parametrize("question", ["What's Acme's retention period?", "Where’s Acme's data?"])
def test_a_contraction_starting_the_question_is_no_name(question: str) -> None:
    assert question_names(question) == ["Acme"]


# -- margin and should_abstain -------------------------------------------------------------------


def test_margin_is_the_rules_linear_score() -> None:
    rule = AbstentionRule(weights={"top_dense": 2.0, "unknown_names": -1.0}, bias=-1.5)
    assert margin({"top_dense": 0.9, "unknown_names": 0.5}, rule) == pytest.approx(-0.2)
    assert margin({"top_dense": 0.9}, rule) == pytest.approx(0.3)  # a missing signal counts 0
    assert margin({}, rule) == pytest.approx(-1.5)
    assert margin({"top_dense": 0.9, "other": 5.0}, rule) == pytest.approx(0.3)  # unweighted


def test_the_default_rule_needs_strong_evidence() -> None:
    strong = {
        "top_dense": 0.9,
        "top_sentence": 0.92,
        "evidence": 0.93,
        "coverage": 1.0,
        "evidence_coverage": 1.0,
    }
    weak = {
        "top_dense": 0.8,
        "top_sentence": 0.8,
        "evidence": 0.8,
        "coverage": 0.2,
        "evidence_coverage": 0.0,
    }
    assert margin(strong) > 0 > margin(weak)
    assert margin({**strong, "unknown_names": 1.0}) < margin(strong)


@pytest.mark.parametrize(
    ("signals", "abstain"),
    [
        ({"margin": -0.0001}, True),
        ({"margin": 0.0}, False),
        ({"margin": 0.2}, False),
        ({"top_dense": 0.99}, True),  # no margin computed: abstain
    ],
)
def test_should_abstain_on_a_negative_margin(signals: dict[str, float], abstain: bool) -> None:
    assert should_abstain(signals) is abstain


# -- compute_signals -----------------------------------------------------------------------------

QUESTION = "Does Acme share contact lists with Turkey?"  # names: Acme, Turkey


def passage(text: str, dense_rank: int | None, lexical_rank: int | None) -> Document:
    """A ranked passage of Acme's policy with the rankings retrieval reports."""
    return Document(
        page_content=text,
        id="acme#0",
        metadata={
            "doc_id": "acme",
            "title": "Privacy Policy",
            "publisher": "Acme Inc.",
            "start": 0,
            "end": len(text),
            "dense_rank": dense_rank,
            "lexical_rank": lexical_rank,
        },
    )


def retrieval(passages: list[Document], vocabulary: set[str]) -> Retrieval:
    """A retrieval with ``passages``, best dense cosine 0.93 and best sentence 0.91."""
    return Retrieval(
        passages=passages,
        query_vector=[0.0],
        top_dense=0.93,
        top_sentence=0.91,
        vocabulary=frozenset(vocabulary),
        # The question's words, "turkey" rare (idf 3), the others common (idf 0).
        term_weights={"acm": 1.0, "share": 1.0, "contact": 1.0, "list": 1.0, "turkey": 4.0},
    )


def test_compute_signals_returns_every_signal() -> None:
    top = passage("Acme never shares contact lists.", dense_rank=1, lexical_rank=2)
    found = retrieval([top], {"acme", "never", "shares", "contact", "lists"})
    evidence = [Evidence(top, "Acme never shares contact lists.", 0, 32, 0.88)]

    signals = compute_signals(QUESTION, found, evidence, "en")

    assert set(signals) == SIGNAL_KEYS
    assert signals["top_dense"] == 0.93
    assert signals["top_sentence"] == 0.91
    assert signals["evidence"] == 0.88
    # Question words acme, share, contact, list, turkey: four are in the top passages.
    assert signals["coverage"] == 0.8
    # Acme is in the passages (publisher and text) and the corpus, Turkey in neither.
    assert signals["missing_names"] == 0.5
    assert signals["unknown_names"] == 0.5
    assert signals["agreement"] == 1.0  # dense and lexical both rank it in the top 5
    # The best evidence sentence holds four of the five question words too.
    assert signals["evidence_coverage"] == 0.8
    assert signals["indonesian"] == 0.0
    # Weighted by idf, the missing "turkey" costs 4 of 8.
    assert signals["rare_coverage"] == 0.5
    assert signals["margin"] == pytest.approx(margin(signals, E5_RULE), abs=1e-4)
    assert should_abstain(signals) is (signals["margin"] < 0)


def test_a_passage_using_the_acronym_says_the_long_form_the_question_uses() -> None:
    text = "We transfer personal data to the United States under SCCs."
    top = passage(text, dense_rank=1, lexical_rank=1)
    found = retrieval([top], {"transfer", "sccs"})
    found.acronyms = {"SCCs": "standard contractual clauses"}
    evidence = [Evidence(top, text, 0, len(text), 0.9)]

    signals = compute_signals("Do you use standard contractual clauses?", found, evidence, "en")

    # Asked: use, standard, contractual, clauses and the acronym; only "use" is not said.
    assert signals["evidence_coverage"] == 0.8
    assert signals["coverage"] == 0.8


def test_an_acronym_counts_only_as_written() -> None:
    text = "You can contact us if you have questions."
    top = passage(text, dense_rank=1, lexical_rank=1)
    found = retrieval([top], {"contact", "questions"})
    found.acronyms = {"US": "United States"}
    evidence = [Evidence(top, text, 0, len(text), 0.9)]

    signals = compute_signals("Is my data sent to the United States?", found, evidence, "en")

    # "us" is a pronoun here: the passage says neither "united" nor "states".
    assert signals["evidence_coverage"] == 0.0


def test_compute_signals_follows_the_language_and_rule() -> None:
    top = passage("Acme never shares contact lists.", dense_rank=1, lexical_rank=2)
    found = retrieval([top], {"acme"})
    indonesian = compute_signals(QUESTION, found, [], "id")
    # Names count only for English questions: Indonesian ones spell places otherwise.
    assert indonesian["indonesian"] == 1.0 and indonesian["unknown_names"] == 0.0
    minilm = compute_signals(QUESTION, found, [], "en", MINILM_RULE)
    assert minilm["margin"] == pytest.approx(0.93 - 0.58 - 0.5 * 0.5)
    assert minilm["evidence"] == 0.0


def test_a_name_is_known_by_a_word_it_starts() -> None:
    top = passage("Acme never shares contact lists.", dense_rank=1, lexical_rank=2)
    # "turkey" starts "turkeys"; whole words under four letters must match exactly.
    signals = compute_signals(QUESTION, retrieval([top], {"acme", "turkeys"}), [], "en")
    assert signals["unknown_names"] == 0.0
    assert signals["missing_names"] == 0.5, "the passages still do not name it"
    assert (
        compute_signals("Is Acm fine?", retrieval([top], {"acme"}), [], "en")["unknown_names"]
        == 1.0
    )


@pytest.mark.parametrize(("dense_rank", "lexical_rank"), [(1, None), (None, 1), (1, 6), (6, 1)])
def test_agreement_needs_both_rankings_in_their_top_five(
    dense_rank: int | None, lexical_rank: int | None
) -> None:
    top = passage("Acme never shares contact lists.", dense_rank, lexical_rank)
    signals = compute_signals(QUESTION, retrieval([top], {"acme"}), [], "en")
    assert signals["agreement"] == 0.0


def test_signals_of_an_empty_retrieval() -> None:
    signals = compute_signals("is my data sold?", retrieval([], set()), [], "en")
    assert set(signals) == SIGNAL_KEYS
    assert signals["coverage"] == signals["agreement"] == 0.0
    assert signals["missing_names"] == signals["unknown_names"] == 0.0  # no names to miss


# -- the rule of each model ----------------------------------------------------------------------


def test_each_model_has_its_own_rule() -> None:
    settings = Settings()
    assert settings.abstention_rule(E5_MODEL) == E5_RULE
    minilm = settings.abstention_rule(MINILM_MODEL)
    assert minilm == MINILM_RULE != E5_RULE
    # MiniLM's floor for English questions is 0.58: a cosine of 0.6 clears it, 0.55 not.
    assert margin({"top_dense": 0.6}, minilm) > 0 > margin({"top_dense": 0.55}, minilm)


def test_an_unknown_model_falls_back_to_the_default_models_rule() -> None:
    assert Settings().abstention_rule("some/local-model") == E5_RULE
    custom = AbstentionRule(weights={"top_dense": 1.0}, bias=-0.3)
    only_custom = Settings(abstention_rules={"mine": custom})
    assert only_custom.abstention_rule("mine") == custom
    assert only_custom.abstention_rule("some/local-model") == E5_RULE
