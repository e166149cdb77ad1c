"""The evaluation end to end: ``run_eval`` over a real index, and the ``fineprint eval`` command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qa.cli import main
from qa.evaluate.harness import run_eval
from qa.settings import Settings

# The exact layout of metrics.json: key -> nested keys (None for a plain number).
METRICS_LAYOUT = {
    "questions": None,
    "answerable": None,
    "unanswerable": None,
    "retrieval": {"hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10"},
    "citations": {"precision", "recall"},
    "abstention": {"precision", "recall", "false_abstention_rate"},
    "quotes": {"quoted", "not_statements", "repeated"},
    "latency_ms": {"p50", "p95"},
    "by_language": None,
    "by_tag": None,
    "by_kind": None,
}
BREAKDOWN_KEYS = {"hit@1", "hit@5", "citation_recall"}

POLICY_DOC = "policies/acme-privacy.md"
NEWS_DOC = "news/acme-statement.md"

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
        if k not in {"questions", "answerable", "unanswerable", "latency_ms", "quotes"}
    }
    assert metrics["quotes"]["not_statements"] == metrics["quotes"]["repeated"] == 0
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
