"""Fit the retriever's fusion weights by logistic regression on the fitting questions only.

    python evals/fit_ranking.py --work /tmp/fit-work \
        --set evals/questions/fit/fineprint.jsonl=../shared/corpus \
        --set evals/questions/invented/<fitting corpus>.jsonl=evals/corpora/<fitting corpus> \
        --policyqa-dev 400

Every candidate passage the retriever scores (``fetch_k`` dense plus ``fetch_k`` BM25) becomes
one row of ``qa.retrieve.hybrid.FEATURES``, labelled by the support rule (PolicyQA: the gold
paragraph). Features are centred per question before fitting: ranking only compares candidates
of one question, so what the model must learn is which candidate of a question is better, not
which question is easier. Each question set weighs the same in total, so PolicyQA's many
questions do not drown the policy corpora. The weights are printed scaled to ``dense = 1``,
with hit@1 on every set under the current and the fitted weights, and leave-one-set-out hit@1.
Paste the weights into ``qa/settings.py`` (``DEFAULT_FUSION_WEIGHTS``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.evaluate.questions import load_questions
from qa.evaluate.support import supports
from qa.index.ingest import index_config, ingest
from qa.index.store import PassageStore
from qa.retrieve.filters import SearchFilters
from qa.retrieve.hybrid import FEATURES, HybridRetriever
from qa.settings import Settings, load_settings

# Inverse regularisation strength; the fit is flat from 0.1 to 10 on the fitting sets.
REGULARISATION_C = 10.0


@dataclass
class QuestionRows:
    """One question's candidates: features (n, len(FEATURES)) and labels (n,)."""

    set_name: str
    features: np.ndarray
    labels: np.ndarray


def _policy_rows(
    settings: Settings, questions_file: Path, corpus: Path, work: Path
) -> list[QuestionRows]:
    local = settings.override(corpus_dir=corpus, index_dir=work / f"index-{corpus.name}")
    ingest(local)
    store = PassageStore.open(local.index_dir, index_config(local))
    retriever = HybridRetriever.from_settings(store, local)
    retriever.all_features = True
    rows = []
    for question in load_questions(questions_file):
        if not question.answerable:
            continue
        retrieval = retriever.retrieve(question.question, k=local.fetch_k)
        ids = list(retrieval.features)
        labels = [
            supports(
                retrieval.candidates[pid].page_content,
                retrieval.candidates[pid].metadata["doc_id"],
                question.evidence,
            )
            for pid in ids
        ]
        rows.append(_rows(questions_file.stem, retrieval.features, ids, labels))
    store.close()
    return rows


def _policyqa_rows(settings: Settings, limit: int, work: Path) -> list[QuestionRows]:
    from qa.evaluate.policyqa.corpus import publisher_tag
    from qa.evaluate.policyqa.data import load_split, select_questions
    from qa.evaluate.policyqa.systems import FineprintSystem
    from qa.settings import POLICYQA_DATA_DIR as DEFAULT_DATA_DIR

    benchmark = load_split(DEFAULT_DATA_DIR / "dev.json", "dev")
    questions = select_questions(benchmark.questions, limit)
    system = FineprintSystem(benchmark, questions, work / "policyqa-dev", settings, print)
    system.retriever.all_features = True
    rows = []
    for question in questions:
        filters = SearchFilters(publisher=publisher_tag(question.website))
        retrieval = system.retriever.retrieve(question.text, filters, settings.fetch_k)
        ids = list(retrieval.features)
        labels = [
            system._paragraph_at(p.metadata["doc_id"], int(p.metadata["start"])).pid == question.pid
            for p in (retrieval.candidates[pid] for pid in ids)
        ]
        rows.append(_rows("policyqa-dev", retrieval.features, ids, labels))
    system.store.close()
    return rows


def _rows(
    name: str, features: dict[str, dict[str, float]], ids: list[str], labels: list[bool]
) -> QuestionRows:
    matrix = np.array([[features[pid][f] for f in FEATURES] for pid in ids], dtype=np.float64)
    return QuestionRows(name, matrix, np.array(labels, dtype=bool))


def _hit_at_1(rows: list[QuestionRows], weights: np.ndarray) -> float:
    hits = [bool(r.labels[int(np.argmax(r.features @ weights))]) for r in rows if len(r.labels)]
    return sum(hits) / len(hits) if hits else 0.0


def _pairs(rows: list[QuestionRows]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Differences (supporting minus other candidate) and their signs, weighted per set."""
    diffs, signs, weights = [], [], []
    sets = {r.set_name for r in rows}
    per_set = {name: sum(1 for r in rows if r.set_name == name and r.labels.any()) for name in sets}
    for r in rows:
        positive, negative = r.features[r.labels], r.features[~r.labels]
        if not len(positive) or not len(negative):
            continue
        pairs = (positive[:, None, :] - negative[None, :, :]).reshape(-1, len(FEATURES))
        # Each question weighs the same whatever its number of pairs; each set the same.
        share = 1.0 / (len(pairs) * per_set[r.set_name])
        for sign in (1, -1):
            diffs.append(sign * pairs)
            signs.append(np.full(len(pairs), sign > 0))
            weights.append(np.full(len(pairs), share))
    return np.vstack(diffs), np.concatenate(signs), np.concatenate(weights)


def _fit(rows: list[QuestionRows]) -> np.ndarray:
    """Pairwise logistic regression (a RankNet-style surrogate for hit@1), no intercept."""
    x, y, weight = _pairs(rows)
    model = LogisticRegression(C=REGULARISATION_C, fit_intercept=False)
    model.fit(x, y, sample_weight=weight * len(y) / weight.sum())
    coefficients = model.coef_[0]
    return coefficients / coefficients[FEATURES.index("dense")]


def main() -> None:
    """Collect the rows, fit, print the weights and the hit@1 comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", default=[], help="QUESTIONS.jsonl=CORPUS_DIR")
    parser.add_argument("--policyqa-dev", type=int, default=0, help="PolicyQA dev questions")
    parser.add_argument("--work", type=Path, required=True, help="indexes are kept here")
    args = parser.parse_args()
    settings = load_settings()
    rows: list[QuestionRows] = []
    for pair in args.set:
        questions, corpus = pair.split("=", 1)
        rows += _policy_rows(settings, Path(questions), Path(corpus), args.work)
    if args.policyqa_dev:
        rows += _policyqa_rows(settings, args.policyqa_dev, args.work)
    current = np.array([settings.fusion_weights.get(f, 0.0) for f in FEATURES])
    fitted = _fit(rows)
    print("fitted weights (dense = 1):")
    print("{" + ", ".join(f'"{f}": {w:.3f}' for f, w in zip(FEATURES, fitted, strict=True)) + "}")
    print(f"{'set':<28} {'questions':>9} {'current':>8} {'fitted':>8} {'held out':>8}")
    for name in sorted({r.set_name for r in rows}):
        members = [r for r in rows if r.set_name == name]
        others = [r for r in rows if r.set_name != name]
        held_out = _hit_at_1(members, _fit(others)) if others else float("nan")
        print(
            f"{name:<28} {len(members):>9} {_hit_at_1(members, current):>8.3f} "
            f"{_hit_at_1(members, fitted):>8.3f} {held_out:>8.3f}"
        )


if __name__ == "__main__":
    main()
