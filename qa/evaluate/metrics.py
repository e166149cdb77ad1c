"""The figures of an evaluation run, from one ``Outcome`` per question.

Retrieval is scored with ir_measures on the passages the chain ranked, for answerable questions
only: the qrels of a question are the ranked passages that support it (``qa.evaluate.support``).
A question none of whose ranked passages supports it scores 0 on every retrieval measure (it
has no qrels, which ir_measures would otherwise skip), so every answerable question counts.

- ``hit@k`` (Success@k): a supporting passage is among the first k.
- ``mrr@10`` (RR@10): 1 / rank of the first supporting passage, 0 beyond rank 10.
- ``ndcg@10`` (nDCG@10): binary gains, ideal ranking from the supporting passages retrieved.
- citation precision: supporting citations / all citations of answers that did not abstain
  (citations of unanswerable questions never support).
- citation recall: answerable questions answered (not abstained) with at least one supporting
  citation / answerable questions.
- abstention precision / recall: for abstaining, over all questions (positive = unanswerable);
  ``false_abstention_rate``: abstained answerable questions / answerable questions.
- latency: p50 and p95 of the chain's total time per question, in milliseconds.

Every ratio with a zero denominator is reported as 0.0.

``ir_scores`` and ``mean_scores`` are the one wrapper around ir_measures: the PolicyQA benchmark
(``qa.evaluate.policyqa``) and the simple recipe (``qa.evaluate.baseline``) score through them too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ir_measures
import numpy as np
from ir_measures import RR, Success, nDCG

RETRIEVAL_MEASURES: dict[str, Any] = {
    "hit@1": Success @ 1,
    "hit@3": Success @ 3,
    "hit@5": Success @ 5,
    "mrr@10": RR @ 10,
    "ndcg@10": nDCG @ 10,
}
BREAKDOWN_HITS = ("hit@1", "hit@5")  # beside "citation_recall"
LATENCY_PERCENTILES = {"p50": 50, "p95": 95}
RATIO_DIGITS = 4
LATENCY_DIGITS = 1
RELEVANT = 1


@dataclass(frozen=True)
class RankedPassage:
    """A passage the chain ranked for a question, and whether it supports the question."""

    passage_id: str
    doc_id: str
    rank: int
    supports: bool


@dataclass(frozen=True)
class CitedPassage:
    """One citation of an answer, and whether the passage it points to supports the question."""

    marker: int
    passage_id: str
    doc_id: str
    supports: bool
    quote: str = ""
    # Indexes of the evidence quotes the cited passage holds (for "requires": "all").
    covers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happened to one question: its ranking, citations, abstention and timing."""

    question_id: str
    answerable: bool
    abstained: bool
    language: str = "en"
    tags: tuple[str, ...] = ()
    question: str = ""
    ranked: tuple[RankedPassage, ...] = ()
    citations: tuple[CitedPassage, ...] = ()
    latency_ms: float = 0.0
    answer: str = ""
    signals: dict[str, float] = field(default_factory=dict)
    kind: str = ""
    # With "requires": "all", how many evidence quotes the citations must cover together.
    requires: int = 0

    @property
    def first_support_rank(self) -> int | None:
        """Rank of the best-ranked supporting passage, or ``None`` when none supports."""
        return min((p.rank for p in self.ranked if p.supports), default=None)

    @property
    def cites_support(self) -> bool:
        """Whether the answer did not abstain and cites at least one supporting passage."""
        if self.abstained:
            return False
        if self.requires:
            held = {index for c in self.citations for index in c.covers}
            return len(held) >= self.requires
        return any(c.supports for c in self.citations)

    @property
    def margin(self) -> float | None:
        """The chain's margin signal, when it computed one."""
        return self.signals.get("margin")


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` rounded, or 0.0 when the denominator is zero."""
    return round(numerator / denominator, RATIO_DIGITS) if denominator else 0.0


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), RATIO_DIGITS) if values else 0.0


def ir_scores(
    rankings: Mapping[str, Sequence[str]],
    relevant: Mapping[str, Collection[str]],
    measures: Mapping[str, Any],
) -> dict[str, dict[str, float]]:
    """Per-question ir_measures figures of rankings against binary relevance judgements.

    Args:
        rankings: Question id -> document ids, best first; a repeated id counts at its first
            rank only.
        relevant: Question id -> the ids relevant to it (relevance 1); a question missing here
            has none.
        measures: Name -> ir_measures measure, e.g. ``{"hit@1": Success @ 1}``.

    Returns:
        ``{question_id: {name: value}}`` for every question in ``rankings``, values in [0, 1].
        A question ir_measures cannot score (empty ranking, or nothing relevant) gets 0.0 for
        every measure, so it counts as a miss in any average instead of being dropped.

    Example:
        >>> ir_scores({"q1": ["a", "b"], "q2": []}, {"q1": {"b"}, "q2": {"c"}},
        ...           {"hit@1": Success @ 1, "mrr@10": RR @ 10})
        {'q1': {'hit@1': 0.0, 'mrr@10': 0.5}, 'q2': {'hit@1': 0.0, 'mrr@10': 0.0}}
    """
    scores = {qid: dict.fromkeys(measures, 0.0) for qid in rankings}
    run: list[ir_measures.ScoredDoc] = []
    qrels: list[ir_measures.Qrel] = []
    for qid, ranking in rankings.items():
        ordered = list(dict.fromkeys(ranking))
        # Scores strictly decreasing with rank, so no tie-breaking by id can reorder them.
        run.extend(
            ir_measures.ScoredDoc(qid, doc_id, float(len(ordered) - position))
            for position, doc_id in enumerate(ordered)
        )
        qrels.extend(ir_measures.Qrel(qid, doc_id, RELEVANT) for doc_id in relevant.get(qid, ()))
    if not run or not qrels:
        return scores
    names = {measure: name for name, measure in measures.items()}
    for metric in ir_measures.iter_calc(list(measures.values()), qrels, run):
        scores[metric.query_id][names[metric.measure]] = float(metric.value)
    return scores


def mean_scores(
    per_question: Mapping[str, Mapping[str, float]], names: Iterable[str]
) -> dict[str, float]:
    """The mean of each named measure over every question of ``per_question``, unrounded.

    Returns:
        ``{name: mean}``; 0.0 for every name when there are no questions.

    Example:
        >>> mean_scores({"q1": {"hit@1": 1.0}, "q2": {"hit@1": 0.0}}, ["hit@1"])
        {'hit@1': 0.5}
    """
    rows = list(per_question.values())
    return {name: sum(row[name] for row in rows) / len(rows) if rows else 0.0 for name in names}


def retrieval_per_question(outcomes: Iterable[Outcome]) -> dict[str, dict[str, float]]:
    """Every retrieval measure for every answerable question, computed by ir_measures.

    The ranking is the ranked passages by rank; the relevant ones are the ranked passages that
    support the question (for a passage ranked twice, its first occurrence decides).

    Returns:
        ``{question_id: {"hit@1": ..., "mrr@10": ..., ...}}`` (the names of
        ``RETRIEVAL_MEASURES``, values in [0, 1]); a question with no supporting passage among
        its ranked ones gets 0.0 everywhere.
    """
    rankings: dict[str, list[str]] = {}
    relevant: dict[str, set[str]] = {}
    for outcome in outcomes:
        if not outcome.answerable:
            continue
        ranking = rankings.setdefault(outcome.question_id, [])
        supporting = relevant.setdefault(outcome.question_id, set())
        for passage in sorted(outcome.ranked, key=lambda p: p.rank):
            if passage.passage_id in ranking:
                continue
            ranking.append(passage.passage_id)
            if passage.supports:
                supporting.add(passage.passage_id)
    return ir_scores(rankings, relevant, RETRIEVAL_MEASURES)


def _retrieval_means(
    per_question: dict[str, dict[str, float]], ids: Iterable[str], names: Iterable[str]
) -> dict[str, float]:
    rows = [per_question[qid] for qid in ids]
    return {name: _mean([row[name] for row in rows]) for name in names}


def _breakdown(
    groups: dict[str, list[Outcome]], per_question: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    result = {}
    for key in sorted(groups):
        members = groups[key]
        ids = (o.question_id for o in members)
        figures = _retrieval_means(per_question, ids, BREAKDOWN_HITS)
        figures["citation_recall"] = ratio(sum(o.cites_support for o in members), len(members))
        result[key] = figures
    return result


def compute_metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """All figures of a run, in the layout of ``metrics.json`` (see the module docstring).

    Breakdowns by language and by tag are over answerable questions: a tag that only
    unanswerable questions carry has no entry.

    Example:
        >>> fake = Outcome("q1", answerable=True, abstained=False,
        ...                ranked=(RankedPassage("p1", "a.md", 1, True),))
        >>> compute_metrics([fake])["retrieval"]["hit@1"]
        1.0
    """
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    abstained = [o for o in outcomes if o.abstained]
    per_question = retrieval_per_question(outcomes)

    cited = [c.supports for o in outcomes if not o.abstained for c in o.citations]
    correct_abstentions = sum(not o.answerable for o in abstained)
    latencies = [o.latency_ms for o in outcomes]

    by_language: dict[str, list[Outcome]] = defaultdict(list)
    by_tag: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in answerable:
        by_language[outcome.language].append(outcome)
        for tag in outcome.tags:
            by_tag[tag].append(outcome)

    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "retrieval": _retrieval_means(
            per_question, (o.question_id for o in answerable), RETRIEVAL_MEASURES
        ),
        "citations": {
            "precision": ratio(sum(cited), len(cited)),
            "recall": ratio(sum(o.cites_support for o in answerable), len(answerable)),
        },
        "abstention": {
            "precision": ratio(correct_abstentions, len(abstained)),
            "recall": ratio(correct_abstentions, len(unanswerable)),
            "false_abstention_rate": ratio(sum(o.abstained for o in answerable), len(answerable)),
        },
        "quotes": quote_faults(outcomes),
        "latency_ms": {
            name: round(float(np.percentile(latencies, q)), LATENCY_DIGITS) if latencies else 0.0
            for name, q in LATENCY_PERCENTILES.items()
        },
        "by_language": _breakdown(by_language, per_question),
        "by_tag": _breakdown(by_tag, per_question),
        "by_kind": _by_kind(outcomes, per_question),
    }


def _by_kind(
    outcomes: Sequence[Outcome], per_question: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Figures per question ``kind``: retrieval and citation recall over its answerable
    questions, citation precision over its answers, and how many of each were refused.
    """
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.kind:
            groups[outcome.kind].append(outcome)
    result: dict[str, dict[str, float]] = {}
    for kind in sorted(groups):
        members = groups[kind]
        answerable = [o for o in members if o.answerable]
        cited = [c.supports for o in members if not o.abstained for c in o.citations]
        figures: dict[str, float] = {"questions": len(members), "answerable": len(answerable)}
        figures.update(
            _retrieval_means(per_question, (o.question_id for o in answerable), BREAKDOWN_HITS)
        )
        figures["citation_recall"] = ratio(
            sum(o.cites_support for o in answerable), len(answerable)
        )
        figures["citation_precision"] = ratio(sum(cited), len(cited))
        figures["answerable_refused"] = sum(o.abstained for o in answerable)
        figures["unanswerable_refused"] = sum(o.abstained for o in members if not o.answerable)
        result[kind] = figures
    return result


def quote_faults(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """Count quotes that should never appear in an answer, over answers that were given.

    Returns:
        ``quoted`` (distinct quoted sentences), ``not_statements`` (headings, labels,
        navigation, fragments, overviews: ``qa.answer.statements.statement_problem``) and
        ``repeated``
        (a sentence quoted twice in one answer, or two of one document that say the same
        thing). Two sources saying the same are merged into one quote by the answer step; two
        documents' wordings shown side by side are a what-changed answer's old and new text.
    """
    from qa.answer.changes import asks_what_changed
    from qa.answer.statements import asks_overview, same_statement, statement_problem

    quoted = not_statements = repeated = 0
    for outcome in outcomes:
        if outcome.abstained:
            continue
        doc_of: dict[str, str] = {}
        for citation in outcome.citations:
            doc_of.setdefault(citation.quote, citation.doc_id)
        texts = list(doc_of)
        quoted += len(texts)
        # The answer step quotes a sentence about the document itself only when the question
        # asks what it covers, or as one side of a change.
        overview = asks_overview(outcome.question) or asks_what_changed(outcome.question)
        not_statements += sum(statement_problem(t, overview=overview) is not None for t in texts)
        repeated += sum(outcome.answer.count(t) > 1 for t in texts)
        repeated += sum(
            doc_of[a] == doc_of[b]
            and same_statement(a, b)
            and a in outcome.answer
            and b in outcome.answer
            for i, a in enumerate(texts)
            for b in texts[i + 1 :]
        )
    return {"quoted": quoted, "not_statements": not_statements, "repeated": repeated}
