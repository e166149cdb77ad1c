"""Answer latency benchmark: per stage and end to end, warm, over a question file.

Usage:
    python evals/bench_latency.py [--questions evals/questions/fit/fineprint.jsonl]
                                  [--index .fineprint/index] [--repeat 2]

The first question warms the caches (BM25, the embedding model) and is not counted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from qa.answer.chain import AnswerChain
from qa.settings import Settings


def main() -> None:
    """Ask every question ``--repeat`` times and print p50/p95 per stage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path("evals/questions/fit/fineprint.jsonl")
    parser.add_argument("--questions", type=Path, default=default)
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    settings = Settings() if args.index is None else Settings(index_dir=args.index)
    chain = AnswerChain.from_settings(settings)
    questions = [
        json.loads(line)["question"]
        for line in args.questions.read_text(encoding="utf-8").splitlines()
        if line
    ]
    chain.invoke(questions[0])
    stages: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for question in questions:
            for stage, ms in chain.invoke(question).timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    print(f"{len(questions)} questions x {args.repeat}, warm, offline answers")
    print(f"{'stage':<22}{'p50 ms':>10}{'p95 ms':>10}")
    for stage, values in sorted(stages.items(), key=lambda item: item[0] != "total"):
        p50, p95 = np.percentile(values, [50, 95])
        print(f"{stage:<22}{p50:>10.1f}{p95:>10.1f}")


if __name__ == "__main__":
    main()
