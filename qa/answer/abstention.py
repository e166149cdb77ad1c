"""Abstention: deciding whether the retrieved evidence answers the question at all.

No single similarity separates answerable from unanswerable questions (multilingual E5 scores
bunch between about 0.74 and 0.87), so the rule is linear over several signals, fitted by
logistic regression on the fitting questions (``evals/fit_abstention.py``):

- ``top_dense``, ``top_sentence``, ``evidence``: cosines of the best passage, the best
  sentence and the best quoted sentence;
- ``coverage`` and ``evidence_coverage``: the share of the question's words (both forms of an
  acronym counting) in the first passages, and in the first quoted sentences;
- ``unknown_names``: share of the question's names and numbers ("Turkey", "Hamburg") that no
  indexed document mentions, in either form of an acronym ("GDPR" is known where the corpus
  writes "General Data Protection Regulation"). Only for English questions: Indonesian ones
  name places in Indonesian ("Jerman", "Eropa") that English documents spell otherwise;
- ``rare_coverage``: the same share for the first quoted sentences, each word weighted by its
  BM25 idf (a word no passage holds weighs most): a near miss quotes a sentence on the same
  subject that lacks the question's rarest word ("fingerprint", "CCTV");
- ``indonesian``: 1 for an Indonesian question; ``cross_lingual``: 1 when the best quote is in
  another language than the question (word shares mean little then, cosines run lower).

``missing_names`` and ``agreement`` are reported with every answer but not weighted. The
signal ``margin`` is how far the evidence clears the rule's bar: negative means abstain. The
rule's numbers (``AbstentionRule``, one per embedding model) live in ``qa.settings``.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from langchain_core.documents import Document

from qa.answer.evidence import Evidence
from qa.retrieve.acronyms import expansions
from qa.retrieve.catalog import Vocabulary
from qa.retrieve.hybrid import Retrieval
from qa.retrieve.lexical import tokenize
from qa.settings import DEFAULT_ABSTENTION_RULE, AbstentionRule

# Languages whose questions name things the way the (English) documents do.
NAME_LANGUAGES = frozenset({"en"})
_NAME = re.compile(r"(?<![\w'])([A-Z][\w'’-]+|\d[\d.,]*\d|\d)")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"“(]*([A-Z]\w*)")
# Definitions of signals, not tuned: "agreement" means both rankings put the top passage in
# their first five; a question word of four letters or more counts as known when a corpus word
# starts with it ("encrypt" for "encryption"); "coverage" looks at the first three passages.
# The signals ``compute_signals`` measures, before the rule's ``margin`` is added.
SIGNALS = (
    "top_dense",
    "top_sentence",
    "evidence",
    "coverage",
    "evidence_coverage",
    "rare_coverage",
    "cross_lingual",
    "missing_names",
    "unknown_names",
    "agreement",
    "indonesian",
)
_AGREEMENT_RANK = 5
_MIN_PREFIX = 4
_COVERAGE_PASSAGES = 3
_COVERAGE_EVIDENCE = 2


def question_names(question: str) -> list[str]:
    """Capitalised words and numbers of ``question``, except words that start a sentence.

    Example:
        >>> question_names("What fine did Turkey's authority impose in 2021? It was big.")
        ['Turkey', '2021']
    """
    starts = set(_SENTENCE_START.findall(question))
    # "What's" starts a sentence as "What" does: compare without the contraction.
    names = [w for w in _NAME.findall(question) if re.split(r"['’]", w)[0] not in starts]
    return [re.sub(r"['’]s$", "", w).strip(".,") for w in names]


def _has_prefix(vocabulary: AbstractSet[str], prefix: str) -> bool:
    # The side index's vocabulary looks a prefix up; a plain set is scanned.
    if isinstance(vocabulary, Vocabulary):
        return vocabulary.has_prefix(prefix)
    return any(v.startswith(prefix) for v in vocabulary)


def corpus_knows(
    name: str, vocabulary: AbstractSet[str], acronyms: dict[str, str] | None = None
) -> bool:
    """Whether the corpus mentions ``name``: its words, or the other form of an acronym."""
    words = re.findall(r"\w+", name.casefold())
    if all(
        w in vocabulary or (len(w) >= _MIN_PREFIX and _has_prefix(vocabulary, w)) for w in words
    ):
        return True
    other = expansions(name, acronyms or {})
    folded = name.casefold()
    return any(corpus_knows(form, vocabulary) for form in other if form.casefold() != folded)


def compute_signals(
    question: str,
    retrieval: Retrieval,
    evidence: list[Evidence],
    language: str = "en",
    rule: AbstentionRule = DEFAULT_ABSTENTION_RULE,
    groups: list[frozenset[str]] | None = None,
) -> dict[str, float]:
    """The abstention signals for one question.

    ``groups``, for a question given as its counterpart in another language
    (``qa.retrieve.bilingual.counterpart_groups``): the word shares count a group as said when
    any of its tokens is, since a word's several translations are alternatives.

    Returns:
        ``top_dense``, ``top_sentence`` and ``evidence`` (cosines, about -1..1), ``coverage``,
        ``evidence_coverage``, ``rare_coverage``, ``missing_names``, ``unknown_names`` and
        ``agreement`` (shares, 0..1), ``indonesian`` and ``cross_lingual`` (0 or 1) and ``margin``
        (``margin(...)``, negative: abstain), each rounded to 4 digits.
    """
    passages: list[Document] = retrieval.passages
    haystack = " ".join(
        f"{p.metadata.get('title', '')} {p.metadata.get('publisher', '')} {p.page_content}"
        for p in passages
    ).casefold()
    names = question_names(question)
    missing = [n for n in names if n.casefold() not in haystack]
    unknown = [n for n in names if not corpus_knows(n, retrieval.vocabulary, retrieval.acronyms)]
    if language not in NAME_LANGUAGES:
        unknown = []
    # Both forms of an acronym count as the question's words.
    asked = " ".join([question, *expansions(question, retrieval.acronyms)])
    wanted = groups or [frozenset([token]) for token in set(tokenize(asked, language))]
    top_tokens = _said(
        " ".join(p.page_content for p in passages[:_COVERAGE_PASSAGES]), retrieval, language
    )
    evidence_text = " ".join(e.text for e in evidence[:_COVERAGE_EVIDENCE])
    evidence_tokens = _said(evidence_text, retrieval, language)
    # Rare question words weigh most: "fingerprint" matters more than "keep" or "long".
    weights = retrieval.term_weights
    # A group weighs as its rarest token; tokens no group holds (none, but for safety) alone.
    weighted = [
        (group, max(weights.get(t, 0.0) for t in group))
        for group in wanted
        if any(t in weights for t in group)
    ]
    rare_total = sum(w for _, w in weighted)
    rare = (
        sum(w for group, w in weighted if group & evidence_tokens) / rare_total
        if rare_total
        else 0.0
    )
    cross = float(
        bool(evidence) and evidence[0].passage.metadata.get("language", language) != language
    )
    agreement = 0.0
    if passages:
        meta = passages[0].metadata
        ranks = (meta.get("dense_rank"), meta.get("lexical_rank"))
        agreement = float(sum(1 for r in ranks if r is not None and r <= _AGREEMENT_RANK) >= 2)
    signals = {
        "top_dense": round(retrieval.top_dense, 4),
        "top_sentence": round(retrieval.top_sentence, 4),
        "evidence": round(evidence[0].score if evidence else 0.0, 4),
        "coverage": round(_share(wanted, top_tokens), 4),
        "evidence_coverage": round(_share(wanted, evidence_tokens), 4),
        "rare_coverage": round(rare, 4),
        "cross_lingual": cross,
        "missing_names": round(len(missing) / len(names), 4) if names else 0.0,
        "unknown_names": round(len(unknown) / len(names), 4) if names else 0.0,
        "agreement": agreement,
        "indonesian": 1.0 if language == "id" else 0.0,
    }
    signals["margin"] = round(margin(signals, rule), 4)
    return signals


def _said(text: str, retrieval: Retrieval, language: str) -> set[str]:
    """The tokens ``text`` says, with both forms of each acronym it uses: a passage writing
    "SCCs" says "standard contractual clauses" as much as a question writing that says it.
    An acronym counts only as written ("contact us" says no "US")."""
    written = set(re.findall(r"\w+", text))
    folded = text.casefold()
    other = [
        form
        for short, long in retrieval.acronyms.items()
        for form in ([long] if short in written else [short] if long.casefold() in folded else [])
    ]
    return set(tokenize(" ".join([text, *other]), language))


def _share(wanted: list[frozenset[str]], found: set[str]) -> float:
    # The share of the wanted words (each a group of alternatives) that ``found`` holds.
    return sum(bool(group & found) for group in wanted) / len(wanted) if wanted else 0.0


def margin(signals: dict[str, float], rule: AbstentionRule = DEFAULT_ABSTENTION_RULE) -> float:
    """How far the evidence clears the rule's bar (negative: abstain).

    The rule is linear: ``bias + sum(weight * signal)``, the log-odds that the question is
    answered by the retrieved passages, less the log-odds of the decision threshold.

    Args:
        signals: The signals of ``compute_signals`` (missing ones count as 0).
        rule: The embedding model's rule.

    Example:
        >>> strong = {"top_dense": 0.9, "top_sentence": 0.9, "evidence": 0.9,
        ...           "evidence_coverage": 1.0, "rare_coverage": 1.0}
        >>> margin(strong) > 0 > margin({**strong, "evidence_coverage": 0, "rare_coverage": 0})
        True
    """
    return rule.bias + sum(w * signals.get(name, 0.0) for name, w in rule.weights.items())


def should_abstain(signals: dict[str, float]) -> bool:
    """Whether the evidence is too weak to answer from (uses the precomputed ``margin``)."""
    return signals.get("margin", -1.0) < 0
