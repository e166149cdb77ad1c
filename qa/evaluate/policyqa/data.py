"""PolicyQA's data and what is scored: websites, paragraphs, questions, gold and system outputs.

A split is SQuAD v1 JSON: one entry per website (``title``), its paragraphs (``context``) and the
questions written about each paragraph, with answer spans. Paragraph ids are
``<website>/<index>``. A question's gold paragraphs are its own paragraph and the verbatim copies
of it in the same website; an evidence sentence hits when it holds a gold answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from qa.errors import EvaluationError

# Rankings are cut here: deep enough for MRR@10, the deepest measure reported.
RANK_DEPTH = 10

# Called with one-line status messages during a run.
Progress = Callable[[str], None]
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a website's policy, as given in the benchmark.

    Attributes:
        pid: ``<website>/<index>``.
        website: The website (the SQuAD entry's ``title``).
        index: 0-based position among the website's paragraphs.
        text: The paragraph (the SQuAD ``context``), unchanged.
    """

    pid: str
    website: str
    index: int
    text: str


@dataclass(frozen=True)
class Answer:
    """A gold answer: its text and where it starts in the question's paragraph.

    Example:
        >>> Answer("ninety days", 17).end
        28
    """

    text: str
    start: int

    @property
    def end(self) -> int:
        """End offset (exclusive) of the answer span in the paragraph."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class Question:
    """A benchmark question, the paragraph it was written about and its gold answers.

    Attributes:
        qid: The benchmark's id, made unique with ``#n`` when a file repeats one.
        website: The website the question is about; it is answered from that website only.
        pid: The id of the paragraph it was written about.
        text: The question.
        answers: The gold answer spans in that paragraph (one or more).
    """

    qid: str
    website: str
    pid: str
    text: str
    answers: tuple[Answer, ...]


@dataclass
class Benchmark:
    """A PolicyQA split: paragraphs by website, the questions, and each question's gold set.

    Attributes:
        split: ``test`` or ``dev``.
        websites: Website -> its paragraphs in file order (``Paragraph.index`` = position).
        questions: Every question in file order.
        gold: Question id -> its gold paragraph ids (see ``gold_paragraphs``).
    """

    split: str
    websites: dict[str, list[Paragraph]]
    questions: list[Question]
    gold: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def paragraphs(self) -> dict[str, Paragraph]:
        """Every paragraph of every website by its id, websites in file order."""
        return {p.pid: p for ps in self.websites.values() for p in ps}


def normalise_answer(text: str) -> str:
    """Case-folded with whitespace runs collapsed: how answer texts are compared.

    Example:
        >>> normalise_answer("  Third\\nParties ")
        'third parties'
    """
    return " ".join(text.casefold().split())


def load_split(path: Path, split: str = "test") -> Benchmark:
    """Read a PolicyQA (SQuAD v1) JSON file.

    Paragraph ids are ``<website>/<index>``; question ids are the benchmark's own ids, made
    unique with ``#n`` if a file repeats one.

    Args:
        path: The split's JSON file, e.g. ``.../policyqa/test.json``.
        split: The split's name, recorded in the result and named in messages.

    Returns:
        The benchmark, with every question's gold paragraphs filled in.

    Raises:
        EvaluationError: When ``path`` is not a file, is not JSON with a ``data`` list, names a
            website twice, or has an entry not in SQuAD v1 form.
    """
    if not path.is_file():
        msg = f"no PolicyQA file at {path} (expected SQuAD v1 JSON, e.g. {split}.json)"
        raise EvaluationError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        msg = f"{path} is not SQuAD v1 JSON with a 'data' list: {exc}"
        raise EvaluationError(msg) from exc
    try:
        websites, questions = _read_websites(data, path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        msg = f"{path}: not in SQuAD v1 form ({type(exc).__name__}: {exc})"
        raise EvaluationError(msg) from exc
    benchmark = Benchmark(split, websites, questions)
    benchmark.gold = {q.qid: gold_paragraphs(q, websites[q.website]) for q in questions}
    return benchmark


def _read_websites(data: Any, path: Path) -> tuple[dict[str, list[Paragraph]], list[Question]]:
    websites: dict[str, list[Paragraph]] = {}
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for site in data:
        website = str(site["title"])
        if website in websites:
            msg = f"{path}: website {website!r} appears twice"
            raise EvaluationError(msg)
        paragraphs = websites.setdefault(website, [])
        for index, raw in enumerate(site["paragraphs"]):
            paragraph = Paragraph(f"{website}/{index}", website, index, str(raw["context"]))
            paragraphs.append(paragraph)
            for entry in raw["qas"]:
                base = str(entry.get("id") or f"{paragraph.pid}?{len(questions)}")
                seen[base] = seen.get(base, 0) + 1
                qid = base if seen[base] == 1 else f"{base}#{seen[base]}"
                answers = tuple(
                    Answer(str(a["text"]), int(a["answer_start"])) for a in entry["answers"]
                )
                questions.append(
                    Question(qid, website, paragraph.pid, str(entry["question"]), answers)
                )
    return websites, questions


def gold_paragraphs(question: Question, paragraphs: Sequence[Paragraph]) -> frozenset[str]:
    """The question's own paragraph and its verbatim copies in the same website.

    Copies are compared after ``normalise_answer``. Paragraphs that merely contain the answer text
    elsewhere do not count.

    Args:
        question: The question.
        paragraphs: Its website's paragraphs; one must have the id ``question.pid``.

    Raises:
        StopIteration: When ``question.pid`` is not among ``paragraphs``.
    """
    own = next(p for p in paragraphs if p.pid == question.pid)
    return frozenset(
        p.pid for p in paragraphs if normalise_answer(p.text) == normalise_answer(own.text)
    )


def select_questions(questions: Sequence[_Item], limit: int | None) -> list[_Item]:
    """``limit`` questions spread evenly over the split (all of them without a limit).

    Evenly spaced rather than the first ``limit``: the file is grouped by website, and the first
    questions would all come from one or two sites.

    Example:
        >>> select_questions(list("abcdefgh"), 3)
        ['a', 'c', 'f']
    """
    if limit is None or limit >= len(questions):
        return list(questions)
    return [questions[(i * len(questions)) // limit] for i in range(limit)]


@dataclass(frozen=True)
class Sentence:
    """An evidence sentence, with its span in its paragraph when it could be located there.

    Example:
        >>> Sentence("acme.example/1", "Logs are deleted.", 40).end
        57
    """

    pid: str
    text: str
    start: int | None = None

    @property
    def end(self) -> int | None:
        """End offset (exclusive) in the paragraph, or ``None`` when the start is unknown."""
        return None if self.start is None else self.start + len(self.text)


@dataclass(frozen=True)
class Output:
    """One system's answer to one question.

    Attributes:
        ranking: Paragraph ids of the question's website, best first, distinct, at most
            ``RANK_DEPTH``; may be empty.
        sentence: Its best evidence sentence, or ``None`` when it has none.
    """

    ranking: list[str]
    sentence: Sentence | None


class System(Protocol):
    """A retrieval system under test; ``name`` keys its figures in ``metrics.json``."""

    name: str

    def rank(self, question: Question) -> Output:
        """Rank the question's website's paragraphs and pick the best evidence sentence."""
        ...


def locate(text: str, paragraph: str) -> int | None:
    """Where ``text`` starts in ``paragraph``, tolerating differences in whitespace.

    Returns:
        The offset of the first match, or ``None`` when ``text`` is blank or not found.

    Example:
        >>> locate("we  share data", "Yes, we share\\ndata.")
        5
    """
    words = text.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in words), paragraph)
    return match.start() if match else None


def sentence_hit(question: Question, sentence: Sentence | None, gold: frozenset[str]) -> bool:
    """Whether ``sentence`` holds a gold answer: contains its text, or overlaps its span.

    Texts are compared after ``normalise_answer``; a span counts only when the sentence was
    located in a gold paragraph.

    Example:
        >>> q = Question("q", "w", "w/0", "How long?", (Answer("ninety days", 20),))
        >>> sentence_hit(q, Sentence("w/2", "Kept for Ninety  days."), frozenset({"w/0"}))
        True
    """
    if sentence is None:
        return False
    text = normalise_answer(sentence.text)
    for answer in question.answers:
        wanted = normalise_answer(answer.text)
        if wanted and wanted in text:
            return True
        end = sentence.end
        if (
            sentence.pid in gold
            and sentence.start is not None
            and end is not None
            and sentence.start < answer.end
            and answer.start < end
        ):
            return True
    return False
