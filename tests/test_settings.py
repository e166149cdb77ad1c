"""Settings: defaults, ``FINEPRINT_*`` variables, overrides, and bad values as ``SettingsError``."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from qa.errors import FineprintError, SettingsError
from qa.settings import DEFAULT_CHUNK_SIZE, DEFAULT_K, Settings, load_settings


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("lots", "Input should be a valid integer"),
        ("0", "Input should be greater than or equal to 1"),
        ("51", "Input should be less than or equal to 50"),
    ],
)
def test_a_bad_environment_variable_is_a_settings_error_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("FINEPRINT_K", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"invalid setting: k (FINEPRINT_K): {problem}")
    assert isinstance(caught.value, FineprintError)
    assert isinstance(caught.value.__cause__, ValidationError)


def test_a_bad_override_is_a_settings_error_naming_each_field() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(k="many", chunk_size=5)
    message = str(caught.value)
    assert message.startswith("invalid setting: ")
    assert "k (FINEPRINT_K): Input should be a valid integer" in message
    assert (
        "chunk_size (FINEPRINT_CHUNK_SIZE): Input should be greater than or equal to 100" in message
    )


def test_override_alone_raises_pydantics_error() -> None:
    # ``load_settings`` is where a bad value becomes a user-facing SettingsError.
    with pytest.raises(ValidationError):
        Settings().override(k=0)


def test_environment_variables_set_fields_and_overrides_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().k == DEFAULT_K
    monkeypatch.setenv("FINEPRINT_K", "4")
    monkeypatch.setenv("FINEPRINT_CORPUS_DIR", "/data/corpus")
    assert load_settings().k == 4
    assert load_settings().corpus_dir == Path("/data/corpus")
    assert load_settings(k=9).k == 9
    assert load_settings(k=None).k == 4


def test_a_base_is_used_instead_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINEPRINT_K", "4")
    base = Settings(k=2, chunk_size=300)
    settings = load_settings(base, chunk_size=None, fetch_k=12)
    assert (settings.k, settings.chunk_size, settings.fetch_k) == (2, 300, 12)


def test_override_ignores_none_and_returns_a_copy() -> None:
    original = Settings(k=3, corpus_dir=Path("/corpus"), llm_base_url="http://localhost:1/v1")
    changed = original.override(k=None, corpus_dir=None, llm_base_url=None, chunk_size=600)
    assert changed.k == 3
    assert changed.corpus_dir == Path("/corpus")
    assert changed.llm_base_url == "http://localhost:1/v1"
    assert changed.chunk_size == 600
    assert original.chunk_size == DEFAULT_CHUNK_SIZE, "the original is left as it was"


def test_override_keeps_secrets_secret() -> None:
    settings = Settings(auth_user="ana", auth_password=SecretStr("pw")).override(port=8000)
    assert isinstance(settings.auth_password, SecretStr)
    assert settings.auth_password.get_secret_value() == "pw"
    assert "pw" not in repr(settings)
