"""The evaluation harness: question files, the support rule, metrics on fakes, a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import EvaluationError
from qa.evaluate.harness import run_eval
from qa.evaluate.metrics import CitedPassage, Outcome, RankedPassage, compute_metrics
from qa.evaluate.questions import EvidenceQuote, load_questions
from qa.evaluate.support import normalise, supports, words
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SMOKE_QUESTIONS = REPO / "evals" / "questions" / "smoke.jsonl"

# The exact layout of metrics.json: key -> nested keys (None for a plain number).
METRICS_LAYOUT = {
    "questions": None,
    "answerable": None,
    "unanswerable": None,
    "retrieval": {"hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10"},
    "citations": {"precision", "recall"},
    "abstention": {"precision", "recall", "false_abstention_rate"},
    "latency_ms": {"p50", "p95"},
    "by_language": None,
    "by_tag": None,
}
BREAKDOWN_KEYS = {"hit@1", "hit@5", "citation_recall"}

POLICY_DOC = "policies/acme-privacy.md"
NEWS_DOC = "news/acme-statement.md"
OTHER_DOC = "policies/zeta-terms.md"
SPLIT_QUOTE = (
    "Acme keeps undelivered messages on its servers for thirty days and then deletes them "
    "without a trace from every backup"
)


# --- questions -------------------------------------------------------------------------------


def _line(**changes: object) -> str:
    record: dict[str, object] = {
        "id": "q1",
        "question": "Does Acme sell my data?",
        "language": "en",
        "answerable": True,
        "evidence": [{"doc": POLICY_DOC, "quote": "We do not sell your data."}],
        "answer": "No.",
        "tags": ["selling"],
    }
    record.update(changes)
    return json.dumps({k: v for k, v in record.items() if v is not None})


def test_smoke_questions_parse() -> None:
    questions = load_questions(SMOKE_QUESTIONS)
    assert len(questions) == 6
    assert {q.language for q in questions} == {"en", "id"}
    assert all(q.evidence for q in questions if q.answerable)
    assert all(not q.evidence for q in questions if not q.answerable)


def test_load_folder_merges_files_and_keeps_identical_repeats_once(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line() + "\n\n" + _line(id="q2") + "\n")
    (tmp_path / "b.jsonl").write_text(_line() + "\n")  # the same q1 again, as a smoke subset
    (tmp_path / "notes.txt").write_text("not a question file")
    assert [q.id for q in load_questions(tmp_path)] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (_line(question=None), "missing fields ['question']"),
        (_line(extra=1), "unknown fields ['extra']"),
        (_line(answerable="yes"), "'answerable' must be true or false"),
        (_line(evidence=[]), "needs at least one evidence quote"),
        (_line(answerable=False), "cannot have evidence quotes"),
        (_line(evidence=[{"doc": POLICY_DOC}]), "exactly the fields 'doc' and 'quote'"),
        (_line(tags="selling"), "'tags' must be a list"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(_line() + "\n" + line + "\n")
    with pytest.raises(EvaluationError, match=r"bad\.jsonl:2: ") as caught:
        load_questions(path)
    assert message in str(caught.value)


def test_conflicting_duplicate_id_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line() + "\n")
    (tmp_path / "b.jsonl").write_text(_line(question="Something else?") + "\n")
    with pytest.raises(EvaluationError, match=r"b\.jsonl:1: duplicate question id 'q1'"):
        load_questions(tmp_path)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="does not exist"):
        load_questions(tmp_path / "nowhere.jsonl")


# --- the support rule ------------------------------------------------------------------------


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


# --- metrics on fake outcomes ----------------------------------------------------------------


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


# --- end to end ------------------------------------------------------------------------------

ACME_POLICY = """---
title: Acme Privacy Policy
publisher: Acme Inc.
kind: policy
language: en
---
# Acme Privacy Policy

## Selling

We do **not** sell your personal data to advertisers or data brokers.

## Retention

Undelivered messages are kept on our servers for up to thirty days.
"""

ACME_NEWS = """---
title: Acme menunda pembaruan kebijakan
publisher: Kabar Contoh
kind: news
language: id
---
Acme menunda pembaruan kebijakan privasinya hingga bulan Mei.

"Kami tidak membagikan daftar kontak Anda dengan Facebook," kata Acme.
"""

E2E_QUESTIONS = [
    {
        "id": "e2e-sell",
        "question": "Does Acme sell my personal data to advertisers?",
        "language": "en",
        "answerable": True,
        "evidence": [
            {"doc": POLICY_DOC, "quote": "We do not sell your personal data to advertisers"}
        ],
        "tags": ["selling"],
    },
    {
        "id": "e2e-kontak",
        "question": "Apakah Acme membagikan daftar kontak saya dengan Facebook?",
        "language": "id",
        "answerable": True,
        "evidence": [
            {"doc": NEWS_DOC, "quote": "Kami tidak membagikan daftar kontak Anda dengan Facebook"}
        ],
        "tags": ["contacts"],
    },
    {
        "id": "e2e-turkey",
        "question": "What fine did Turkey's competition authority impose on Acme?",
        "language": "en",
        "answerable": False,
        "evidence": [],
        "tags": ["unanswerable"],
    },
]


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    return [float(value)]  # type: ignore[arg-type]


def test_run_eval_end_to_end(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for doc_id, text in ((POLICY_DOC, ACME_POLICY), (NEWS_DOC, ACME_NEWS)):
        (corpus / doc_id).parent.mkdir(parents=True, exist_ok=True)
        (corpus / doc_id).write_text(text)
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in E2E_QUESTIONS) + "\n")
    out = tmp_path / "out"
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_size=300)

    metrics = run_eval(settings, questions, out)

    for name in ("metrics.json", "results.jsonl", "report.md"):
        assert (out / name).is_file(), name
    assert list(out.glob("*.png"))
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert set(metrics) == set(METRICS_LAYOUT)
    for key, nested in METRICS_LAYOUT.items():
        if nested is not None:
            assert set(metrics[key]) == nested, key
    assert (metrics["questions"], metrics["answerable"], metrics["unanswerable"]) == (3, 2, 1)
    assert set(metrics["by_language"]) == {"en", "id"}
    assert set(metrics["by_tag"]) == {"selling", "contacts"}
    for group in (*metrics["by_language"].values(), *metrics["by_tag"].values()):
        assert set(group) == BREAKDOWN_KEYS
    ratios = {
        k: v
        for k, v in metrics.items()
        if k not in {"questions", "answerable", "unanswerable", "latency_ms"}
    }
    assert all(0.0 <= n <= 1.0 for n in _numbers(ratios))
    assert all(n >= 0.0 for n in _numbers(metrics["latency_ms"]))
    # The index holds three passages (fewer than k = 6): every one is ranked for every question.
    assert metrics["retrieval"]["hit@5"] == 1.0

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == [q["id"] for q in E2E_QUESTIONS]
    assert all("margin" in row["signals"] for row in rows)
    assert all(gold["in_index"] == "whole" for row in rows for gold in row["gold"])
    report = (out / "report.md").read_text()
    assert "e2e-kontak" in report and "![margin](margin.png)" in report


def test_eval_command_reports_bad_question_file(tmp_path: Path) -> None:
    questions = tmp_path / "bad.jsonl"
    questions.write_text('{"id": "q1"}\n')
    result = CliRunner().invoke(
        main, ["eval", "--questions", str(questions), "--index", str(tmp_path / "index")]
    )
    assert result.exit_code == 1
    assert "bad.jsonl:1: missing fields" in result.output
    assert not (tmp_path / "index").exists()
