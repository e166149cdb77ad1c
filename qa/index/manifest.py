"""The index manifest: what was indexed, from which file contents, with which settings.

Written atomically (temporary file + rename) after every document, so an ingest killed at any
point leaves a manifest that describes only documents whose passages are fully in the store.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import IndexDamagedError

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
# Bumped whenever loading or chunking changes what a given file turns into.
# Pooled passage vectors and lazy sentence vectors change what an index holds too; the index's
# config records both (``IndexConfig``), so an index made another way is rebuilt, not mixed.
PIPELINE_VERSION = 6
# How an index made before passage vectors could be pooled made them.
LEGACY_PASSAGE_VECTORS = "embedded"
LEGACY_SENTENCE_VECTORS = "indexed"


# How messages name the settings of ``IndexConfig``.
_LABELS = {"embedding_model": "model"}


@dataclass
class IndexConfig:
    """The settings an index was built with; passages from different configs never mix."""

    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    pipeline_version: int = PIPELINE_VERSION
    # "embedded" or "pooled" (``Settings.passage_vectors``): the two kinds never mix.
    passage_vectors: str = LEGACY_PASSAGE_VECTORS
    # "indexed" or "lazy" (``Settings.sentence_vectors``): whether stored sentence vectors are
    # the sentences' own or their passages' stand-ins.
    sentence_vectors: str = LEGACY_SENTENCE_VECTORS

    def differences(self, wanted: IndexConfig) -> list[str]:
        """What differs from ``wanted``, one phrase per setting, for messages.

        Example:
            >>> old = IndexConfig("multilingual-e5-small", 1000, 1, pipeline_version=4)
            >>> old.differences(IndexConfig("multilingual-e5-small", 1000, 1))
            ['pipeline v4 (this version of Fineprint reads documents as v6)']
        """
        found = []
        for name, value in asdict(self).items():
            asked = getattr(wanted, name)
            if value == asked:
                continue
            if name == "pipeline_version":
                found.append(
                    f"pipeline v{value} (this version of Fineprint reads documents as v{asked}"
                    + ("; a newer Fineprint built it" if value > asked else "")
                    + ")"
                )
                continue
            label = _LABELS.get(name, name.replace("_", " "))
            shown, wished = (f"'{v}'" if isinstance(v, str) else str(v) for v in (value, asked))
            found.append(f"{label} {shown} where {label} {wished} was asked for")
        return found

    def describe(self) -> str:
        """A one-line description for messages."""
        return (
            f"model '{self.embedding_model}', chunk size {self.chunk_size}, "
            f"overlap {self.chunk_overlap}, {self.passage_vectors} passage vectors, "
            f"{self.sentence_vectors} sentence vectors, "
            f"pipeline v{self.pipeline_version}"
        )


@dataclass
class DocumentEntry:
    """One indexed document."""

    content_hash: str
    passages: int
    title: str = ""
    language: str = ""
    publisher: str = ""
    kind: str = ""
    # SHA-256 of the indexed (normalised) text: a second file with the same text is a copy.
    text_hash: str = ""


@dataclass
class Manifest:
    """Everything the index knows about itself apart from the vectors."""

    config: IndexConfig
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    generation: int = 0
    ingest_in_progress: bool = False
    # A new id for every index built from scratch: caches keyed on (build_id, generation) never
    # mistake a rebuilt index for the one before it, whose generation count it restarts.
    build_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The corpus folder (absolute) the last ingest synced from: a command given an index but
    # no corpus uses it, so serving an index never syncs it to another folder.
    corpus: str = ""

    @classmethod
    def read(cls, index_dir: Path) -> Manifest | None:
        """Read the manifest of ``index_dir``; ``None`` when the index does not exist yet.

        Raises:
            IndexDamagedError: The file is unreadable, not JSON, or of another version.
        """
        path = index_dir / MANIFEST_NAME
        if not path.exists():
            return None
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != MANIFEST_VERSION:
                msg = f"{path} has manifest version {raw.get('version')}; rebuild with --rebuild"
                raise IndexDamagedError(msg)
            return cls(
                config=IndexConfig(**raw["config"]),
                documents={key: DocumentEntry(**value) for key, value in raw["documents"].items()},
                generation=raw.get("generation", 0),
                ingest_in_progress=raw.get("ingest_in_progress", False),
                build_id=raw.get("build_id", ""),
                corpus=str(raw.get("corpus", "")),
            )
        except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            msg = f"{path} is unreadable or damaged ({exc}); run 'fineprint ingest --rebuild'"
            raise IndexDamagedError(msg) from exc

    def write(self, index_dir: Path) -> None:
        """Write atomically, so a crash never leaves half a manifest."""
        index_dir.mkdir(parents=True, exist_ok=True)
        payload = {"version": MANIFEST_VERSION, **asdict(self)}
        tmp = index_dir / f".{MANIFEST_NAME}.tmp"
        tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, index_dir / MANIFEST_NAME)
