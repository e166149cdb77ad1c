"""Evidence: the sentences of the retrieved passages that answer the question.

Each stored sentence already has a vector (embedded at ingest) and retrieval has scored it
against the question; a sentence's evidence score is that cosine, plus a small bonus for the
question words it repeats, minus a small penalty for the rank of its passage. Only statements
are candidates (``qa.answer.statements``): never a heading, label, navigation line or fragment,
and a sentence inside a quotation is quoted from its opening mark. A sentence that says what a
better one already says (another version, a copy, a template) becomes that one's copy, quoted
once with every source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from langchain_core.documents import Document

from qa.answer.statements import (
    asks_overview,
    balanced_span,
    same_statement,
    statement_problem,
)
from qa.retrieve.catalog import ScoredSentence, SentencesByPlace
from qa.retrieve.lexical import tokenize
from qa.settings import (
    DEFAULT_EVIDENCE_BIAS,
    DEFAULT_EVIDENCE_PER_PASSAGE,
    DEFAULT_EVIDENCE_RANK_PENALTY,
    DEFAULT_EVIDENCE_THRESHOLD,
    DEFAULT_EVIDENCE_WEIGHTS,
    DEFAULT_EVIDENCE_WORD_BONUS,
    DEFAULT_MAX_EVIDENCE_SENTENCES,
    DEFAULT_MIN_SENTENCE_CHARS,
    Settings,
)

# What the evidence rule weighs, per candidate sentence, relative to the question's best.
EVIDENCE_FEATURES = ("cosine_gap", "overlap", "rare_overlap", "rank", "passage_gap", "log_chars")


def relative_features(scored: list[Evidence]) -> list[list[float]]:
    """Each candidate's ``EVIDENCE_FEATURES``: cosine and passage score below the best ones,
    question words repeated (0..1) plainly and weighted by idf, passage rank (1 = best) and
    the log of its length.
    """
    if not scored:
        return []
    best_cosine = max(e.features.get("cosine", 0.0) for e in scored)
    best_passage = max(e.features.get("passage", 0.0) for e in scored)
    return [
        [
            best_cosine - e.features.get("cosine", 0.0),
            e.features.get("overlap", 0.0),
            e.features.get("rare_overlap", 0.0),
            e.features.get("rank", 1.0),
            best_passage - e.features.get("passage", 0.0),
            math.log(max(1.0, e.features.get("chars", 1.0))),
        ]
        for e in scored
    ]


@dataclass(frozen=True)
class Evidence:
    """One selected sentence, where it sits, the passage that holds it, and its copies.

    ``copies`` are the same statement in other passages (other documents or versions), each
    with its own text and offsets, so every source can be cited for it.
    """

    passage: Document
    text: str
    doc_start: int
    doc_end: int
    score: float
    copies: tuple[Evidence, ...] = ()
    features: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def passage_start(self) -> int:
        """Offset of the sentence inside the passage text."""
        return self.doc_start - int(self.passage.metadata["start"])

    @property
    def passage_end(self) -> int:
        """End offset of the sentence inside the passage text."""
        return self.doc_end - int(self.passage.metadata["start"])


@dataclass(frozen=True)
class EvidenceSelector:
    """Scores the sentences inside retrieved passages and keeps the ones to quote.

    The defaults are the tuned values of ``qa.settings`` (what each was fitted on is written
    there); ``from_settings`` takes them from a ``Settings``.

    Example:
        >>> passage = Document(page_content="We never sell data. Contact us.", id="a#0",
        ...                    metadata={"doc_id": "a", "start": 0, "end": 31, "rank": 1})
        >>> sentence = Document(page_content="We never sell data.",
        ...                     metadata={"doc_id": "a", "start": 0, "end": 19})
        >>> selector = EvidenceSelector(min_sentence_chars=5)
        >>> scored = selector.score([passage], [ScoredSentence(sentence, 0.8)], "sell data?")
        >>> [(e.text, round(e.score, 2)) for e in selector.select(scored)]
        [('We never sell data.', 0.84)]
    """

    max_sentences: int = DEFAULT_MAX_EVIDENCE_SENTENCES
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EVIDENCE_WEIGHTS))
    bias: float = DEFAULT_EVIDENCE_BIAS
    threshold: float = DEFAULT_EVIDENCE_THRESHOLD
    per_passage: int = DEFAULT_EVIDENCE_PER_PASSAGE
    word_bonus: float = DEFAULT_EVIDENCE_WORD_BONUS
    rank_penalty: float = DEFAULT_EVIDENCE_RANK_PENALTY
    min_sentence_chars: int = DEFAULT_MIN_SENTENCE_CHARS

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceSelector:
        """The selector configured by ``settings``' ``evidence_*`` and sentence fields."""
        return cls(
            max_sentences=settings.max_evidence_sentences,
            weights=dict(settings.evidence_weights),
            bias=settings.evidence_bias,
            threshold=settings.evidence_threshold,
            per_passage=settings.evidence_per_passage,
            word_bonus=settings.evidence_word_bonus,
            rank_penalty=settings.evidence_rank_penalty,
            min_sentence_chars=settings.min_sentence_chars,
        )

    def score(
        self,
        passages: list[Document],
        sentences: list[ScoredSentence],
        question: str,
        term_weights: dict[str, float] | None = None,
    ) -> list[Evidence]:
        """Score the sentences inside ``passages`` for the question, best first.

        Args:
            passages: The ranked passages; ``rank`` metadata (1 = best) sets the penalty.
            sentences: Scored sentences from retrieval; those inside ``passages`` count.
            question: The question, for the word-overlap bonus.
            term_weights: The question's tokens with their idf (``Retrieval.term_weights``),
                for the idf-weighted overlap; without them every word weighs 1.

        Returns:
            One ``Evidence`` per distinct sentence inside a passage, at least
            ``min_sentence_chars`` long; scores are cosines (about -1..1) plus the bonus
            (0..``word_bonus``) minus ``rank_penalty`` per rank below the first.
        """
        if not passages or not sentences:
            return []
        question_tokens = set(tokenize(question))
        overview = asks_overview(question)
        weights = term_weights or dict.fromkeys(question_tokens, 1.0)
        weight_total = sum(weights.values())
        scored: list[Evidence] = []
        seen: set[tuple[str, int]] = set()
        places = SentencesByPlace(sentences)
        for passage in passages:
            doc_id, start, end = (
                passage.metadata["doc_id"],
                int(passage.metadata["start"]),
                int(passage.metadata["end"]),
            )
            rank = int(passage.metadata.get("rank", 1))
            for item in places.within(doc_id, start, end):
                meta = item.sentence.metadata
                s_start, s_end = int(meta["start"]), int(meta["end"])
                text = item.sentence.page_content
                if (doc_id, s_start) in seen or len(text) < self.min_sentence_chars:
                    continue
                seen.add((doc_id, s_start))
                span = _statement_span(passage, text, s_start, s_end, overview=overview)
                if span is None:
                    continue
                if span != (s_start, s_end):
                    s_start, s_end = span
                    text = passage.page_content[s_start - start : s_end - start]
                tokens = set(tokenize(text))
                overlap = (
                    len(tokens & question_tokens) / len(question_tokens) if question_tokens else 0
                )
                score = item.score + self.word_bonus * overlap - self.rank_penalty * (rank - 1)
                features = {
                    "cosine": item.score,
                    "overlap": overlap,
                    "rare_overlap": (
                        sum(w for t, w in weights.items() if t in tokens) / weight_total
                        if weight_total
                        else 0.0
                    ),
                    "rank": float(rank),
                    "passage": float(passage.metadata.get("fused_score") or 0.0),
                    "chars": float(len(text)),
                }
                scored.append(Evidence(passage, text, s_start, s_end, score, features=features))
        scored.sort(key=lambda e: -e.score)
        return scored

    def logits(self, scored: list[Evidence]) -> list[float]:
        """The evidence rule's log-odds that each candidate holds the answer (any real)."""
        return [
            self.bias
            + sum(
                self.weights.get(name, 0.0) * value
                for name, value in zip(EVIDENCE_FEATURES, row, strict=True)
            )
            for row in relative_features(scored)
        ]

    def select(self, scored: list[Evidence]) -> list[Evidence]:
        """Keep the best of ``scored`` by the evidence rule, the first always.

        Candidates are ordered by ``logits``; after the first, one is kept when its log-odds
        reach ``threshold``, at most ``per_passage`` per passage and ``max_sentences`` in all.
        A sentence saying what a kept one says (``same_statement``) is not quoted again: it
        joins the kept one's ``copies`` when it comes from another document.

        Returns:
            At most ``max_sentences`` items, best first.
        """
        if not scored:
            return []
        logits = self.logits(scored)
        order = sorted(range(len(scored)), key=lambda i: -logits[i])
        chosen: list[Evidence] = []
        per_passage: dict[str, int] = {}
        for i in order:
            evidence = scored[i]
            same = next(
                (n for n, kept in enumerate(chosen) if same_statement(kept.text, evidence.text)),
                None,
            )
            if same is not None:
                chosen[same] = _with_copy(chosen[same], evidence)
                continue
            pid = str(evidence.passage.id)
            if chosen and (
                logits[i] < self.threshold
                or per_passage.get(pid, 0) >= self.per_passage
                or len(chosen) >= self.max_sentences
            ):
                continue
            per_passage[pid] = per_passage.get(pid, 0) + 1
            chosen.append(evidence)
        return chosen

    def with_passage_copies(
        self, chosen: list[Evidence], copies: dict[str, list[Document]]
    ) -> list[Evidence]:
        """Add, to each item, the same sentence in passages with the same text as its own.

        ``copies`` maps a passage id to the passages retrieval folded into it (same text in
        another document); a copy is added only where the sentence is found verbatim.
        """
        result = []
        for evidence in chosen:
            for passage in copies.get(str(evidence.passage.id), []):
                at = passage.page_content.find(evidence.text)
                if at >= 0:
                    start = int(passage.metadata["start"]) + at
                    twin = Evidence(
                        passage, evidence.text, start, start + len(evidence.text), evidence.score
                    )
                    evidence = _with_copy(evidence, twin)
            result.append(evidence)
        return result


def _with_copy(kept: Evidence, other: Evidence) -> Evidence:
    """``kept`` with ``other`` as a copy, unless ``other``'s document is already cited."""
    docs = {kept.passage.metadata["doc_id"], *(c.passage.metadata["doc_id"] for c in kept.copies)}
    if other.passage.metadata["doc_id"] in docs:
        return kept
    return replace(kept, copies=(*kept.copies, other))


def _statement_span(
    passage: Document, text: str, start: int, end: int, *, overview: bool = False
) -> tuple[int, int] | None:
    """The document span to quote for a stored sentence, or ``None`` if it states nothing.

    A sentence whose quotation marks do not balance is widened to its opening (or closing)
    mark inside the passage; one that cannot be is dropped, like headings, labels and (unless
    ``overview``: the question asks what the document covers) sentences about the document.
    """
    problem = statement_problem(text, overview=overview)
    if problem is None:
        return start, end
    if problem != "unbalanced quotes":
        return None
    offset = int(passage.metadata["start"])
    span = balanced_span(passage.page_content, start - offset, end - offset)
    if span is None:
        return None
    widened = passage.page_content[span[0] : span[1]]
    fine = statement_problem(widened, overview=overview) is None
    return (span[0] + offset, span[1] + offset) if fine else None
