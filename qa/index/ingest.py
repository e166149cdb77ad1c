"""Incremental ingest: keep the passage store in step with the documents on disk.

Unchanged files (same content hash, same settings) are neither parsed nor embedded; changed
files have their passages replaced; files gone from disk have their passages removed. The
manifest is updated after each document, so a killed ingest is repaired by the next run.

One writer per index: an ingest holds a lock file in the index folder (``filelock``, released by
the operating system even when the process is killed), or on a Chroma server a lease record that
expires when its writer stops renewing it (``qa.index.location``); a second ingest either waits
for it or stops with a message. Readers never take the lock.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from filelock import FileLock
from langchain_core.documents import Document

from qa.errors import CorpusError, IndexBusyError, LoadError
from qa.index.chunking import chunk_document, document_sentences
from qa.index.embeddings import canonical_model_name, get_embeddings
from qa.index.location import LOCK_NAME, LocalIndex, ServerIndex, folder_lock, index_location
from qa.index.manifest import DocumentEntry, IndexConfig
from qa.index.store import PassageStore
from qa.load import Skipped, load_file, scan_corpus
from qa.load.corpus import content_hash, read_bytes
from qa.settings import Settings

ProgressCallback = Callable[[int, int, str], None]
Echo = Callable[[str], None]
__all__ = ["LOCK_NAME", "IngestReport", "ingest", "prepare_index", "writer_lock"]
# "policy (1)", "policy copy", "policy - Copy 2", "Copy of policy".
_COPY_MARK = re.compile(
    r"\s*\(\d+\)$|\s*[-_]?\s*(?:copy|backup|bak|old)(?:\s*\d+)?$|^copy of\s+", re.IGNORECASE
)
# Texts embedded per call: small enough that progress inside a large document moves often.
EMBED_BATCH = 64
# How often progress inside one large document is reported to the server's log.
PROGRESS_SECONDS = 5.0
NO_TEXT = "no text to index: nothing is left after headings, links and page furniture are removed"


@dataclass
class IngestReport:
    """What an ingest did, document by document."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Files with the same text as an indexed one: reported, indexed once, not a failure.
    copies: list[Skipped] = field(default_factory=list)
    passages_embedded: int = 0
    seconds: float = 0.0
    # Text dropped from the documents read this run (hidden, furniture, ...), counted by reason.
    dropped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line, e.g. ``2 added, 0 updated, 13 unchanged, 0 removed, 1 skipped``."""
        line = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.skipped)} skipped, {len(self.copies)} copies; "
            f"{self.passages_embedded} passages embedded "
            f"in {self.seconds:.1f} s"
        )
        if self.dropped:
            counts = ", ".join(f"{count} {reason}" for reason, count in self.dropped.items())
            line += f"; left out of the text: {counts}"
        return line


def index_config(settings: Settings) -> IndexConfig:
    """The index settings implied by ``settings``."""
    return IndexConfig(
        embedding_model=canonical_model_name(settings.embedding_model),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
    )


def embedding_text(passage: Document) -> str:
    """What gets embedded: title and section give a passage the context it lacks alone."""
    meta = passage.metadata
    context = " - ".join(str(part) for part in (meta.get("title"), meta.get("section")) if part)
    return f"{context}\n{passage.page_content}" if context else passage.page_content


def original_name(doc_id: str) -> str:
    """``doc_id`` without the marks file managers add to copies, so a copy sorts after it.

    Example:
        >>> [original_name(n) for n in ["a/p (1).md", "a/p - Copy.md", "a/Copy of p.md"]]
        ['a/p.md', 'a/p.md', 'a/p.md']
    """
    path = PurePosixPath(doc_id)
    stem = _COPY_MARK.sub("", path.stem) or path.stem
    return str(path.with_name(stem + path.suffix))


def writer_lock(index_dir: Path) -> FileLock:
    """The lock an ingest holds on the folder index ``index_dir`` (a file in it).

    Raises:
        SettingsError: ``index_dir`` is a file, or cannot be created.
    """
    return folder_lock(index_dir)


def settings_location(settings: Settings) -> LocalIndex | ServerIndex:
    """Where ``settings`` put the index: on ``chroma_url`` if set, else in ``index_dir``."""
    return index_location(settings.index_dir, settings.chroma_url, settings.chroma_index)


def ingest(
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    embed_progress: ProgressCallback | None = None,
    wait: bool = False,
    on_wait: Echo | None = None,
) -> IngestReport:
    """Bring the index of ``settings`` (folder or Chroma server) in step with the corpus.

    Args:
        settings: Corpus folder, index folder, embedding model and chunking.
        rebuild: Delete the index first and embed everything again.
        progress: Called as ``progress(done, total, doc_id)`` after each file.
        embed_progress: Called as ``embed_progress(done, total, doc_id)`` after each batch of
            ``EMBED_BATCH`` texts (passages and sentences) embedded for one document.
        wait: When another ingest holds the index, wait for it instead of stopping.
        on_wait: Told once, with a message, when this ingest has to wait.

    Raises:
        CorpusError: The corpus folder does not exist.
        IndexBusyError: Another ingest is writing to the index and ``wait`` is false.
        IndexMismatchError: The index was built with other settings and ``rebuild`` is false.
        IndexDamagedError: The index's manifest cannot be read.
        IndexUnreachableError: The index's Chroma server does not answer.
    """
    corpus_dir = settings.corpus_dir
    if not corpus_dir.is_dir():
        msg = f"corpus folder {corpus_dir} does not exist or is not a folder"
        raise CorpusError(msg)
    # A model that cannot load must not leave behind an empty index that records it.
    get_embeddings(settings.embedding_model)
    location = settings_location(settings)
    lock = location.writer_lock()
    if not lock.acquire(blocking=False):
        holder = f" ({lock.holder()})" if lock.holder() else ""
        if not wait:
            msg = (
                f"another 'fineprint ingest'{holder} is writing to {location.where}; "
                "run again when it is done, or add --wait to wait for it"
            )
            raise IndexBusyError(msg)
        if on_wait:
            on_wait(f"another ingest{holder} is writing to {location.where}; waiting for it …")
        lock.acquire(blocking=True)
    try:
        return _ingest_locked(location, settings, rebuild, progress, embed_progress)
    finally:
        lock.release()


def _ingest_locked(
    location: LocalIndex | ServerIndex,
    settings: Settings,
    rebuild: bool,
    progress: ProgressCallback | None,
    embed_progress: ProgressCallback | None,
) -> IngestReport:
    started = time.perf_counter()
    if rebuild:
        location.destroy()
    config = index_config(settings)
    with PassageStore.open_at(location, config, create=True, index_dir=settings.index_dir) as store:
        report = _sync(store, settings, progress, embed_progress)
    report.seconds = time.perf_counter() - started
    return report


def _sync(
    store: PassageStore,
    settings: Settings,
    progress: ProgressCallback | None,
    embed_progress: ProgressCallback | None,
) -> IngestReport:
    manifest = store.manifest
    report = IngestReport()
    scan = scan_corpus(settings.corpus_dir)
    report.skipped.extend(scan.skipped)
    files = scan.files
    on_disk = {doc_id for doc_id, _ in files}

    # Copies: the first file with a given text is indexed, the others are reported. Files
    # already indexed win; among new ones an original comes before its copies.
    by_text = {
        entry.text_hash: doc_id
        for doc_id, entry in manifest.documents.items()
        if entry.text_hash and doc_id in on_disk
    }
    files = sorted(files, key=lambda item: (original_name(item[0]), len(item[0]), item[0]))

    if manifest.ingest_in_progress:
        # The last run died mid-way: drop passages of documents the manifest does not vouch for.
        for doc_id in store.stored_doc_ids() - set(manifest.documents):
            store.delete_document(doc_id)
    manifest.ingest_in_progress = True
    store.save_manifest()

    for done, (doc_id, path) in enumerate(files, start=1):
        _ingest_one(store, settings, doc_id, path, report, by_text, embed_progress)
        if progress:
            progress(done, len(files), doc_id)

    for doc_id in sorted(set(manifest.documents) - on_disk):
        if _under(doc_id, scan.unreadable):
            continue  # it (or its folder) could not be read this time: keep what was indexed
        _forget(store, settings, doc_id)
        report.removed.append(doc_id)

    manifest.ingest_in_progress = False
    store.save_manifest()
    for items in (report.added, report.updated, report.unchanged):
        items.sort()
    report.skipped.sort(key=lambda item: item.doc_id)
    report.copies.sort(key=lambda item: item.doc_id)
    return report


def _under(doc_id: str, paths: list[str]) -> bool:
    """Whether ``doc_id`` is one of ``paths`` or lies in one (``"."`` is the whole corpus)."""
    return any(path in (".", doc_id) or doc_id.startswith(f"{path}/") for path in paths)


def _embed(
    texts: list[str], model: str, doc_id: str, progress: ProgressCallback | None
) -> list[list[float]]:
    embeddings = get_embeddings(model)
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        vectors.extend(embeddings.embed_documents(texts[start : start + EMBED_BATCH]))
        if progress:
            progress(len(vectors), len(texts), doc_id)
    return vectors


def _forget(store: PassageStore, settings: Settings, doc_id: str) -> None:
    """Drop a document from the manifest first, then from the store (a crash redoes it)."""
    del store.manifest.documents[doc_id]
    store.manifest.generation += 1
    store.save_manifest()
    store.delete_document(doc_id)


def _ingest_one(
    store: PassageStore,
    settings: Settings,
    doc_id: str,
    path: Path,
    report: IngestReport,
    by_text: dict[str, str],
    embed_progress: ProgressCallback | None = None,
) -> None:
    manifest = store.manifest
    previous = manifest.documents.get(doc_id)
    try:
        data = read_bytes(path)
        if previous and previous.content_hash == content_hash(data):
            report.unchanged.append(doc_id)
            return
        document = load_file(path, doc_id, data)
    except LoadError as exc:
        reason = str(exc)
        if previous:
            reason += " (the previously indexed version is kept)"
        report.skipped.append(Skipped(doc_id, reason))
        return
    text_hash = document.metadata["text_hash"]
    if previous and by_text.get(previous.text_hash) == doc_id:
        del by_text[previous.text_hash]
    twin = by_text.get(text_hash)
    if twin is not None and twin != doc_id:
        reason = f"a copy of {twin} (the same text), which is indexed once"
        if previous:
            _forget(store, settings, doc_id)
        report.copies.append(Skipped(doc_id, reason))
        return
    report.dropped.update(reason for reason, _ in document.metadata.get("removed", []))
    passages = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    if not passages:
        # Only headings or furniture: an edit that emptied a document removes its old text.
        reason = NO_TEXT
        if previous:
            _forget(store, settings, doc_id)
            reason += " (the previously indexed version was removed)"
        report.skipped.append(Skipped(doc_id, reason))
        return
    sentences = document_sentences(document, settings.chunk_size)
    texts = [embedding_text(p) for p in passages] + [s.page_content for s in sentences]
    vectors = _embed(texts, settings.embedding_model, doc_id, embed_progress)
    sentence_vectors = vectors[len(passages) :]
    vectors = vectors[: len(passages)]
    # Forget the document before touching its passages: if we die now, the next run redoes it.
    if previous:
        del manifest.documents[doc_id]
        store.save_manifest()
    store.replace_document(doc_id, passages, vectors, sentences, sentence_vectors)
    meta = document.metadata
    manifest.documents[doc_id] = DocumentEntry(
        content_hash=meta["content_hash"],
        passages=len(passages),
        title=str(meta.get("title", "")),
        language=str(meta.get("language", "")),
        publisher=str(meta.get("publisher", "")),
        kind=str(meta.get("kind", "")),
        text_hash=text_hash,
    )
    by_text[text_hash] = doc_id
    manifest.generation += 1
    store.save_manifest()
    report.passages_embedded += len(passages)
    (report.updated if previous else report.added).append(doc_id)


def prepare_index(
    settings: Settings,
    echo: Echo = print,
    *,
    on_file: ProgressCallback | None = None,
    on_batch: ProgressCallback | None = None,
) -> IngestReport | None:
    """Bring the index in step with the corpus before serving, reporting through ``echo``.

    Waits for an ingest that is already running. Inside a large document, a line says how many
    of its texts are embedded at most every ``PROGRESS_SECONDS``. ``on_file`` and ``on_batch``
    (the page's progress) are called like ``ingest``'s ``progress`` and ``embed_progress``.

    An index on a Chroma server is shared by every machine that serves it, so it is served as
    it is once it exists: a serving machine's own corpus folder (perhaps another version, or
    none) must not add or remove documents there. ``fineprint ingest`` changes it.

    Returns the ingest report, or ``None`` when the index is served as it is: the corpus folder
    is missing but an index exists, or the index is on a server and exists.

    Raises:
        CorpusError: Neither the corpus nor an index exists.
        IndexMismatchError: The index was built with other settings.
        IndexUnreachableError: The index's Chroma server does not answer.
    """
    location = settings_location(settings)
    if isinstance(location, ServerIndex) and location.read_manifest() is not None:
        echo(
            f"serving {location.where} as it is; it is shared, so only "
            f"'{location.ingest_hint}' changes it"
        )
        return None
    if not settings.corpus_dir.is_dir():
        if location.read_manifest() is not None:
            echo(f"corpus {settings.corpus_dir} not found; serving the index as it is")
            return None
        msg = f"corpus folder {settings.corpus_dir} does not exist and there is no index yet"
        raise CorpusError(msg)
    shown = location.where.removeprefix("the index ").removeprefix("at ")
    echo(f"checking the index {shown} against the corpus {settings.corpus_dir} …")

    def progress(done: int, total: int, doc_id: str) -> None:
        echo(f"  [{done}/{total}] {doc_id}")
        if on_file:
            on_file(done, total, doc_id)

    last = [time.monotonic()]

    def embedded(done: int, total: int, doc_id: str) -> None:
        if on_batch:
            on_batch(done, total, doc_id)
        now = time.monotonic()
        if done < total and now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            echo(f"    {doc_id}: {done}/{total} passages and sentences embedded")

    report = ingest(settings, progress=progress, embed_progress=embedded, wait=True, on_wait=echo)
    for skipped in report.skipped:
        echo(f"  skipped {skipped.doc_id}: {skipped.reason}")
    echo(f"index ready: {report.summary()}")
    return report
