"""The PolicyQA retrieval benchmark: Fineprint beside a simple MiniLM recipe and random ranking.

PolicyQA (Ahmad et al., 2020) asks reading-comprehension questions about the privacy policies of
OPP-115 websites, in SQuAD v1 JSON. Here it measures *retrieval*: each website's paragraphs are
that website's document, every question is answered only from its own website, and a system is
scored on where it ranks the paragraph holding the gold answer span and whether its single best
evidence sentence holds the answer.

Definitions (also written to ``run.json`` beside the figures):

- **Gold paragraph**: the paragraph the question was written about, plus any verbatim copy of it
  in the same website (a copy cannot be told apart). Paragraphs that merely contain the answer
  text elsewhere do not count: 27% of test answers ("cookies", "third parties") occur in some
  other paragraph of their website too, which would make the test much easier.
- **hit@k** (ir_measures ``Success@k``) and **mrr@10** (``RR@10``) of the gold paragraph, over
  rankings cut at ``RANK_DEPTH``, through ``qa.evaluate.metrics.ir_scores``; a question with an
  empty ranking counts as a miss.
- **sentence_hit@1**: the system's best evidence sentence contains a gold answer text
  (case-folded, whitespace collapsed) or overlaps a gold answer span of the gold paragraph.

The systems (``fineprint``, ``baseline``, ``random``) are described in
``qa.evaluate.policyqa.systems``; the data and the hit rules in ``qa.evaluate.policyqa.data``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.errors import EvaluationError
from qa.evaluate.baseline import BASELINE_MODEL
from qa.evaluate.metrics import RETRIEVAL_MEASURES, ir_scores, mean_scores
from qa.evaluate.policyqa.data import (
    RANK_DEPTH,
    Benchmark,
    Output,
    Progress,
    Question,
    System,
    load_split,
    select_questions,
    sentence_hit,
)
from qa.evaluate.policyqa.systems import (
    CHUNK_SIZE,
    RANDOM_SEED,
    BaselineSystem,
    FineprintSystem,
    RandomSystem,
)
from qa.settings import POLICYQA_DATA_DIR, POLICYQA_OUT_DIR, POLICYQA_SPLITS, Settings

DEFAULT_DATA_DIR = POLICYQA_DATA_DIR
DEFAULT_OUT_DIR = POLICYQA_OUT_DIR
DEFAULT_WORK_ROOT = Path(".fineprint")
SPLITS = POLICYQA_SPLITS
SYSTEMS = ("fineprint", "baseline", "random")
RANKING_METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10")
SENTENCE_METRIC = "sentence_hit@1"
METRIC_NAMES = (*RANKING_METRICS, SENTENCE_METRIC)
METRIC_DIGITS = 4
SECONDS_DIGITS = 1
METRICS_FILE = "metrics.json"
RUN_FILE = "run.json"
PER_QUESTION_FILE = "per_question.jsonl"
# Paragraph ids of a system's ranking shown per question in ``per_question.jsonl``.
TOP_SHOWN = 3
_RETRIEVER_FIELDS = ("fetch_k", "fusion_weights")


@dataclass
class Report:
    """The figures of one run, plus what is needed to reproduce and read them.

    Attributes:
        split: ``test`` or ``dev``.
        questions: Questions evaluated.
        websites: Websites those questions are about.
        paragraphs: Paragraphs of those websites.
        metrics: System -> ``METRIC_NAMES`` -> value in [0, 1], rounded to 4 digits.
        seconds: Setup and question time per system and the total, rounded to 0.1 s.
        settings: The models, retrieval settings, seed, depth, limit and paths of the run.
        definitions: What each figure means (``DEFINITIONS``).
    """

    split: str
    questions: int
    websites: int
    paragraphs: int
    metrics: dict[str, dict[str, float]]
    seconds: dict[str, float]
    settings: dict[str, Any]
    definitions: dict[str, str]


DEFINITIONS = {
    "gold_paragraph": "the paragraph the question was written about, plus verbatim copies of it "
    "in the same website",
    "hit@k": f"ir_measures Success@k of a gold paragraph (rankings cut at {RANK_DEPTH})",
    "mrr@10": "ir_measures RR@10 of the first gold paragraph",
    "sentence_hit@1": "the best evidence sentence contains a gold answer text (casefolded, "
    "whitespace collapsed) or overlaps a gold answer span in the gold paragraph",
    "limit": "--limit N takes N questions spread evenly over the split",
}


def run_policyqa(
    settings: Settings,
    *,
    split: str = "test",
    data_dir: Path = DEFAULT_DATA_DIR,
    out_dir: Path = DEFAULT_OUT_DIR,
    work_dir: Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    show_bar: bool = False,
) -> Report:
    """Run the three systems on a PolicyQA split and write the figures under ``out_dir``.

    Args:
        settings: Fineprint's settings (embedding model, k, fusion weights); corpus, index and
            chunk size are overridden for the benchmark.
        split: ``test`` or ``dev``: reads ``<data_dir>/<split>.json``.
        data_dir: The PolicyQA folder.
        out_dir: Where ``metrics.json``, ``run.json`` and ``per_question.jsonl`` go.
        work_dir: Fineprint's corpus and index for the benchmark, kept between runs so a re-run
            embeds nothing (default ``.fineprint/policyqa-<split>``).
        limit: Evaluate this many questions (at least 1), spread evenly over the split; all of
            them when ``None``.
        progress: Called with one-line status messages.
        show_bar: Show a progress bar per system on stderr.

    Returns:
        The report, also written to ``out_dir``.

    Raises:
        EvaluationError: A bad split name; the split's file missing, not SQuAD v1 JSON or
            without questions; a ``work_dir`` holding files this command did not write; two
            websites mapping to one file name; a website Fineprint could not index.
        FineprintError: Other errors of Fineprint's ingest, index or models.
    """
    from tqdm import tqdm

    if split not in SPLITS:
        msg = f"split must be one of {', '.join(SPLITS)}, got {split!r}"
        raise EvaluationError(msg)
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    data_file = data_dir / f"{split}.json"
    benchmark = load_split(data_file, split)
    questions = select_questions(benchmark.questions, limit)
    if not questions:
        msg = f"{data_file} has no questions"
        raise EvaluationError(msg)
    work_dir = work_dir or DEFAULT_WORK_ROOT / f"policyqa-{split}"
    say(
        f"PolicyQA {split}: {len(questions)} of {len(benchmark.questions)} questions, "
        f"{len(benchmark.websites)} websites, {len(benchmark.paragraphs)} paragraphs"
    )
    seconds: dict[str, float] = {}
    outputs: dict[str, dict[str, Output]] = {}

    clock = time.perf_counter()
    fineprint = FineprintSystem(benchmark, questions, work_dir, settings, say)
    seconds["fineprint_setup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    baseline = BaselineSystem(benchmark, questions)
    seconds["baseline_setup"] = time.perf_counter() - clock
    systems: list[System] = [fineprint, baseline, RandomSystem(benchmark)]
    try:
        for system in systems:
            clock = time.perf_counter()
            bar = tqdm(questions, desc=system.name, unit="q", leave=False, disable=not show_bar)
            outputs[system.name] = {q.qid: system.rank(q) for q in bar}
            seconds[f"{system.name}_questions"] = time.perf_counter() - clock
    finally:
        baseline.close()

    metrics = {name: score_outputs(benchmark, questions, outputs[name]) for name in SYSTEMS}
    seconds["total"] = time.perf_counter() - started
    websites = {q.website for q in questions}
    report = Report(
        split=split,
        questions=len(questions),
        websites=len(websites),
        paragraphs=sum(len(benchmark.websites[w]) for w in websites),
        metrics=metrics,
        seconds={key: round(value, SECONDS_DIGITS) for key, value in seconds.items()},
        settings={
            "embedding_model": fineprint.settings.embedding_model,
            "chunk_size": CHUNK_SIZE,
            "k": fineprint.settings.k,
            **{name: getattr(fineprint.retriever, name, None) for name in _RETRIEVER_FIELDS},
            "baseline_model": BASELINE_MODEL,
            "random_seed": RANDOM_SEED,
            "rank_depth": RANK_DEPTH,
            "limit": limit,
            "data": str(data_file),
            "work_dir": str(work_dir),
        },
        definitions=DEFINITIONS,
    )
    write_outputs(report, questions, benchmark, outputs, out_dir)
    return report


def score_outputs(
    benchmark: Benchmark, questions: Sequence[Question], outputs: dict[str, Output]
) -> dict[str, float]:
    """One system's figures over ``questions``: every name of ``METRIC_NAMES``.

    Args:
        benchmark: The split, for the gold paragraphs.
        questions: The questions evaluated (at least one); each counts once.
        outputs: The system's output for each of them, by question id.

    Returns:
        ``{name: value}``, values in [0, 1] rounded to 4 digits. A question with an empty
        ranking counts as a miss.

    Example:
        >>> from qa.evaluate.policyqa.data import Answer
        >>> q = Question("q", "w", "w/0", "How long?", (Answer("ninety days", 0),))
        >>> b = Benchmark("test", {}, [q], gold={"q": frozenset({"w/0"})})
        >>> score_outputs(b, [q], {"q": Output(["w/1", "w/0"], None)})
        {'hit@1': 0.0, 'hit@3': 1.0, 'hit@5': 1.0, 'mrr@10': 0.5, 'sentence_hit@1': 0.0}
    """
    measures = {name: RETRIEVAL_MEASURES[name] for name in RANKING_METRICS}
    per_question = ir_scores(
        {q.qid: outputs[q.qid].ranking for q in questions},
        {q.qid: benchmark.gold[q.qid] for q in questions},
        measures,
    )
    figures = mean_scores(per_question, RANKING_METRICS)
    hits = [sentence_hit(q, outputs[q.qid].sentence, benchmark.gold[q.qid]) for q in questions]
    figures[SENTENCE_METRIC] = sum(hits) / len(hits)
    return {key: round(figures[key], METRIC_DIGITS) for key in METRIC_NAMES}


def gold_rank(output: Output, gold: frozenset[str]) -> int | None:
    """1-based rank of the first gold paragraph, or ``None`` when it was not retrieved.

    Example:
        >>> gold_rank(Output(["w/2", "w/0"], None), frozenset({"w/0"}))
        2
    """
    return next((i for i, pid in enumerate(output.ranking, start=1) if pid in gold), None)


def write_outputs(
    report: Report,
    questions: Sequence[Question],
    benchmark: Benchmark,
    outputs: dict[str, dict[str, Output]],
    out_dir: Path,
) -> None:
    """Write ``metrics.json`` (the figures only), ``run.json`` and ``per_question.jsonl``.

    ``run.json`` is the whole report; ``per_question.jsonl`` has one row per question with its
    gold paragraphs and, per system, the gold paragraph's rank, the top of the ranking, the best
    sentence and whether it hit. ``out_dir`` is created when missing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_FILE).write_text(json.dumps(report.metrics, indent=2) + "\n")
    (out_dir / RUN_FILE).write_text(json.dumps(asdict(report), indent=2) + "\n")
    with (out_dir / PER_QUESTION_FILE).open("w", encoding="utf-8") as handle:
        for question in questions:
            gold = benchmark.gold[question.qid]
            row: dict[str, Any] = {
                "qid": question.qid,
                "website": question.website,
                "question": question.text,
                "gold": sorted(gold),
            }
            for name in SYSTEMS:
                output = outputs[name][question.qid]
                row[name] = {
                    "gold_rank": gold_rank(output, gold),
                    "top": output.ranking[:TOP_SHOWN],
                    "sentence": output.sentence.text if output.sentence else None,
                    "sentence_hit": sentence_hit(question, output.sentence, gold),
                }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def format_table(report: Report) -> str:
    """The figures as a plain-text table, with the question count and timings.

    Returns:
        Lines: a summary, a header, a rule, one row per system, then ``time: ...``.
    """
    header = f"{'system':<10}" + "".join(f"{name:>16}" for name in METRIC_NAMES)
    lines = [
        f"PolicyQA {report.split}: {report.questions} questions, {report.websites} websites, "
        f"{report.paragraphs} paragraphs",
        header,
        "-" * len(header),
    ]
    for name, figures in report.metrics.items():
        lines.append(f"{name:<10}" + "".join(f"{figures[m]:>16.4f}" for m in METRIC_NAMES))
    timing = ", ".join(f"{key} {value:.1f} s" for key, value in report.seconds.items())
    lines.append(f"time: {timing}")
    return "\n".join(lines)
