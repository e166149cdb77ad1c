"""Deciding whether the retrieved evidence answers the question at all.

No single similarity separates answerable from unanswerable questions (multilingual E5 scores
bunch between about 0.74 and 0.87), so several signals are combined in a logistic score:

- ``top_sentence``: cosine of the best stored sentence (fine-grained match);
- ``top_dense``: cosine of the best passage;
- ``evidence``: score of the best selected evidence sentence;
- ``coverage``: share of the question's content words found in the top passages;
- ``missing_names``: share of the question's names and numbers ("Turkey", "2019") that no
  retrieved passage mentions; a question about something the documents never name is rarely
  answered by them;
- ``unknown_names``: share of those names that no indexed document mentions at all;
- ``agreement``: whether the fused top passage is also near the top of two rankings;
- ``indonesian``: 1 for an Indonesian question; cross-lingual matches score lower, and lexical
  coverage means little against English documents, so the rule needs to know.

The weights are fitted on the project's own questions by ``evals/calibrate_refusal.py``.
"""

from __future__ import annotations

import math
import re

from langchain_core.documents import Document

from qa.evidence import Evidence
from qa.lexical import tokenize
from qa.retrieve import Retrieval

# Fitted by evals/calibrate_refusal.py on evals/questions/fineprint.jsonl (see evals/README.md).
WEIGHTS: dict[str, float] = {
    "bias": -40.0,
    "top_sentence": 30.0,
    "top_dense": 10.0,
    "evidence": 10.0,
    "coverage": 1.5,
    "missing_names": -3.0,
    "unknown_names": -3.0,
    "agreement": 0.5,
    "indonesian": 0.0,
}
THRESHOLD = 0.5
_NAME = re.compile(r"(?<![\w'])([A-Z][\w'’-]+|\d[\d.,]*)")
_AGREEMENT_RANK = 5


def _names(question: str) -> list[str]:
    words = _NAME.findall(question)
    first = re.match(r"\W*(\w+)", question)
    names = [w for w in words if not (first and w == first.group(1))]
    return [re.sub(r"['’]s$", "", w).strip(".,") for w in names]


def compute_signals(
    question: str, retrieval: Retrieval, evidence: list[Evidence], language: str = "en"
) -> dict[str, float]:
    """The refusal signals for one question (all roughly between 0 and 1)."""
    passages: list[Document] = retrieval.passages
    haystack = " ".join(
        f"{p.metadata.get('title', '')} {p.metadata.get('publisher', '')} {p.page_content}"
        for p in passages
    ).casefold()
    names = _names(question)
    missing = [n for n in names if n.casefold() not in haystack]
    unknown = [
        n for n in names
        if not all(w in retrieval.vocabulary for w in re.findall(r"\w+", n.casefold()))
    ]
    question_tokens = set(tokenize(question))
    top_tokens = set(tokenize(" ".join(p.page_content for p in passages[:3])))
    coverage = len(question_tokens & top_tokens) / len(question_tokens) if question_tokens else 0.0
    agreement = 0.0
    if passages:
        meta = passages[0].metadata
        near = [
            r
            for r in (meta.get("dense_rank"), meta.get("sentence_rank"), meta.get("lexical_rank"))
            if r is not None and r <= _AGREEMENT_RANK
        ]
        agreement = 1.0 if len(near) >= 2 else 0.0
    return {
        "top_sentence": round(retrieval.top_sentence, 4),
        "top_dense": round(retrieval.top_dense, 4),
        "evidence": round(evidence[0].score if evidence else 0.0, 4),
        "coverage": round(coverage, 4),
        "missing_names": round(len(missing) / len(names), 4) if names else 0.0,
        "unknown_names": round(len(unknown) / len(names), 4) if names else 0.0,
        "agreement": agreement,
        "indonesian": 1.0 if language == "id" else 0.0,
    }


def answerability(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """The logistic answerability score in ``[0, 1]``; below ``THRESHOLD`` means refuse."""
    weights = weights or WEIGHTS
    z = weights["bias"] + sum(
        weights[name] * signals.get(name, 0.0) for name in weights if name != "bias"
    )
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def should_refuse(signals: dict[str, float], threshold: float = THRESHOLD) -> bool:
    """Whether the evidence is too weak to answer from."""
    return answerability(signals) < threshold
