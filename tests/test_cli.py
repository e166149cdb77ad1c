"""The ``fineprint ingest``, ``stats`` and ``ask`` commands, run through click's CliRunner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from answer_docs import CONTACT_QUESTION
from click.testing import CliRunner, Result

from qa.answer.result import AnswerResult
from qa.cli import EXIT_SKIPPED, main
from qa.index.store import PassageStore
from qa.settings import DEFAULT_CORPUS_DIR, Settings

if TYPE_CHECKING:
    from conftest import WriteFile


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process with ``args``."""
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _ingest(settings: Settings, chunk_size: int = 300) -> Result:
    """``fineprint ingest`` of ``settings``' corpus into its index, chunks of ``chunk_size``."""
    return run(
        "ingest",
        "--corpus",
        settings.corpus_dir,
        "--index",
        settings.index_dir,
        "--chunk-size",
        str(chunk_size),
    )


def assert_clean_failure(result: Result, exit_code: int = 1) -> None:
    """A handled error: the given exit code, an ``Error:`` line, no traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Error: " in result.stderr
    assert "Traceback" not in result.output


def stats_lines(output: str) -> dict[str, str]:
    """``stats`` prints ``key   value`` lines; return them as a mapping."""
    return dict(line.split(maxsplit=1) for line in output.splitlines() if line.strip())


@pytest.fixture
def small_corpus(tmp_path: Path, write_file: WriteFile) -> Path:
    """Two one-sentence documents: a full CLI ingest of them embeds only a handful of texts."""
    root = tmp_path / "small"
    write_file(root / "a.md", "---\ntitle: A\n---\n## Data\nWe keep your email address.\n")
    write_file(root / "b.txt", "Kami tidak membagikan daftar kontak Anda.\n")
    return root


# --- ingest ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence_vectors", "reuse"),
    [
        ("indexed", r" \(0 passages reused; 2 sentences embedded, 0 reused\)"),
        ("lazy", r" \(0 passages reused; sentences are embedded when a question needs them\)"),
    ],
)
def test_ingest_indexes_the_corpus_and_prints_a_summary(
    small_corpus: Path,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    sentence_vectors: str,
    reuse: str,
) -> None:
    monkeypatch.setenv("FINEPRINT_SENTENCE_VECTORS", sentence_vectors)
    result = run("ingest", "--corpus", small_corpus, "--index", index_dir, "--chunk-size", "300")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["  added     a.md", "  added     b.txt"]
    summary = (
        r"2 added, 0 updated, 0 unchanged, 0 removed, 0 skipped, 0 copies; 2 passages embedded in "
    )
    assert re.fullmatch(summary + rf"\d+\.\d s{reuse} -> {re.escape(str(index_dir))}", lines[-1])
    store = PassageStore.open(index_dir)
    assert store.count() == 2
    assert store.manifest.config.chunk_size == 300

    again = run("ingest", "--corpus", small_corpus, "--index", index_dir, "--chunk-size", "300")

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0].startswith("0 added, 0 updated, 2 unchanged, 0 removed")


def test_ingest_with_a_bad_file_exits_3_and_says_why(
    indexed: Settings, write_file: WriteFile, broken_pdf: bytes
) -> None:
    write_file(indexed.corpus_dir / "bad" / "broken.pdf", broken_pdf)
    write_file(indexed.corpus_dir / "bad" / "notes.docx", b"PK\x03\x04")

    result = _ingest(indexed)

    assert result.exit_code == EXIT_SKIPPED == 3, result.output
    assert "  skipped   bad/broken.pdf: broken PDF" in result.stdout
    assert "  skipped   bad/notes.docx: unsupported file type '.docx'" in result.stdout
    assert "0 added, 0 updated, 5 unchanged, 0 removed, 2 skipped, 0 copies;" in result.stdout
    assert "Traceback" not in result.output


def test_ingest_with_other_settings_than_the_index_exits_1(indexed: Settings) -> None:
    result = _ingest(indexed, chunk_size=400)

    assert_clean_failure(result)
    assert "--rebuild" in result.stderr
    assert "chunk size 300" in result.stderr
    assert PassageStore.open(indexed.index_dir).manifest.config.chunk_size == 300


def test_ingest_of_a_missing_corpus_exits_1(tmp_path: Path, index_dir: Path) -> None:
    result = run("ingest", "--corpus", tmp_path / "nowhere", "--index", index_dir)

    assert_clean_failure(result)
    assert "does not exist" in result.stderr
    assert not index_dir.exists()


def test_invalid_environment_setting_exits_1(
    monkeypatch: pytest.MonkeyPatch, index_dir: Path
) -> None:
    monkeypatch.setenv("FINEPRINT_CHUNK_SIZE", "lots")

    result = run("stats", "--index", index_dir)

    assert_clean_failure(result)
    assert "invalid setting: chunk_size" in result.stderr


# --- stats -------------------------------------------------------------------------------------


def test_stats_shows_documents_passages_and_model(indexed: Settings) -> None:
    result = run("stats", "--index", indexed.index_dir)

    assert result.exit_code == 0, result.output
    figures = stats_lines(result.stdout)
    assert figures["documents"] == "5"
    assert figures["passages"] == str(PassageStore.open(indexed.index_dir).count())
    assert int(figures["passages"]) > 5
    assert figures["embedding_model"] == "multilingual-e5-small"
    assert figures["chunk_size"] == "300"
    assert figures["languages"] == "en (4), id (1)"
    assert figures["index"] == str(indexed.index_dir)


def test_stats_as_json(indexed: Settings) -> None:
    result = run("stats", "--index", indexed.index_dir, "--json")

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["documents"] == 5
    assert figures["passages"] == PassageStore.open(indexed.index_dir).count()
    assert figures["languages"] == {"en": 4, "id": 1}
    assert figures["kinds"] == {"unknown": 4, "policy": 1}
    assert figures["embedding_model"] == "multilingual-e5-small"


def test_stats_reads_the_index_folder_from_the_environment(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FINEPRINT_INDEX_DIR", str(indexed.index_dir))
    from_env = run("stats", "--json")
    monkeypatch.setenv("FINEPRINT_INDEX_DIR", str(tmp_path / "elsewhere"))
    flag_wins = run("stats", "--json", "--index", indexed.index_dir)

    assert from_env.exit_code == flag_wins.exit_code == 0, from_env.output + flag_wins.output
    assert json.loads(from_env.stdout)["documents"] == 5
    assert json.loads(flag_wins.stdout)["index"] == str(indexed.index_dir)


def test_stats_on_a_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-index-here"

    result = run("stats", "--index", missing)

    assert_clean_failure(result)
    assert f"no index at {missing}" in result.stderr
    assert "fineprint ingest" in result.stderr
    assert not missing.exists()


# --- ask ---------------------------------------------------------------------------------------


def test_cli_ask_json_prints_the_typed_result(answer_settings: Settings) -> None:
    outcome = CliRunner().invoke(
        main,
        ["ask", CONTACT_QUESTION, "--index", str(answer_settings.index_dir), "--json"],
        env={"FINEPRINT_CHUNK_SIZE": "300"},
    )
    assert outcome.exit_code == 0, outcome.output
    result = AnswerResult.model_validate_json(outcome.output)
    assert result.citations and not result.abstained


def test_cli_ask_uses_an_index_chunked_otherwise(answer_settings: Settings) -> None:
    # The test index was chunked at 300, the CLI's default is another size: chunking only
    # matters when indexing, so the index is used as it is.
    outcome = CliRunner().invoke(
        main, ["ask", CONTACT_QUESTION, "--index", str(answer_settings.index_dir)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "[1]" in outcome.output


def test_cli_ask_applies_filters(answer_settings: Settings) -> None:
    outcome = run(
        "ask", CONTACT_QUESTION, "--index", answer_settings.index_dir, "--kind", "terms", "--json"
    )
    assert outcome.exit_code == 0, outcome.output
    result = AnswerResult.model_validate_json(outcome.stdout)
    assert result.passages
    assert {p.source.kind for p in result.passages} == {"terms"}


def test_cli_ask_refuses_an_index_of_another_model(answer_settings: Settings) -> None:
    outcome = CliRunner().invoke(
        main,
        ["ask", CONTACT_QUESTION, "--index", str(answer_settings.index_dir)],
        env={"FINEPRINT_EMBEDDING_MODEL": "all-MiniLM-L6-v2"},
    )
    assert outcome.exit_code == 1
    assert "--rebuild" in outcome.output
    assert "Traceback" not in outcome.output


def test_cli_rejects_a_bad_option_value_with_a_message(answer_settings: Settings) -> None:
    outcome = CliRunner().invoke(
        main, ["ask", CONTACT_QUESTION, "--index", str(answer_settings.index_dir), "--k", "0"]
    )
    assert outcome.exit_code == 1
    assert "invalid setting: k" in outcome.output
    assert "Traceback" not in outcome.output


def test_ask_without_a_question_says_so_and_exits_1(indexed: Settings) -> None:
    result = run("ask", "\u200b \u3164", "--index", indexed.index_dir)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "Error: Please type a question."


def _own_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``fineprint`` as the installed command runs it: a process of its own (``qa.cli.run``)."""
    command = [sys.executable, "-m", "qa.cli", *(str(arg) for arg in args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_ask_in_its_own_process_prints_all_of_what_it_prints_in_process(
    answer_settings: Settings,
) -> None:
    # The command leaves its process without tearing it down: nothing it wrote may be lost.
    args = ("ask", CONTACT_QUESTION, "--index", answer_settings.index_dir, "--json")
    in_process = run(*args)

    own = _own_process(*args)

    assert own.returncode == 0, own.stderr
    untimed = {"timings_ms"}
    assert AnswerResult.model_validate_json(own.stdout).model_dump(
        exclude=untimed
    ) == AnswerResult.model_validate_json(in_process.stdout).model_dump(exclude=untimed)
    assert "[1]" in _own_process(*args[:-1]).stdout


def test_ask_in_its_own_process_exits_1_on_an_empty_question(answer_settings: Settings) -> None:
    own = _own_process("ask", " ", "--index", answer_settings.index_dir)

    assert own.returncode == 1
    assert own.stdout == ""
    assert own.stderr.strip() == "Error: Please type a question."


def test_ask_with_a_too_long_question_says_so_as_an_error(indexed: Settings) -> None:
    result = run("ask", "Do you sell my data? " * 300, "--index", indexed.index_dir)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: The question is too long (")


def test_ingest_notes_metadata_that_will_not_work_and_indexes_the_file(
    tmp_path: Path, write_file: WriteFile, index_dir: Path
) -> None:
    root = tmp_path / "meta"
    write_file(
        root / "policy.md",
        "---\ntitle: Acme Privacy Policy\nkind: privacy policy\ndate: 2021-01-04\n"
        "publsher: Acme\n---\nWe never sell your personal data.\n",
    )
    result = run("ingest", "--corpus", root, "--index", index_dir, "--chunk-size", "300")

    assert result.exit_code == 0, result.output
    notes = [line for line in result.stdout.splitlines() if line.startswith("  note")]
    assert notes == [
        "  note      policy.md: front matter field 'date' is not read; did you mean "
        "'document_date'?",
        "  note      policy.md: front matter field 'publsher' is not read; did you mean "
        "'publisher'?",
        "  note      policy.md: kind 'privacy policy' is none of policy, terms, news, "
        "statement; filters will need it as written",
    ]
    assert "1 added" in result.stdout


def test_an_index_given_without_a_corpus_stays_in_step_with_its_own_corpus(
    indexed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default corpus is another folder: syncing the index to it would remove everything.
    work = tmp_path / "work"
    other = work / DEFAULT_CORPUS_DIR
    other.mkdir(parents=True)
    (other / "only.md").write_text("# Only\n\nSomething else entirely.\n", encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.delenv("FINEPRINT_CORPUS_DIR", raising=False)
    # The index records the folder it was last synced from.
    _ingest(indexed)
    before = PassageStore.open(indexed.index_dir).manifest.documents.keys()

    result = run("ingest", "--index", indexed.index_dir, "--chunk-size", "300")

    assert result.exit_code == 0, result.output
    assert f"corpus: {indexed.corpus_dir.resolve()}" in result.stderr
    assert " 0 removed" in result.stdout
    assert PassageStore.open(indexed.index_dir).manifest.documents.keys() == before


def test_an_index_of_an_older_pipeline_still_answers_with_a_note_and_ingest_says_why(
    indexed: Settings,
) -> None:
    from qa.index.manifest import MANIFEST_NAME, PIPELINE_VERSION

    path = indexed.index_dir / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["config"]["pipeline_version"] = PIPELINE_VERSION - 1
    path.write_text(json.dumps(manifest), encoding="utf-8")

    asked = run("ask", CONTACT_QUESTION, "--index", indexed.index_dir)
    assert asked.exit_code == 0, asked.output
    assert f"note: The index was built by an older Fineprint (pipeline v{PIPELINE_VERSION - 1}" in (
        asked.stderr
    )
    refused = _ingest(indexed)
    assert refused.exit_code == 1
    old, new = PIPELINE_VERSION - 1, PIPELINE_VERSION
    assert f"pipeline v{old} (this version of Fineprint reads documents as v{new})" in (
        refused.stderr
    )
    assert "--rebuild" in refused.stderr

    # An index from a newer Fineprint is not called older.
    manifest["config"]["pipeline_version"] = PIPELINE_VERSION + 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    newer = run("ask", CONTACT_QUESTION, "--index", indexed.index_dir)
    assert "built by a newer Fineprint" in newer.stderr
    assert "older" not in newer.stderr


def test_ask_in_its_own_process_with_its_output_closed_fails_cleanly(
    answer_settings: Settings,
) -> None:
    import os

    command = [sys.executable, "-m", "qa.cli", "ask", CONTACT_QUESTION]
    command += ["--index", str(answer_settings.index_dir)]
    # Standard output closed before the command starts (``fineprint ask ... >&-``).
    closed = subprocess.run(
        command,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert closed.returncode == 1
    assert "Traceback" not in closed.stderr
