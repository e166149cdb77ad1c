"""Recorded captures of a series that the index left out, found in the corpus folder.

Ingest skips a broken capture (a page that failed to load, a menu, a truncated text) and a
capture repeating the version before it, and keeps no trace of either in the index. A reader
comparing two versions should still know that a capture between them was recorded and why it
is not a version: this looks in the Open Terms Archive folder of the series, reading only the
files recorded between the two versions.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qa.errors import LoadError
from qa.index.ingest import BROKEN_SHARE, CONTENTS_MAX_WORDS
from qa.load.corpus import load_file
from qa.versions.series import RECORDED_FIELD, Version, ota_metadata

BROKEN, REPEATED, NOT_INDEXED = "broken", "repeated", "not indexed"


@dataclass(frozen=True)
class SkippedCapture:
    """A capture of the series recorded on ``recorded`` that is not a version in the index.

    ``why`` is ``BROKEN`` (too short, or only headings and links), ``REPEATED`` (the text of
    the version before it) or ``NOT_INDEXED`` (none of these: the index predates it).
    """

    doc_id: str
    recorded: str
    why: str
    size: int = 0
    expected: int = 0


def skipped_captures(
    corpus_dir: Path | None,
    versions: list[Version],
    old: Version,
    new: Version,
    text_hashes: Mapping[str, str] | None = None,
) -> list[SkippedCapture]:
    """Captures recorded after ``old`` and before ``new`` that the index does not hold.

    Only series in the Open Terms Archive layout have captures; ``[]`` for any other series,
    or when ``corpus_dir`` is unknown or does not hold the series (an index on a server).

    Args:
        text_hashes: The indexed text hash of each version (the manifest's), to tell a capture
            repeating the version before it from a broken one.
    """
    if corpus_dir is None or not old.recorded or not new.recorded:
        return []
    meta = ota_metadata(old.doc_id)
    if not meta:
        return []
    folder_id = PurePosixPath(old.doc_id).parent
    folder = corpus_dir / folder_id
    if not folder.is_dir():
        return []
    indexed = {v.doc_id for v in versions}
    sizes = {v.doc_id: _size(corpus_dir / v.doc_id) for v in versions}
    found: list[SkippedCapture] = []
    for path in sorted(folder.glob("*.md")):
        doc_id = str(folder_id / path.name)
        recorded = ota_metadata(doc_id).get(RECORDED_FIELD, "")
        if doc_id in indexed or not recorded or not old.recorded < recorded < new.recorded:
            continue
        found.append(_judge(path, doc_id, recorded, versions, sizes, text_hashes or {}))
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _judge(
    path: Path,
    doc_id: str,
    recorded: str,
    versions: list[Version],
    sizes: Mapping[str, int],
    text_hashes: Mapping[str, str],
) -> SkippedCapture:
    size = _size(path)
    before = [v for v in versions if v.recorded and v.recorded < recorded]
    after = [v for v in versions if v.recorded and v.recorded > recorded]
    # Judged as ingest judges it (qa.index.ingest), against the indexed versions around it.
    around = [sizes[v.doc_id] for v in (*before[-3:], *after[:3]) if sizes.get(v.doc_id)]
    expected = round(statistics.median(around)) if around else 0
    if expected and size < BROKEN_SHARE * expected:
        return SkippedCapture(doc_id, recorded, BROKEN, size, expected)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return SkippedCapture(doc_id, recorded, BROKEN, size, expected)
    if all(len(line.split()) <= CONTENTS_MAX_WORDS for line in text.splitlines()):
        return SkippedCapture(doc_id, recorded, BROKEN, size, expected)
    if before and text_hashes.get(before[-1].doc_id):
        try:
            loaded = load_file(path, doc_id)
        except LoadError:
            return SkippedCapture(doc_id, recorded, BROKEN, size, expected)
        if loaded.metadata.get("text_hash") == text_hashes[before[-1].doc_id]:
            return SkippedCapture(doc_id, recorded, REPEATED, size, expected)
    return SkippedCapture(doc_id, recorded, NOT_INDEXED, size, expected)
