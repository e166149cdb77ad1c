"""Question files: parsing, merging a folder, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import EvaluationError
from qa.evaluate.questions import load_questions

REPO = Path(__file__).resolve().parents[1]
SMOKE_QUESTIONS = REPO / "evals" / "questions" / "smoke.jsonl"
POLICY_DOC = "policies/acme-privacy.md"


def _line(**changes: object) -> str:
    record: dict[str, object] = {
        "id": "q1",
        "question": "Does Acme sell my data?",
        "language": "en",
        "answerable": True,
        "evidence": [{"doc": POLICY_DOC, "quote": "We do not sell your data."}],
        "answer": "No.",
        "tags": ["selling"],
    }
    record.update(changes)
    return json.dumps({k: v for k, v in record.items() if v is not None})


def test_smoke_questions_parse() -> None:
    questions = load_questions(SMOKE_QUESTIONS)
    assert len(questions) == 6
    assert {q.language for q in questions} == {"en", "id"}
    assert all(q.evidence for q in questions if q.answerable)
    assert all(not q.evidence for q in questions if not q.answerable)


def test_load_folder_merges_files_and_keeps_identical_repeats_once(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line() + "\n\n" + _line(id="q2") + "\n")
    (tmp_path / "b.jsonl").write_text(_line() + "\n")  # the same q1 again, as a smoke subset
    (tmp_path / "notes.txt").write_text("not a question file")
    assert [q.id for q in load_questions(tmp_path)] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (_line(question=None), "missing fields ['question']"),
        (_line(extra=1), "unknown fields ['extra']"),
        (_line(answerable="yes"), "'answerable' must be true or false"),
        (_line(evidence=[]), "needs at least one evidence quote"),
        (_line(answerable=False), "cannot have evidence quotes"),
        (_line(evidence=[{"doc": POLICY_DOC}]), "exactly the fields 'doc' and 'quote'"),
        (_line(tags="selling"), "'tags' must be a list"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(_line() + "\n" + line + "\n")
    with pytest.raises(EvaluationError, match=r"bad\.jsonl:2: ") as caught:
        load_questions(path)
    assert message in str(caught.value)


def test_conflicting_duplicate_id_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line() + "\n")
    (tmp_path / "b.jsonl").write_text(_line(question="Something else?") + "\n")
    with pytest.raises(EvaluationError, match=r"b\.jsonl:1: duplicate question id 'q1'"):
        load_questions(tmp_path)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="does not exist"):
        load_questions(tmp_path / "nowhere.jsonl")
