"""Finding the files of a corpus and loading each with the loader for its format."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from qa.errors import LoadError
from qa.load.html import load_html
from qa.load.language import UNKNOWN_LANGUAGE, detect_language, normalise_language
from qa.load.markdown import load_markdown
from qa.load.pdf import load_pdf
from qa.load.plaintext import load_plaintext
from qa.load.rawtext import decode_text
from qa.load.text import normalise_text
from qa.settings import DOCUMENT_KINDS
from qa.versions.series import SERIES_FIELD, STATED_FIELD, ota_metadata, series_key, stated_date

FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
MAX_FILE_BYTES = 50 * 1024 * 1024
_IDENTITY_FIELDS = ("title", "publisher", "kind", "region", "document_date", "language")


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    doc_id: str
    reason: str


@dataclass
class LoadReport:
    """What ``load_corpus`` produced: the documents, and the files it had to skip."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes: equal hashes mean nothing needs re-indexing."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class CorpusScan:
    """What lies under a corpus folder: the files to load, and the entries that cannot be."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Folders that could not be listed and entries that could not be looked at (relative
    # paths): what was indexed from them is kept, as for a file that cannot be read.
    unreadable: list[str] = field(default_factory=list)


def scan_corpus(corpus_dir: Path) -> CorpusScan:
    """Every non-hidden file under ``corpus_dir`` as ``(doc_id, path)``, sorted, and what was not.

    The ``doc_id`` is the path relative to the corpus folder, with ``/`` separators, so it is
    stable across machines and runs. Symbolic links to folders are not followed (a link loop, or
    a link to ``/``, would walk forever or everywhere), nor links to files outside the corpus
    folder; each is reported in ``skipped`` with the reason, as are links to nothing and entries
    that cannot be read. ``unreadable`` lists the folders that could not be listed. Hidden files
    and folders (a name starting with ``.``) are left out without a word: they are editor and
    version-control files, not documents.
    """
    scan = CorpusScan()
    _walk(corpus_dir, corpus_dir, corpus_dir.resolve(), scan)
    scan.files.sort()
    scan.skipped.sort(key=lambda item: item.doc_id)
    return scan


def _walk(folder: Path, root: Path, real_root: Path, scan: CorpusScan) -> None:
    here = folder.relative_to(root).as_posix()
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        scan.unreadable.append(here)
        scan.skipped.append(Skipped(f"{here}/", f"cannot list folder: {exc.strerror or exc}"))
        return
    for path in entries:
        if path.name.startswith("."):
            continue
        doc_id = path.relative_to(root).as_posix()
        try:
            skipped = _entry(path, doc_id, root, real_root, scan)
        except OSError as exc:
            # An entry inside a folder that cannot be entered, a name the system refuses, ...
            skipped = Skipped(doc_id, f"cannot read: {exc.strerror or exc}")
            scan.unreadable.append(doc_id)
        if skipped is not None:
            scan.skipped.append(skipped)


def _entry(
    path: Path, doc_id: str, root: Path, real_root: Path, scan: CorpusScan
) -> Skipped | None:
    """Walk a folder or list a file; a ``Skipped`` when the entry is not read, and why."""
    if path.is_symlink():
        if not path.exists():
            return Skipped(doc_id, "broken symbolic link (it points to nothing)")
        target = path.resolve()
        if path.is_dir():
            if target == real_root or real_root.is_relative_to(target):
                return Skipped(doc_id + "/", f"symbolic link loop (it leads back to {target})")
            return Skipped(doc_id + "/", f"symbolic link to a folder, not followed ({target})")
        if not target.is_relative_to(real_root):
            reason = f"symbolic link to a file outside the corpus folder, not followed ({target})"
            return Skipped(doc_id, reason)
    if path.is_dir():
        _walk(path, root, real_root, scan)
        return None
    if path.is_file():
        scan.files.append((doc_id, path))
        return None
    return Skipped(doc_id, "not a regular file")


def find_files(corpus_dir: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(doc_id, path)`` for every non-hidden file under ``corpus_dir``, sorted.

    The files of ``scan_corpus``, for callers that do not report what was left out.
    """
    yield from scan_corpus(corpus_dir).files


def read_bytes(path: Path) -> bytes:
    """A file's bytes, refusing files over ``MAX_FILE_BYTES`` and unreadable ones.

    Raises:
        LoadError: With the reason (too large, missing, no permission, ...).
    """
    try:
        # stat() too may fail: the file can vanish or lose permissions after it was listed.
        if path.stat().st_size > MAX_FILE_BYTES:
            msg = f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"
            raise LoadError(msg)
        return path.read_bytes()
    except OSError as exc:
        msg = f"cannot read file: {exc.strerror or exc}"
        raise LoadError(msg) from exc


def load_file(path: Path, doc_id: str, data: bytes | None = None) -> Document:
    """Load one file into a ``Document`` whose metadata carries id, hash, format and language.

    Args:
        path: The file.
        doc_id: Its stable id (path relative to the corpus folder).
        data: The file's bytes when the caller already read them.

    Raises:
        LoadError: When the file cannot be indexed; the message says why.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        msg = f"unsupported file type '{path.suffix or '(none)'}' (supported: {supported})"
        raise LoadError(msg)
    if data is None:
        data = read_bytes(path)
    if not data.strip():
        msg = "empty file"
        raise LoadError(msg)
    page_starts: list[int] | None = None
    if fmt == "pdf":
        text, metadata, page_starts = load_pdf(data)
    elif fmt == "html":
        text, metadata = load_html(decode_text(data))
    elif fmt == "markdown":
        text, metadata = load_markdown(decode_text(data))
    else:
        text, metadata = load_plaintext(decode_text(data))
    return _document(
        text, metadata, doc_id=doc_id, path=path, fmt=fmt, data=data, page_starts=page_starts
    )


def _document(
    text: str,
    metadata: dict[str, Any],
    *,
    doc_id: str,
    path: Path,
    fmt: str,
    data: bytes,
    page_starts: list[int] | None,
) -> Document:
    removed = list(metadata.pop("removed", []))
    notices = [*metadata.pop("notices", []), *_metadata_notices(metadata)]
    if page_starts is None:
        # PDF pages are normalised one by one, before their offsets are taken.
        text = normalise_text(text)
    meta: dict[str, Any] = {key: str(value) for key, value in metadata.items()}
    language = meta.get("language")
    meta["language"] = normalise_language(language) if language else detect_language(text)
    if meta["language"] == UNKNOWN_LANGUAGE:
        meta["language"] = detect_language(text)
    # An Open Terms Archive folder names the service, the terms type and the series; its first
    # heading ("General Privacy Policy") does not say whose document it is.
    given = {key for key in metadata if key != "title"}
    meta.update({k: v for k, v in ota_metadata(doc_id).items() if k not in given})
    meta.setdefault("title", path.stem.replace("-", " ").replace("_", " "))
    meta[SERIES_FIELD] = series_key(meta)
    stated = stated_date(text)
    if stated:
        meta[STATED_FIELD] = stated
    meta.update(
        doc_id=doc_id,
        source=str(path),
        format=fmt,
        content_hash=content_hash(data),
        text_hash=_identity(text, meta),
        removed=removed,
        notices=notices,
    )
    if page_starts is not None:
        meta["page_starts"] = page_starts
    return Document(page_content=text, metadata=meta, id=doc_id)


def _identity(text: str, meta: dict[str, Any]) -> str:
    """What makes two files copies: the same words and the same front matter.

    Whitespace is collapsed (a re-wrapped copy is a copy); the metadata a user filters on is
    part of it, so the same text published for another region or by another company is not.
    """
    fields = [str(meta.get(name, "")) for name in _IDENTITY_FIELDS]
    words = " ".join(text.split())
    return content_hash("\x1f".join([*fields, words]).encode("utf-8"))


def load_corpus(corpus_dir: Path) -> LoadReport:
    """Load every file under ``corpus_dir``; files that fail are reported, never fatal."""
    scan = scan_corpus(corpus_dir)
    report = LoadReport(skipped=list(scan.skipped))
    for doc_id, path in scan.files:
        try:
            report.documents.append(load_file(path, doc_id))
        except LoadError as exc:
            report.skipped.append(Skipped(doc_id, str(exc)))
    return report


_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def _metadata_notices(metadata: dict[str, Any]) -> list[str]:
    """What in a document's metadata will not work as its author meant (it is still indexed).

    Example:
        >>> notices = _metadata_notices({"kind": "privacy policy", "document_date": "Jan 2021"})
        >>> [notice.split(" is ")[0] for notice in notices]
        ["kind 'privacy policy'", "document_date 'Jan 2021'"]
    """
    notices = []
    kind = metadata.get("kind")
    if kind is not None and str(kind) not in DOCUMENT_KINDS:
        notices.append(
            f"kind '{kind}' is none of {', '.join(DOCUMENT_KINDS)}; filters will need it as written"
        )
    date = metadata.get("document_date")
    if date is not None and not _DATE.fullmatch(str(date)):
        notices.append(
            f"document_date '{date}' is not a date written like 2021-01-31; "
            "date filters will not find this document"
        )
    return notices
