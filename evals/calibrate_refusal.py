"""Fit the refusal rule's weights on a question set and print them with their accuracy.

Usage:
    python evals/calibrate_refusal.py --questions evals/questions/fineprint.jsonl \
        --index /tmp/fp-index

It asks every question through the chain, records the refusal signals, fits a logistic
regression (answerable = 1) and prints the weights to paste into ``qa/refusal.py``, then the
leave-one-out accuracy of the fitted rule beside the best single top-1 cosine threshold.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from qa.chain import AnswerChain
from qa.refusal import WEIGHTS
from qa.settings import Settings

FEATURES = [name for name in WEIGHTS if name != "bias"]


def _signals(chain: AnswerChain, questions: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for item in questions:
        result = chain.invoke(item["question"])
        rows.append([result.signals.get(name, 0.0) for name in FEATURES])
        labels.append(1 if item["answerable"] else 0)
    return np.asarray(rows), np.asarray(labels)


def main() -> None:
    """Parse arguments, collect signals, fit, and print."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneOut, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--c", type=float, default=1.0, help="Inverse regularisation strength.")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    chain = AnswerChain.from_settings(Settings(index_dir=args.index))
    x, y = _signals(chain, questions)
    # Cosines vary over a few hundredths only: standardise so one regularisation suits all,
    # then fold the scaling back into plain weights on the raw signals.
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.c, max_iter=5000))
    predicted = cross_val_predict(model, x, y, cv=LeaveOneOut())
    model.fit(x, y)
    scaler, logistic = model[0], model[1]
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    raw = logistic.coef_[0] / scale
    bias = float(logistic.intercept_[0] - (logistic.coef_[0] * scaler.mean_ / scale).sum())
    weights = {"bias": round(bias, 3)}
    weights.update({n: round(float(w), 3) for n, w in zip(FEATURES, raw, strict=True)})
    print("WEIGHTS =", json.dumps(weights, indent=4))
    print(f"fitted rule, leave-one-out: {int((predicted == y).sum())}/{len(y)} right "
          f"({int(((predicted == 0) & (y == 0)).sum())}/{int((y == 0).sum())} unanswerable "
          f"refused, {int(((predicted == 0) & (y == 1)).sum())} answerable refused)")
    top = x[:, FEATURES.index("top_dense")]
    best = max(((np.where(top >= t, 1, 0) == y).sum(), t) for t in np.unique(top))
    print(f"best single top-1 cosine threshold ({best[1]:.3f}): {best[0]}/{len(y)} right; "
          f"answering always: {int(y.sum())}/{len(y)}")


if __name__ == "__main__":
    main()
