"""The index manifest (``qa.index.manifest``): atomic writes, damage reported, old files read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import IndexDamagedError
from qa.index.manifest import MANIFEST_NAME, DocumentEntry, IndexConfig, Manifest

CONFIG = IndexConfig("multilingual-e5-small", 1000, 1)


def test_a_written_manifest_reads_back_the_same(tmp_path: Path) -> None:
    manifest = Manifest(config=CONFIG, generation=3)
    manifest.documents["a.md"] = DocumentEntry("h1", 4, title="A", text_hash="t1")
    manifest.write(tmp_path)

    again = Manifest.read(tmp_path)

    assert again == manifest
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed into place


def test_no_manifest_means_no_index(tmp_path: Path) -> None:
    assert Manifest.read(tmp_path) is None


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"version": 1}', '{"version": 99, "config": {}, "documents": {}}', "[]"],
)
def test_a_damaged_manifest_is_reported_with_the_way_out(tmp_path: Path, content: str) -> None:
    (tmp_path / MANIFEST_NAME).write_text(content)
    with pytest.raises(IndexDamagedError, match="rebuild"):
        Manifest.read(tmp_path)


def test_an_entry_written_before_text_hashes_existed_still_reads(tmp_path: Path) -> None:
    manifest = Manifest(config=CONFIG)
    manifest.documents["a.md"] = DocumentEntry("h1", 4)
    manifest.write(tmp_path)
    raw = json.loads((tmp_path / MANIFEST_NAME).read_text())
    del raw["documents"]["a.md"]["text_hash"]
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(raw))

    entry = Manifest.read(tmp_path).documents["a.md"]  # type: ignore[union-attr]

    assert entry.text_hash == "" and entry.passages == 4


def test_configs_differ_by_pipeline_version() -> None:
    assert IndexConfig("m", 1000, 1, pipeline_version=3) != IndexConfig("m", 1000, 1)
    assert "pipeline v" in CONFIG.describe()
