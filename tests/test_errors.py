"""One error hierarchy: every user-facing error is a ``FineprintError``, which the CLI shows as
``Error: <message>`` (exit 1, no traceback); any other exception is a bug and is not hidden."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner, Result

import qa.errors
from qa.cli import main
from qa.errors import FineprintError, IndexMissingError
from qa.index.store import PassageStore

ERROR_CLASSES = [
    cls
    for _name, cls in inspect.getmembers(qa.errors, inspect.isclass)
    if cls.__module__ == qa.errors.__name__ and cls is not FineprintError
]


def stats(index_dir: Path) -> Result:
    """Run ``fineprint stats --index index_dir`` in-process."""
    return CliRunner().invoke(main, ["stats", "--index", str(index_dir)])


def test_the_module_defines_the_known_errors() -> None:
    assert {cls.__name__ for cls in ERROR_CLASSES} >= {
        "SettingsError",
        "LoadError",
        "CorpusError",
        "IndexMissingError",
        "IndexMismatchError",
        "IndexDamagedError",
        "ModelError",
        "FilterError",
        "QuestionError",
        "ServeError",
        "EvaluationError",
    }


@pytest.mark.parametrize("error", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_is_a_fineprint_error_with_its_message(error: type[Exception]) -> None:
    assert issubclass(error, FineprintError)
    assert str(error("what is wrong")) == "what is wrong"


def test_the_cli_shows_a_fineprint_error_as_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-index"
    with pytest.raises(IndexMissingError) as expected:
        PassageStore.open(missing)

    result = stats(missing)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == f"Error: {expected.value}\n"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("error", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_the_cli_shows_every_fineprint_error_as_a_message(
    error: type[Exception], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise error("something the user can fix")

    monkeypatch.setattr(PassageStore, "open", fail)

    result = stats(tmp_path)

    assert result.exit_code == 1
    assert result.stderr == "Error: something the user can fix\n"


def test_any_other_exception_is_not_swallowed_into_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bug = RuntimeError("a bug")

    def fail(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise bug

    monkeypatch.setattr(PassageStore, "open", fail)

    result = stats(tmp_path)

    assert result.exception is bug
    assert result.exit_code == 1
    assert "Error: a bug" not in result.output
