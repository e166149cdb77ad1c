"""How one file is read and indexed: its metadata, sections, passages, and what was left out.

``fineprint inspect PATH`` prints this, so a user can see why a sentence is (or is not) found:
the text Fineprint indexes is exactly the passages shown here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import LoadError
from qa.index.chunking import chunk_document
from qa.index.location import index_location
from qa.load import load_file
from qa.settings import Settings

# Metadata worth showing, in this order; the rest is internal.
SHOWN_FIELDS = (
    "doc_id",
    "title",
    "publisher",
    "kind",
    "region",
    "document_date",
    "language",
    "url",
    "format",
    "content_hash",
    "text_hash",
)


@dataclass
class PassageInfo:
    """One passage as it is indexed: where it sits and its text."""

    index: int
    section: str
    start: int
    end: int
    page: int | None
    text: str


@dataclass
class Inspection:
    """What ``inspect_file`` found out about one file."""

    path: str
    metadata: dict[str, str]
    passages: list[PassageInfo] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    copy_of: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """The id a file gets: its path inside the corpus folder, else its name.

    Example:
        >>> doc_id_for(Path("/c/news/a.md"), Path("/c"))
        'news/a.md'
        >>> doc_id_for(Path("/elsewhere/a.md"), Path("/c"))
        'a.md'
    """
    try:
        return path.resolve().relative_to(corpus_dir.resolve()).as_posix()
    except ValueError:
        return path.name


def inspect_file(path: Path, settings: Settings) -> Inspection:
    """Read ``path`` the way ingest does and chunk it with ``settings``' chunking.

    When the index of ``settings`` exists (``index_dir``, or ``chroma_url`` when set), the
    result also says whether another indexed document has the same text (``copy_of``): ingest
    would index only that one.

    Raises:
        LoadError: The file cannot be read, with the reason ingest would give.
        IndexUnreachableError: ``chroma_url`` is set and the server does not answer.
    """
    if not path.is_file():
        msg = f"{path} is not a file"
        raise LoadError(msg)
    doc_id = doc_id_for(path, settings.corpus_dir)
    document = load_file(path, doc_id)
    meta = document.metadata
    passages = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    inspection = Inspection(
        path=str(path),
        metadata={name: str(meta[name]) for name in SHOWN_FIELDS if meta.get(name)},
        passages=[
            PassageInfo(
                index=int(p.metadata["passage_index"]),
                section=str(p.metadata.get("section", "")),
                start=int(p.metadata["start"]),
                end=int(p.metadata["end"]),
                page=p.metadata.get("page"),
                text=p.page_content,
            )
            for p in passages
        ],
        removed=[(str(reason), str(text)) for reason, text in meta.get("removed", [])],
    )
    location = index_location(
        settings.index_dir, settings.chroma_url, settings.chroma_index, settings.cache_dir
    )
    manifest = location.read_manifest()
    if manifest is not None:
        inspection.copy_of = next(
            (
                other
                for other, entry in manifest.documents.items()
                if entry.text_hash == meta["text_hash"] and other != doc_id
            ),
            None,
        )
    return inspection


def format_inspection(inspection: Inspection, width: int = 100) -> str:
    """The inspection as text for a terminal: metadata, what was left out, then passages."""
    lines = [f"{key:<14} {value}" for key, value in inspection.metadata.items()]
    if inspection.copy_of:
        lines.append(f"{'copy of':<14} {inspection.copy_of} (the same text; indexed once)")
    lines.append("")
    lines.append(f"left out of the text ({len(inspection.removed)}):")
    for reason, text in inspection.removed:
        shown = text if len(text) <= width else text[: width - 1] + "…"
        lines.append(f"  - {reason}: {shown}")
    lines.append("")
    lines.append(f"passages ({len(inspection.passages)}):")
    for passage in inspection.passages:
        where = f"chars {passage.start}-{passage.end}"
        if passage.page is not None:
            where += f", page {passage.page}"
        lines.append(f"[{passage.index}] {passage.section or '(no section)'} ({where})")
        lines.extend(f"    {line}" for line in passage.text.split("\n"))
    return "\n".join(lines)
