"""The PolicyQA benchmark end to end on a tiny SQuAD-format file: real embeddings, real Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import EvaluationError
from qa.evaluate.policyqa import (
    METRIC_NAMES,
    SYSTEMS,
    Answer,
    Paragraph,
    Question,
    Sentence,
    load_split,
    run_policyqa,
    select_questions,
    sentence_hit,
)
from qa.evaluate.policyqa.corpus import corpus_markdown, write_corpus
from qa.evaluate.policyqa.systems import CHUNK_SIZE
from qa.index.chunking import chunk_document
from qa.load import load_file
from qa.settings import Settings

ACME = [
    "We collect your name, email address and postal address when you register an account.",
    "Acme keeps server logs for ninety days. After ninety days the logs are deleted.",
    "You can opt out of marketing emails by clicking the unsubscribe link in any message.",
]
GLOBEX = [
    "Globex shares purchase history with advertising partners such as Doubleclick.",
    "Children under thirteen may not use Globex. We do not knowingly collect their data.",
    "Contact our privacy officer at privacy@globex.example with any questions.",
]


def _paragraph(context: str, questions: list[tuple[str, str, str]]) -> dict[str, object]:
    return {
        "context": context,
        "qas": [
            {
                "id": qid,
                "question": question,
                "answers": [{"text": answer, "answer_start": context.index(answer)}],
            }
            for qid, question, answer in questions
        ],
    }


def write_squad(root: Path) -> Path:
    """Two websites, three paragraphs each, four questions; returns the folder."""
    data = {
        "version": "1.0",
        "data": [
            {
                "title": "acme.example",
                "paragraphs": [
                    _paragraph(ACME[0], []),
                    # The lexically obvious question comes first, so every --limit includes it.
                    _paragraph(
                        ACME[1],
                        [("q-logs", "How long are server logs kept?", "ninety days")],
                    ),
                    _paragraph(
                        ACME[2],
                        [("q-optout", "How do I stop marketing emails?", "unsubscribe link")],
                    ),
                ],
            },
            {
                "title": "globex.example",
                "paragraphs": [
                    _paragraph(
                        GLOBEX[0],
                        [("q-share", "Who gets my purchase history?", "advertising partners")],
                    ),
                    _paragraph(
                        GLOBEX[1],
                        [("q-kids", "Can children use the service?", "Children under thirteen")],
                    ),
                    _paragraph(GLOBEX[2], []),
                ],
            },
        ],
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "test.json").write_text(json.dumps(data), encoding="utf-8")
    return root


def test_eval_policyqa_end_to_end(tmp_path: Path) -> None:
    data = write_squad(tmp_path / "policyqa")
    out = tmp_path / "out"
    args = ["eval-policyqa", "--data", str(data), "--out", str(out), "--limit", "3"]
    args += ["--work", str(tmp_path / "work")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "3 questions" in result.output

    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == set(SYSTEMS)
    for figures in metrics.values():
        assert set(figures) == set(METRIC_NAMES)
        assert all(0.0 <= value <= 1.0 for value in figures.values())
        assert figures["hit@1"] <= figures["hit@3"] <= figures["hit@5"]
    # Three paragraphs per website: every system finds the gold paragraph within three.
    assert all(metrics[name]["hit@3"] == 1.0 for name in SYSTEMS)

    rows = {
        row["qid"]: row
        for row in map(json.loads, (out / "per_question.jsonl").read_text().splitlines())
    }
    assert len(rows) == 3
    assert rows["q-logs"]["fineprint"]["gold_rank"] == 1
    assert rows["q-logs"]["fineprint"]["sentence_hit"]
    assert metrics["fineprint"]["hit@1"] >= 1 / 3

    # A second run reuses the cached index: nothing is embedded again.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 2 unchanged" in again.output


def test_load_split_and_gold(tmp_path: Path) -> None:
    benchmark = load_split(write_squad(tmp_path) / "test.json")
    assert list(benchmark.websites) == ["acme.example", "globex.example"]
    assert len(benchmark.questions) == 4
    assert benchmark.gold["q-logs"] == frozenset({"acme.example/1"})
    assert [q.qid for q in select_questions(benchmark.questions, 2)] == ["q-logs", "q-share"]


def test_corpus_markdown_makes_one_passage_per_paragraph(tmp_path: Path) -> None:
    paragraphs = [Paragraph(f"acme.example/{i}", "acme.example", i, t) for i, t in enumerate(ACME)]
    path = tmp_path / "acme.example.md"
    path.write_text(corpus_markdown("acme.example", paragraphs), encoding="utf-8")
    document = load_file(path, path.name)
    assert document.metadata["publisher"] == "policyqa:acme.example|"
    passages = chunk_document(document, CHUNK_SIZE)
    assert [p.page_content for p in passages] == ACME
    assert all(p.metadata["section"] == "" for p in passages)


def test_sentence_hit_by_text_or_span() -> None:
    question = Question("q", "w", "w/0", "How long?", (Answer("ninety  Days", 20),))
    gold = frozenset({"w/0"})
    assert sentence_hit(question, Sentence("w/3", "Logs last NINETY days."), gold)
    # No shared text, but the sentence covers the start of the span in the gold paragraph.
    assert sentence_hit(question, Sentence("w/0", "We keep logs for", 10), gold)
    assert not sentence_hit(question, Sentence("w/1", "We keep logs for", 10), gold)
    assert not sentence_hit(question, None, gold)


def test_work_folder_with_foreign_files_is_refused(tmp_path: Path) -> None:
    data = write_squad(tmp_path / "data")
    corpus = tmp_path / "work" / "corpus"
    corpus.mkdir(parents=True)
    keep = corpus / "notes.md"
    keep.write_text("mine", encoding="utf-8")
    with pytest.raises(EvaluationError, match="did not write"):
        write_corpus(load_split(data / "test.json", "test"), corpus)
    assert keep.read_text(encoding="utf-8") == "mine"


def _write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_two_websites_with_one_file_name_are_refused(tmp_path: Path) -> None:
    path = write_squad(tmp_path / "data") / "test.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    # Both become "acme_example.md".
    data["data"][0]["title"], data["data"][1]["title"] = "acme/example", "acme example"
    benchmark = load_split(_write_json(path, data), "test")
    with pytest.raises(EvaluationError, match="two websites map to the file name acme_example"):
        write_corpus(benchmark, tmp_path / "work" / "corpus")


BAD_SPLITS = {
    "no PolicyQA file at": None,
    "is not SQuAD v1 JSON": "not json {",
    "with a 'data' list": {"version": "1.0"},
    "not in SQuAD v1 form": {"data": [{"title": "a.com"}]},
    "appears twice": {"data": [{"title": "a.com", "paragraphs": []}] * 2},
}


@pytest.mark.parametrize("message", list(BAD_SPLITS))
def test_bad_split_files_are_evaluation_errors(tmp_path: Path, message: str) -> None:
    path = tmp_path / "test.json"
    content = BAD_SPLITS[message]
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        _write_json(path, content)
    with pytest.raises(EvaluationError, match=message):
        load_split(path, "test")


def test_bad_split_name_and_empty_split_are_evaluation_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_json(data / "test.json", {"data": [{"title": "a.com", "paragraphs": []}]})
    with pytest.raises(EvaluationError, match="split must be one of test, dev"):
        run_policyqa(Settings(), split="train", data_dir=data)
    with pytest.raises(EvaluationError, match="has no questions"):
        run_policyqa(Settings(), data_dir=data, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_website_fineprint_cannot_index_is_an_evaluation_error(tmp_path: Path) -> None:
    # A website without paragraphs becomes a Markdown file with front matter only.
    paragraph = _paragraph(ACME[1], [("q-logs", "How long are server logs kept?", "ninety days")])
    data = {
        "data": [
            {"title": "acme.example", "paragraphs": [paragraph]},
            {"title": "empty.example", "paragraphs": []},
        ]
    }
    _write_json(tmp_path / "data" / "test.json", data)
    with pytest.raises(EvaluationError, match=r"could not index every website: empty\.example\.md"):
        run_policyqa(
            Settings(),
            data_dir=tmp_path / "data",
            out_dir=tmp_path / "out",
            work_dir=tmp_path / "work",
        )


def test_cli_reports_a_missing_split_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["eval-policyqa", "--data", str(empty), "--work", str(tmp_path / "work")]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no PolicyQA file at ")
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
