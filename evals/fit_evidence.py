"""Fit the evidence rule (which sentences to quote) by logistic regression on fitting questions.

    python evals/fit_evidence.py --work DIR --set QUESTIONS.jsonl=CORPUS_DIR ...

For every answerable fitting question, the sentences the answer step scores (inside the first
``k`` passages, statements only) are rows of ``qa.answer.evidence.EVIDENCE_FEATURES`` (relative
to the question's best sentence and passage), labelled by whether the sentence holds a gold
quote or lies inside one (the support rule's normalisation). Prints the weights and, for a range
of thresholds, the citation precision and recall the selection would reach on each set: the
best sentence is always quoted, others when their score clears the threshold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.answer.evidence import EVIDENCE_FEATURES, EvidenceSelector, relative_features
from qa.evaluate.questions import load_questions
from qa.evaluate.support import normalise, supports
from qa.index.ingest import index_config, ingest
from qa.index.store import PassageStore
from qa.retrieve.hybrid import HybridRetriever
from qa.settings import load_settings

REGULARISATION_C = 1.0
THRESHOLDS = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 99.0)
MAX_QUOTES = 4


def _holds(sentence: str, quotes: list[str]) -> bool:
    text = normalise(sentence)
    return any(q in text or (len(text) > 30 and text in q) for q in quotes)


def main() -> None:
    """Collect rows, fit, print weights and the selection's figures per threshold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", default=[], help="QUESTIONS.jsonl=CORPUS_DIR")
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    settings = load_settings()
    selector = EvidenceSelector.from_settings(settings)
    per_set: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for pair in args.set:
        questions_file, corpus = (Path(p) for p in pair.split("=", 1))
        local = settings.override(corpus_dir=corpus, index_dir=args.work / f"index-{corpus.name}")
        ingest(local)
        store = PassageStore.open(local.index_dir, index_config(local))
        retriever = HybridRetriever.from_settings(store, local)
        rows = per_set.setdefault(questions_file.stem, [])
        for question in load_questions(questions_file):
            if not question.answerable:
                continue
            retrieval = retriever.retrieve(question.question)
            scored = selector.score(
                retrieval.passages, retrieval.sentences, question.question, retrieval.term_weights
            )
            if not scored:
                continue
            quotes = [normalise(e.quote) for e in question.evidence]
            x = np.array(relative_features(scored))
            sentence = np.array([_holds(e.text, quotes) for e in scored])
            passage = np.array(
                [
                    supports(
                        e.passage.page_content, e.passage.metadata["doc_id"], question.evidence
                    )
                    for e in scored
                ]
            )
            rows.append((x, sentence, passage))
        store.close()
    x = np.vstack([r[0] for rows in per_set.values() for r in rows])
    y = np.concatenate([r[1] for rows in per_set.values() for r in rows])
    weight = np.concatenate(
        [
            np.full(len(r[1]), 1.0 / sum(len(q[1]) for q in rows))
            for rows in per_set.values()
            for r in rows
        ]
    )
    model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
    model.fit(x, y, sample_weight=weight * len(y) / weight.sum())
    weights = dict(zip(EVIDENCE_FEATURES, model.coef_[0].round(4).tolist(), strict=True))
    print(f"weights={weights}, bias={model.intercept_[0]:.4f}")
    best = (-1.0, 0.0)
    for threshold in THRESHOLDS:
        scores = []
        for name, rows in per_set.items():
            cited = hit = answered = 0
            for features, _, passage in rows:
                logits = features @ model.coef_[0] + model.intercept_[0]
                order = np.argsort(-logits)
                chosen = [order[0], *[i for i in order[1:MAX_QUOTES] if logits[i] >= threshold]]
                cited += len(chosen)
                hit += int(passage[chosen].sum())
                answered += int(passage[chosen].any())
            precision, recall = hit / max(1, cited), answered / max(1, len(rows))
            f1 = 2 * precision * recall / max(1e-9, precision + recall)
            scores.append(f1)
            print(f"threshold {threshold:>5}: {name:<18} citation P {precision:.3f} R {recall:.3f}")
        print(f"threshold {threshold:>5}: mean F1 {np.mean(scores):.3f}")
        best = max(best, (float(np.mean(scores)), threshold))
    print(f"chosen threshold (best mean F1 {best[0]:.3f}): {best[1]}")


if __name__ == "__main__":
    main()
