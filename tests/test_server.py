"""Serving checks: the bind address and login, and no corpus with no index, before any launch.

A served app is tested in ``test_web_api.py`` (HTTP API) and ``test_browser.py`` (the page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from qa.errors import CorpusError, ServeError
from qa.index.ingest import prepare_index
from qa.settings import Settings
from qa.ui.server import check_bind


def _serve_settings(**changes: Any) -> Settings:
    base: dict[str, Any] = {"host": "127.0.0.1", "auth_user": None, "auth_password": None}
    base.update(changes)
    return Settings(**base)


def test_loopback_needs_no_login() -> None:
    assert check_bind(_serve_settings()) is None
    assert check_bind(_serve_settings(host="localhost")) is None


def test_other_addresses_refuse_to_start_without_a_login() -> None:
    with pytest.raises(ServeError, match="FINEPRINT_AUTH_USER"):
        check_bind(_serve_settings(host="0.0.0.0"))


def test_other_addresses_use_the_login() -> None:
    settings = _serve_settings(host="0.0.0.0", auth_user="ana", auth_password=SecretStr("pw"))
    assert check_bind(settings) == ("ana", "pw")


def test_half_a_login_is_refused() -> None:
    with pytest.raises(ServeError, match="both"):
        check_bind(_serve_settings(auth_user="ana"))


def test_no_corpus_and_no_index_refuses_to_start(tmp_path: Path) -> None:
    settings = _serve_settings(corpus_dir=tmp_path / "missing", index_dir=tmp_path / "index")
    with pytest.raises(CorpusError, match="does not exist"):
        prepare_index(settings, echo=lambda _line: None)
