"""Test questions: load a JSONL file (or every ``*.jsonl`` in a folder) and validate each line.

One JSON object per line, in a fixed format::

    {"id": "en-contacts-01", "question": "...", "language": "en", "answerable": true,
     "evidence": [{"doc": "news/....md", "quote": "verbatim text from the document"}],
     "answer": "a reference answer (optional)", "tags": ["contacts"]}

Answerable questions need at least one evidence quote; unanswerable ones have none. Every
problem is reported as ``EvaluationError`` naming the file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import EvaluationError

QUESTION_SUFFIX = ".jsonl"
REQUIRED_FIELDS = ("id", "question", "language", "answerable", "evidence")
OPTIONAL_FIELDS = ("answer", "tags", "match", "requires", "kind")
# "match": "document": a passage supports a quote only if it is from the quote's own document.
MATCH_DOCUMENT = "document"
# "requires": "all": retrieved or cited only when every evidence quote is covered.
REQUIRES_ALL = "all"
EVIDENCE_FIELDS = ("doc", "quote")


@dataclass(frozen=True)
class EvidenceQuote:
    """A verbatim quote that answers a question, and the document (doc_id) it comes from."""

    doc: str
    quote: str


@dataclass(frozen=True)
class Question:
    """One test question with its gold evidence."""

    id: str
    question: str
    language: str
    answerable: bool
    evidence: tuple[EvidenceQuote, ...] = ()
    answer: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    origin: str = ""  # "file:line", for messages
    # Versions (evals/README.md): quotes count only in their own document; every quote needed.
    match: str = ""
    requires: str = ""
    kind: str = ""


def _require_text(record: dict[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        msg = f"{where}: field {name!r} must be a non-empty string, got {value!r}"
        raise EvaluationError(msg)
    return value


def _evidence(value: Any, where: str) -> tuple[EvidenceQuote, ...]:
    if not isinstance(value, list):
        msg = f"{where}: field 'evidence' must be a list of {{'doc', 'quote'}} objects"
        raise EvaluationError(msg)
    quotes = []
    for number, item in enumerate(value, start=1):
        item_where = f"{where}: evidence #{number}"
        if not isinstance(item, dict) or set(item) != set(EVIDENCE_FIELDS):
            got = sorted(item) if isinstance(item, dict) else type(item).__name__
            msg = f"{item_where} must have exactly the fields 'doc' and 'quote', got {got}"
            raise EvaluationError(msg)
        quotes.append(
            EvidenceQuote(
                _require_text(item, "doc", item_where), _require_text(item, "quote", item_where)
            )
        )
    return tuple(quotes)


def parse_question(record: Any, where: str) -> Question:
    """Validate one decoded JSON line and build its ``Question``.

    Args:
        record: The decoded JSON value.
        where: ``file:line``, used in error messages.

    Raises:
        EvaluationError: The record does not follow the format.
    """
    if not isinstance(record, dict):
        msg = f"{where}: expected a JSON object, got {type(record).__name__}"
        raise EvaluationError(msg)
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    unknown = sorted(set(record) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if missing or unknown:
        msg = f"{where}: missing fields {missing}, unknown fields {unknown}"
        raise EvaluationError(msg)
    answerable = record["answerable"]
    if not isinstance(answerable, bool):
        msg = f"{where}: field 'answerable' must be true or false, got {answerable!r}"
        raise EvaluationError(msg)
    evidence = _evidence(record["evidence"], where)
    if answerable and not evidence:
        msg = f"{where}: an answerable question needs at least one evidence quote"
        raise EvaluationError(msg)
    if not answerable and evidence:
        msg = f"{where}: an unanswerable question cannot have evidence quotes"
        raise EvaluationError(msg)
    answer = record.get("answer", "")
    if not isinstance(answer, str):
        msg = f"{where}: field 'answer' must be a string, got {type(answer).__name__}"
        raise EvaluationError(msg)
    tags = record.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        msg = f"{where}: field 'tags' must be a list of non-empty strings, got {tags!r}"
        raise EvaluationError(msg)
    choices = {"match": (MATCH_DOCUMENT,), "requires": (REQUIRES_ALL,)}
    for name, allowed in choices.items():
        value = record.get(name, "")
        if value and value not in allowed:
            msg = (
                f"{where}: field {name!r} must be {' or '.join(map(repr, allowed))}, got {value!r}"
            )
            raise EvaluationError(msg)
    kind = record.get("kind", "")
    if not isinstance(kind, str):
        msg = f"{where}: field 'kind' must be a string, got {type(kind).__name__}"
        raise EvaluationError(msg)
    return Question(
        match=str(record.get("match", "")),
        requires=str(record.get("requires", "")),
        kind=kind,
        id=_require_text(record, "id", where),
        question=_require_text(record, "question", where),
        language=_require_text(record, "language", where),
        answerable=answerable,
        evidence=evidence,
        answer=answer,
        tags=tuple(tags),
        origin=where,
    )


def _load_file(path: Path) -> list[Question]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read question file: {exc}"
        raise EvaluationError(msg) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{where}: invalid JSON: {exc.msg} (column {exc.colno})"
            raise EvaluationError(msg) from exc
        questions.append(parse_question(record, where))
    return questions


def question_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``*.jsonl`` directly inside the folder ``path``, sorted.

    Raises:
        EvaluationError: ``path`` does not exist, or the folder holds no question file.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        msg = f"question file or folder {path} does not exist"
        raise EvaluationError(msg)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == QUESTION_SUFFIX)
    if not files:
        msg = f"no {QUESTION_SUFFIX} question files in {path}"
        raise EvaluationError(msg)
    return files


def load_questions(path: Path) -> list[Question]:
    """Load and validate the questions of a JSONL file or of every ``*.jsonl`` in a folder.

    A question repeated identically in several files (a smoke subset beside the full set) is
    kept once; the same id with different content is an error.

    Args:
        path: A ``.jsonl`` file or a folder of them.

    Returns:
        The questions in file order.

    Raises:
        EvaluationError: A file is missing or unreadable, a line is not valid JSON or not in the
            format, an id repeats within a file or with different content, or there are none.

    Example:
        >>> load_questions(Path("evals/questions/smoke.jsonl"))[0].id  # doctest: +SKIP
        'en-contacts-01'
    """
    seen: dict[str, Question] = {}
    for file in question_files(Path(path)):
        in_file: set[str] = set()
        for question in _load_file(file):
            first = seen.get(question.id)
            if question.id in in_file or (
                first is not None and _content(first) != _content(question)
            ):
                where = first.origin if first else file
                msg = f"{question.origin}: duplicate question id {question.id!r} (first at {where})"
                raise EvaluationError(msg)
            in_file.add(question.id)
            seen.setdefault(question.id, question)
    if not seen:
        msg = f"no questions in {path}"
        raise EvaluationError(msg)
    return list(seen.values())


def _content(question: Question) -> tuple[Any, ...]:
    return (
        question.question,
        question.language,
        question.answerable,
        question.evidence,
        question.answer,
        question.tags,
    )
