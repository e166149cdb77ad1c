"""Fit the abstention rule by logistic regression on the fitting questions' signals.

    fineprint eval --questions evals/questions/fit/fineprint.jsonl --index DIR --out OUT1
    fineprint eval --questions evals/questions/invented/NAME.jsonl --corpus evals/corpora/NAME \
        --index DIR2 --out OUT2                          # each fitting corpus
    python evals/fit_abstention.py OUT1/results.jsonl OUT2/results.jsonl ...

Each question is one row of the signals in ``FEATURES`` (``qa.answer.abstention``), labelled
answerable or not; every results file weighs the same in total. The decision threshold
maximises abstention recall minus the false abstention rate, keeping false abstentions at most
``--max-false`` (a share of answerable questions) on the fitting questions. Prints the rule for
``qa/settings.py`` (weights and a bias that folds the threshold in, so that ``margin < 0``
means abstain), its in-sample figures per file, and each file's figures when the rule is
fitted on the other files only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.answer.abstention import SIGNALS

# The signals ``compute_signals`` measures, less the two the rule has never been fitted on.
FEATURES = tuple(s for s in SIGNALS if s not in ("missing_names", "agreement"))
REGULARISATION_C = 10.0


def _load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    # Questions answered before the rule runs (no passages, invalid input) carry no signals.
    rows = [r for r in rows if r.get("signals")]
    x = np.array([[r["signals"].get(f, 0.0) for f in FEATURES] for r in rows], dtype=float)
    y = np.array([bool(r["answerable"]) for r in rows])
    return x, y


def _fit(
    sets: list[tuple[np.ndarray, np.ndarray]], max_false: float = 1.0
) -> tuple[np.ndarray, float]:
    """Weights and a bias (threshold folded in) fitted on ``sets``."""
    x = np.vstack([s[0] for s in sets])
    y = np.concatenate([s[1] for s in sets])
    weight = np.concatenate([np.full(len(s[1]), 1.0 / len(s[1])) for s in sets])
    model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
    model.fit(x, y, sample_weight=weight * len(y) / weight.sum())
    logits = model.decision_function(x)
    # The threshold with the best weighted Youden index (recall minus false abstention rate),
    # among those keeping false abstentions at or under ``max_false``.
    best, threshold = -np.inf, 0.0
    for candidate in np.unique(logits):
        abstain = logits < candidate
        false = (weight * (abstain & y)).sum() / (weight * y).sum()
        recall = (weight * (abstain & ~y)).sum() / max(1e-9, (weight * ~y).sum())
        if false <= max_false and recall - false > best:
            best, threshold = recall - false, float(candidate)
    return model.coef_[0], float(model.intercept_[0]) - threshold


def _figures(x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> str:
    abstain = x @ weights + bias < 0
    unanswerable = ~y
    recall = (abstain & unanswerable).sum() / max(1, unanswerable.sum())
    false = (abstain & y).sum() / max(1, y.sum())
    return f"abstention recall {recall:.3f}  false abstention {false:.3f}"


def main() -> None:
    """Fit, print the rule and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="results.jsonl of fitting runs")
    parser.add_argument("--max-false", type=float, default=1.0, help="cap, 0..1")
    args = parser.parse_args()
    sets = [_load(path) for path in args.results]
    weights, bias = _fit(sets, args.max_false)
    rule = ", ".join(f'"{f}": {w:.4f}' for f, w in zip(FEATURES, weights, strict=True))
    print(f"AbstentionRule(weights={{{rule}}}, bias={bias:.4f})")
    for path, (x, y) in zip(args.results, sets, strict=True):
        others = [s for other, s in zip(args.results, sets, strict=True) if other != path]
        held = _figures(x, y, *_fit(others, args.max_false)) if others else "-"
        print(f"{path}: in-sample {_figures(x, y, weights, bias)} | held out {held}")


if __name__ == "__main__":
    main()
