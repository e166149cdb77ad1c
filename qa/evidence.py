"""Answer-sentence selection: the sentences of the retrieved passages that answer the question.

Each stored sentence already has a vector (embedded at ingest) and retrieval has scored it
against the question; a sentence's evidence score is that cosine, plus a small bonus for
question words it repeats, minus a small one for the rank of its passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from qa.lexical import tokenize
from qa.retrieve import MIN_SENTENCE_CHARS, ScoredSentence
from qa.settings import DEFAULT_MAX_EVIDENCE_SENTENCES

# Tuned on evals/questions/fineprint.jsonl (evals/README.md): how far below the best sentence
# another may score and still be quoted, and how much a passage's rank costs its sentences.
DEFAULT_MARGIN = 0.05
MAX_PER_PASSAGE = 1
_LEXICAL_BONUS = 0.04
_RANK_BONUS = 0.02


@dataclass(frozen=True)
class Evidence:
    """One selected sentence, where it sits, and the passage that holds it."""

    passage: Document
    text: str
    doc_start: int
    doc_end: int
    score: float

    @property
    def passage_start(self) -> int:
        """Offset of the sentence inside the passage text."""
        return self.doc_start - int(self.passage.metadata["start"])

    @property
    def passage_end(self) -> int:
        """End offset of the sentence inside the passage text."""
        return self.doc_end - int(self.passage.metadata["start"])


def score_sentences(
    passages: list[Document], sentences: list[ScoredSentence], question: str
) -> list[Evidence]:
    """Score the sentences inside ``passages`` for the question, best first.

    Args:
        passages: The ranked passages (their ``rank`` metadata gives a small bonus).
        sentences: Scored sentences of the passages' documents, from retrieval.
        question: The question, for the word-overlap bonus.
    """
    if not passages or not sentences:
        return []
    question_tokens = set(tokenize(question))
    scored: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    for passage in passages:
        doc_id, start, end = (
            passage.metadata["doc_id"],
            int(passage.metadata["start"]),
            int(passage.metadata["end"]),
        )
        rank = int(passage.metadata.get("rank", 1))
        for item in sentences:
            meta = item.sentence.metadata
            s_start, s_end = int(meta["start"]), int(meta["end"])
            if meta["doc_id"] != doc_id or not (start <= s_start and s_end <= end):
                continue
            text = item.sentence.page_content
            if (doc_id, s_start) in seen or len(text) < MIN_SENTENCE_CHARS:
                continue
            seen.add((doc_id, s_start))
            tokens = set(tokenize(text))
            overlap = len(tokens & question_tokens) / len(question_tokens) if question_tokens else 0
            score = item.score + _LEXICAL_BONUS * overlap - _RANK_BONUS * (rank - 1)
            scored.append(Evidence(passage, text, s_start, s_end, score))
    scored.sort(key=lambda e: -e.score)
    return scored


def select_evidence(
    scored: list[Evidence],
    max_sentences: int = DEFAULT_MAX_EVIDENCE_SENTENCES,
    margin: float = DEFAULT_MARGIN,
) -> list[Evidence]:
    """Keep the best sentences: within ``margin`` of the best, one per passage.

    One sentence per passage spreads an answer over its sources instead of quoting one passage
    at length; on the project's questions it raised citation precision and recall together.
    """
    if not scored:
        return []
    best = scored[0].score
    chosen: list[Evidence] = []
    per_passage: dict[str, int] = {}
    for evidence in scored:
        if evidence.score < best - margin or len(chosen) >= max_sentences:
            break
        pid = str(evidence.passage.id)
        if per_passage.get(pid, 0) >= MAX_PER_PASSAGE:
            continue
        per_passage[pid] = per_passage.get(pid, 0) + 1
        chosen.append(evidence)
    return chosen
