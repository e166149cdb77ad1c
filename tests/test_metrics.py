"""Metrics on fake outcomes: retrieval ranks, citations, abstention, latency and breakdowns.

The outcomes are hand-made (``Outcome``, ``RankedPassage``, ``CitedPassage``), so every figure
can be worked out by hand.
"""

from __future__ import annotations

import pytest

from qa.evaluate.metrics import CitedPassage, Outcome, RankedPassage, compute_metrics

POLICY_DOC = "policies/acme-privacy.md"


def _fake_ranking(support_rank: int | None, size: int = 6, doc: str = POLICY_DOC) -> tuple:
    """``size`` fake passages ``p1..pN``; only the one at ``support_rank`` supports."""
    return tuple(
        RankedPassage(f"{doc}#{rank}", doc, rank, supports=rank == support_rank)
        for rank in range(1, size + 1)
    )


def _fake_citation(supports: bool, marker: int = 1) -> CitedPassage:
    return CitedPassage(marker, f"{POLICY_DOC}#{marker}", POLICY_DOC, supports)


FAKE_RANK_1 = Outcome(
    "fake-rank-1",
    answerable=True,
    abstained=False,
    language="en",
    tags=("a",),
    ranked=_fake_ranking(1),
    citations=(_fake_citation(True), _fake_citation(False, 2)),
    latency_ms=100.0,
)
FAKE_RANK_3 = Outcome(
    "fake-rank-3",
    answerable=True,
    abstained=False,
    language="id",
    tags=("a", "b"),
    ranked=_fake_ranking(3),
    citations=(_fake_citation(False),),
    latency_ms=200.0,
)
FAKE_UNANSWERABLE_ABSTAINED = Outcome(
    "fake-unanswerable-abstained",
    answerable=False,
    abstained=True,
    language="en",
    tags=("unanswerable",),
    ranked=_fake_ranking(None),
    latency_ms=300.0,
)
FAKE_UNANSWERABLE_ANSWERED = Outcome(
    "fake-unanswerable-answered",
    answerable=False,
    abstained=False,
    language="en",
    ranked=_fake_ranking(None),
    citations=(_fake_citation(False),),
    latency_ms=400.0,
)
FAKE_ANSWERABLE_ABSTAINED_NOT_RETRIEVED = Outcome(
    "fake-answerable-abstained",
    answerable=True,
    abstained=True,
    language="en",
    ranked=_fake_ranking(None),
    citations=(),
    latency_ms=500.0,
)


def test_ranks_1_and_3_give_hit_at_1_one_half_and_mrr_two_thirds() -> None:
    metrics = compute_metrics([FAKE_RANK_1, FAKE_RANK_3])
    retrieval = metrics["retrieval"]
    assert retrieval["hit@1"] == 0.5
    assert retrieval["hit@3"] == 1.0
    assert retrieval["hit@5"] == 1.0
    assert retrieval["mrr@10"] == pytest.approx(0.6667, abs=1e-4)
    # nDCG with one relevant passage: 1 at rank 1, 1 / log2(4) = 0.5 at rank 3.
    assert retrieval["ndcg@10"] == pytest.approx(0.75, abs=1e-4)


def test_answerable_question_with_no_supporting_passage_scores_zero() -> None:
    metrics = compute_metrics([FAKE_RANK_1, FAKE_ANSWERABLE_ABSTAINED_NOT_RETRIEVED])
    assert metrics["retrieval"]["hit@5"] == 0.5
    assert metrics["retrieval"]["mrr@10"] == 0.5


def test_citation_abstention_latency_and_breakdowns_on_fakes() -> None:
    outcomes = [
        FAKE_RANK_1,
        FAKE_RANK_3,
        FAKE_UNANSWERABLE_ABSTAINED,
        FAKE_UNANSWERABLE_ANSWERED,
        FAKE_ANSWERABLE_ABSTAINED_NOT_RETRIEVED,
    ]
    metrics = compute_metrics(outcomes)
    assert (metrics["questions"], metrics["answerable"], metrics["unanswerable"]) == (5, 3, 2)
    # Citations of answered questions: 1 supporting of 2, 0 of 1, 0 of 1 (unanswerable).
    assert metrics["citations"] == {"precision": 0.25, "recall": pytest.approx(0.3333, abs=1e-4)}
    # Two abstentions: one right (unanswerable), one wrong (answerable).
    assert metrics["abstention"] == {
        "precision": 0.5,
        "recall": 0.5,
        "false_abstention_rate": pytest.approx(0.3333, abs=1e-4),
    }
    assert metrics["latency_ms"]["p50"] == 300.0
    assert metrics["latency_ms"]["p95"] == pytest.approx(480.0)
    assert metrics["by_language"] == {
        "en": {"hit@1": 0.5, "hit@5": 0.5, "citation_recall": 0.5},
        "id": {"hit@1": 0.0, "hit@5": 1.0, "citation_recall": 0.0},
    }
    # Breakdowns cover answerable questions: the "unanswerable" tag has no entry.
    assert set(metrics["by_tag"]) == {"a", "b"}
    assert metrics["by_tag"]["a"] == {"hit@1": 0.5, "hit@5": 1.0, "citation_recall": 0.5}


def test_empty_denominators_give_zero() -> None:
    metrics = compute_metrics([FAKE_UNANSWERABLE_ANSWERED])
    assert metrics["retrieval"]["hit@1"] == 0.0
    assert metrics["citations"]["recall"] == 0.0
    assert metrics["abstention"] == {"precision": 0.0, "recall": 0.0, "false_abstention_rate": 0.0}
    assert metrics["by_language"] == {}


def test_quote_faults_count_non_statements_and_repeats() -> None:
    from qa.evaluate.metrics import quote_faults

    def cited(marker: int, quote: str) -> CitedPassage:
        return CitedPassage(marker, f"{POLICY_DOC}#{marker}", POLICY_DOC, True, quote=quote)

    heading = "Deleting Your Account."
    sell = "Acme never sells data."
    twin = "Birch never sells data."
    answer = f"“{heading}” [1]\n“{sell}” [2]\n“{sell}” [3]\n“{twin}” [4]"
    outcome = Outcome(
        "q",
        answerable=True,
        abstained=False,
        answer=answer,
        citations=(cited(1, heading), cited(2, sell), cited(3, sell), cited(4, twin)),
    )
    # Three distinct quotes; the heading is no statement; "sell" twice, and its twin again.
    assert quote_faults([outcome]) == {"quoted": 3, "not_statements": 1, "repeated": 2}
    assert (
        quote_faults(
            [
                Outcome(
                    "q", answerable=True, abstained=True, answer=answer, citations=outcome.citations
                )
            ]
        )["quoted"]
        == 0
    )


def test_a_changed_sentence_shown_from_two_versions_is_no_repeat() -> None:
    from qa.evaluate.metrics import quote_faults

    old, new = "We keep logs for thirty days.", "We keep your logs for thirty days."
    answer = f"Changed: “{old}” [1] became “{new}” [2]"
    outcome = Outcome(
        "q",
        answerable=True,
        abstained=False,
        answer=answer,
        citations=(
            CitedPassage(1, "v2019.md#0", "v2019.md", True, quote=old),
            CitedPassage(2, "v2021.md#0", "v2021.md", True, quote=new),
        ),
    )
    assert quote_faults([outcome]) == {"quoted": 2, "not_statements": 0, "repeated": 0}
