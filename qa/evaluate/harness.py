"""Run an evaluation: index the corpus, ask every question through ``AnswerChain``, score, write.

``run_eval`` uses the very chain the web chat uses (``AnswerChain.from_settings``), so the
figures describe what a user gets. It writes into ``out_dir``:

- ``metrics.json``: the figures of ``qa.evaluate.metrics.compute_metrics``;
- ``results.jsonl``: one line per question with its ranking, citations, abstention, answer,
  latency and the chain's abstention signals (for calibrating the abstention rule);
- ``report.md`` and its PNG plots (``qa.evaluate.report``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from qa.answer.result import AnswerResult
from qa.evaluate.metrics import CitedPassage, Outcome, RankedPassage, compute_metrics
from qa.evaluate.metrics import retrieval_per_question as retrieval_scores
from qa.evaluate.questions import MATCH_DOCUMENT, REQUIRES_ALL, Question, load_questions
from qa.evaluate.report import write_report
from qa.evaluate.support import covered, holds_split_quote, normalise
from qa.settings import Settings

METRICS_NAME = "metrics.json"
RESULTS_NAME = "results.jsonl"
BASELINE_NAME = "baseline.json"
WHOLE, SPLIT, MISSING = "whole", "split", "missing"

Log = Callable[[str], None]
Progress = Callable[[int, int, str], None]
# {question_id: [(doc, quote, status)]} for gold quotes no stored passage contains whole.
Unmatched = dict[str, list[tuple[str, str, str]]]


def judge(question: Question, result: AnswerResult) -> Outcome:
    """Score one chain result against the question's gold quotes (``qa.evaluate.support``)."""
    gold = question.evidence
    same = question.match == MATCH_DOCUMENT
    need = frozenset(range(len(gold))) if question.requires == REQUIRES_ALL else None
    texts = {p.passage_id: (p.text, p.source.doc_id) for p in result.passages}
    ranked_list = []
    seen: frozenset[int] = frozenset()
    for p in result.passages:
        holds = covered(p.text, p.source.doc_id, gold, same_document=same)
        if need is None:
            ok = bool(holds)
        else:
            # Retrieved at the rank where the passages so far hold every quote.
            ok = bool(holds) and not need <= seen and need <= (seen | holds)
            seen |= holds
        ranked_list.append(RankedPassage(p.passage_id, p.source.doc_id, p.rank, ok))
    ranked = tuple(ranked_list)
    citations = []
    for citation in result.citations:
        # A citation points at a retrieved passage; judge that passage's whole text.
        text, doc_id = texts.get(citation.passage_id, (citation.quote, citation.source.doc_id))
        holds = covered(text, doc_id, gold, same_document=same)
        citations.append(
            CitedPassage(
                marker=citation.marker,
                passage_id=citation.passage_id,
                doc_id=citation.source.doc_id,
                supports=bool(holds),
                quote=citation.quote,
                covers=tuple(sorted(holds)),
            )
        )
    return Outcome(
        question_id=question.id,
        answerable=question.answerable,
        abstained=result.abstained,
        language=question.language,
        tags=question.tags,
        question=question.question,
        ranked=ranked,
        citations=tuple(citations),
        latency_ms=float(result.timings_ms.get("total", 0.0)),
        answer=result.answer,
        signals=dict(result.signals),
        kind=question.kind,
        requires=len(gold) if need is not None else 0,
    )


def gold_coverage(questions: Sequence[Question], passages: Sequence[Document]) -> Unmatched:
    """The gold quotes that no stored passage contains whole, after normalisation.

    Returns:
        ``{question_id: [(doc, quote, status)]}`` where ``status`` is ``"split"`` when the
        60 % split rule still matches a passage of the quote's document, else ``"missing"``.
    """
    normalised = [normalise(p.page_content) for p in passages]
    unmatched: Unmatched = {}
    for question in questions:
        for item in question.evidence:
            needle = normalise(item.quote)
            if any(needle in text for text in normalised):
                continue
            split = any(
                holds_split_quote(p.page_content, str(p.metadata.get("doc_id", "")), item)
                for p in passages
                if p.metadata.get("doc_id") == item.doc
            )
            unmatched.setdefault(question.id, []).append(
                (item.doc, item.quote, SPLIT if split else MISSING)
            )
    return unmatched


def _result_row(
    outcome: Outcome, question: Question, retrieval: dict[str, float], unmatched: Unmatched
) -> dict[str, Any]:
    statuses = {(doc, quote): status for doc, quote, status in unmatched.get(question.id, [])}
    return {
        "id": question.id,
        "question": question.question,
        "language": question.language,
        "answerable": question.answerable,
        "tags": list(question.tags),
        "abstained": outcome.abstained,
        "first_support_rank": outcome.first_support_rank,
        "cites_support": outcome.cites_support,
        "retrieval": retrieval,
        "margin": outcome.margin,
        "signals": outcome.signals,
        "latency_ms": outcome.latency_ms,
        "answer": outcome.answer,
        "passages": [asdict(p) for p in outcome.ranked],
        "citations": [asdict(c) for c in outcome.citations],
        "gold": [
            {"doc": e.doc, "quote": e.quote, "in_index": statuses.get((e.doc, e.quote), WHOLE)}
            for e in question.evidence
        ],
    }


def write_results(
    path: Path, questions: Sequence[Question], outcomes: Sequence[Outcome], unmatched: Unmatched
) -> None:
    """Write ``results.jsonl``: one JSON object per question (see ``_result_row``)."""
    retrieval = retrieval_scores(outcomes)
    with path.open("w", encoding="utf-8") as handle:
        for question, outcome in zip(questions, outcomes, strict=True):
            row = _result_row(outcome, question, retrieval.get(question.id, {}), unmatched)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_eval(
    settings: Settings,
    questions_path: Path,
    out_dir: Path,
    *,
    log: Log | None = None,
    progress: Progress | None = None,
    baseline: bool = False,
) -> dict[str, Any]:
    """Evaluate the chain of ``settings`` on the questions at ``questions_path``.

    The index at ``settings.index_dir`` is first brought in step with ``settings.corpus_dir``
    (``qa.index.ingest.ingest``: only new or changed documents are embedded).

    Args:
        settings: Corpus, index, model and answering settings, as the chat would use them.
        questions_path: A ``.jsonl`` question file or a folder of them.
        out_dir: Where ``metrics.json``, ``results.jsonl``, ``report.md`` and plots go.
        log: Called with one line of news at a time (ingest summary, unmatched gold quotes).
        progress: Called as ``progress(done, total, question_id)`` after each question.
        baseline: Also score the simple recipe (``qa.evaluate.baseline``) on the same
            questions, beside Fineprint's own figures, into ``baseline.json`` and the report.

    Returns:
        The metrics, as written to ``metrics.json``.

    Raises:
        EvaluationError: A question file is missing or malformed.
        CorpusError: The corpus folder is missing.
        IndexMismatchError: The index was built with other settings.
    """
    from qa.answer.chain import AnswerChain
    from qa.index.ingest import ingest

    say = log or (lambda _line: None)
    questions = load_questions(Path(questions_path))
    report = ingest(settings)
    where = (
        f"{settings.chroma_url} ({settings.chroma_index})"
        if settings.chroma_url
        else settings.index_dir
    )
    say(f"index: {report.summary()} -> {where}")
    for skipped in report.skipped:
        say(f"index: skipped {skipped.doc_id}: {skipped.reason}")

    chain = AnswerChain.from_settings(settings)
    outcomes = []
    for done, question in enumerate(questions, start=1):
        outcomes.append(judge(question, chain.invoke({"question": question.question})))
        if progress:
            progress(done, len(questions), question.id)

    unmatched = gold_coverage(questions, chain.store.all_passages())
    for qid, items in unmatched.items():
        for doc, quote, status in items:
            say(f"gold quote of {qid} not found whole in the index ({status}): {doc}: {quote!r}")

    metrics = compute_metrics(outcomes)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_NAME).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_results(out_dir / RESULTS_NAME, questions, outcomes, unmatched)
    write_report(out_dir, metrics, outcomes, unmatched)
    if baseline:
        _write_baseline(out_dir, settings, questions, metrics)
    return metrics


def _write_baseline(
    out_dir: Path, settings: Settings, questions: Sequence[Question], metrics: dict[str, Any]
) -> None:
    from qa.evaluate.baseline import RECIPE_MEASURES, simple_recipe_scores

    rows = {
        "fineprint": {name: metrics["retrieval"][name] for name in RECIPE_MEASURES},
        "simple_recipe": simple_recipe_scores(settings.corpus_dir, questions),
    }
    (out_dir / BASELINE_NAME).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    lines = [
        "",
        "## Beside the simple recipe",
        "",
        "Same questions, same support rule. Simple recipe: raw text, 1,000-character chunks "
        "(200 overlap), all-MiniLM-L6-v2, top 4 from Chroma.",
        "",
        "| | " + " | ".join(RECIPE_MEASURES) + " |",
        "| --- |" + " --- |" * len(RECIPE_MEASURES),
    ]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[m]:.3f}" for m in RECIPE_MEASURES) + " |")
    with (out_dir / "report.md").open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")
