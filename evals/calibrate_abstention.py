"""Calibrate the abstention rule on a question set and compare it with simpler rules.

Usage:
    python evals/calibrate_abstention.py --questions evals/questions/fineprint.jsonl \
        --index /tmp/fp-index

Asks every question through the chain, records the signals, then grid-searches the rule's
parameters (dense floor per language, unknown-name penalty) for the most right decisions. It
prints the chosen parameters, their in-sample and leave-one-out accuracy, and beside them the
best single top-1 cosine threshold, a logistic regression over all signals, and answering always.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from qa.answer.abstention import SIGNALS, margin
from qa.answer.chain import AnswerChain
from qa.settings import AbstentionRule, Settings

FLOORS = np.round(np.arange(0.10, 0.95, 0.005), 3)
PENALTIES = (0.0, 0.1, 0.25, 0.5)


def _collect(chain: AnswerChain, questions: list[dict]) -> list[tuple[dict, str, int]]:
    rows = []
    for item in questions:
        result = chain.invoke(item["question"])
        rows.append((result.signals, result.language, int(bool(item["answerable"]))))
    return rows


def _right(rows: list[tuple[dict, str, int]], params: tuple[float, float, float]) -> int:
    return sum(int((margin(s, lang, _rule(params)) >= 0) == bool(label)) for s, lang, label in rows)


def _rule(params: tuple[float, float, float]) -> AbstentionRule:
    floor_en, floor_id, penalty = params
    return AbstentionRule(
        floors={"en": floor_en, "id": floor_id},
        default_floor=floor_en,
        unknown_name_penalty=penalty,
    )


def _fit(rows: list[tuple[dict, str, int]]) -> tuple[float, float, float]:
    # The floors apply to disjoint questions (by language), so each is searched on its own.
    # Ties go to the lowest floor: abstaining on an answerable question costs more than answering.
    def best_floor(language_rows: list[tuple[dict, str, int]], penalty: float) -> float:
        def score(floor: float) -> int:
            params = (floor, floor, penalty)
            return _right(language_rows, params)

        return max(FLOORS, key=lambda f: (score(f), -f)) if language_rows else FLOORS[0]

    best: tuple[int, tuple[float, float, float]] | None = None
    for penalty in PENALTIES:
        en = best_floor([r for r in rows if r[1] != "id"], penalty)
        id_ = best_floor([r for r in rows if r[1] == "id"], penalty)
        params = (float(en), float(id_), penalty)
        right = _right(rows, params)
        if best is None or right > best[0]:
            best = (right, params)
    assert best is not None
    return best[1]


def main() -> None:
    """Collect signals, fit, cross-validate and print."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneOut, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--model", default=None, help="Embedding model the index was built with.")
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args()
    settings = Settings(index_dir=args.index).override(
        embedding_model=args.model, chunk_size=args.chunk_size
    )
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    rows = _collect(AnswerChain.from_settings(settings), questions)
    labels = np.asarray([label for _, _, label in rows])
    n = len(rows)

    params = _fit(rows)
    loo = sum(_right([rows[i]], _fit(rows[:i] + rows[i + 1 :])) for i in range(n))
    abstained = [(s, lang, y) for s, lang, y in rows if margin(s, lang, _rule(params)) < 0]
    print(f"rule: floor en {params[0]}, floor id {params[1]}, unknown-name penalty {params[2]}")
    print(
        f"  in-sample {_right(rows, params)}/{n} right; leave-one-out {loo}/{n}; abstains on "
        f"{sum(1 for *_, y in abstained if not y)}/{int((labels == 0).sum())} unanswerable and "
        f"{sum(1 for *_, y in abstained if y)}/{int(labels.sum())} answerable"
    )

    top = np.asarray([s["top_dense"] for s, _, _ in rows])
    best = max(int(((top >= t) == labels).sum()) for t in np.unique(top))
    print(f"best single top-1 cosine threshold (in-sample): {best}/{n}")
    x = np.asarray(
        [[s.get(name, 0.0) for name in SIGNALS] + [float(lang == "id")] for s, lang, _ in rows]
    )
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    predicted = cross_val_predict(logistic, x, labels, cv=LeaveOneOut())
    print(
        f"logistic regression on all signals, leave-one-out: {int((predicted == labels).sum())}/{n}"
    )
    print(f"answering always: {int(labels.sum())}/{n}")


if __name__ == "__main__":
    main()
