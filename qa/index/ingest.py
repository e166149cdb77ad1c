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
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from filelock import FileLock
from langchain_core.documents import Document

from qa.errors import CorpusError, IndexBusyError
from qa.index.embeddings import canonical_model_name, get_embeddings
from qa.index.location import (
    LEASE_SECONDS,
    LOCK_NAME,
    LocalIndex,
    ServerIndex,
    folder_lock,
    index_location,
)
from qa.index.manifest import DocumentEntry, IndexConfig
from qa.index.pooling import CONTEXT_START, PassagePooler, context_text
from qa.index.reading import DocumentReader, ReadFile
from qa.index.store import PassageStore
from qa.load import Skipped, scan_corpus
from qa.load.corpus import content_hash
from qa.settings import PASSAGE_VECTORS_POOLED, SENTENCE_VECTORS_LAZY, Settings
from qa.versions.series import RECORDED_FIELD, SERIES_FIELD, ota_metadata

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
# A recorded version under this share of the median size of its neighbours in the series is a
# broken capture (a page that failed to load, a menu, a truncated text), not a new version.
BROKEN_SHARE = 0.4
# Neighbours on each side a version's size is compared with.
BROKEN_NEIGHBOURS = 3
# A recorded version none of whose lines has more words than this is a table of contents.
CONTENTS_MAX_WORDS = 8
# Metadata key of the hash of the text a vector was computed from.
VECTOR_KEY = "vector_key"
# Vectors kept in memory during one ingest, by store and collection (about 150 MB at most).
RUN_CACHE_LIMIT = 100_000
_RUN_VECTORS: dict[tuple[int, bool], dict[str, list[float]]] = {}


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
    # Vectors computed this run; the rest were reused from identical texts already indexed. A
    # pooled passage vector counts as computed when a text it is pooled from was embedded this
    # run; sentences include the context lines pooled passages are made with.
    passages_embedded: int = 0
    passages_reused: int = 0
    sentences_embedded: int = 0
    sentences_reused: int = 0
    seconds: float = 0.0
    # Sentence vectors are left to question time (``Settings.sentence_vectors`` "lazy").
    lazy_sentences: bool = False
    # Text dropped from the documents read this run (hidden, furniture, ...), counted by reason.
    dropped: Counter[str] = field(default_factory=Counter)
    # Metadata of documents read this run that will not work as meant (indexed all the same).
    notices: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        """One line, e.g. ``2 added, 0 updated, 13 unchanged, 0 removed, 1 skipped``."""
        line = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.skipped)} skipped, {len(self.copies)} "
            f"{'copy' if len(self.copies) == 1 else 'copies'}; "
            f"{self.passages_embedded} passages embedded "
            f"in {self.seconds:.1f} s"
        )
        if self.lazy_sentences and (self.passages_embedded or self.passages_reused):
            line += (
                f" ({self.passages_reused} passages reused; sentences are embedded when a "
                "question needs them)"
            )
        elif self.passages_reused or self.sentences_embedded or self.sentences_reused:
            line += (
                f" ({self.passages_reused} passages reused; {self.sentences_embedded} sentences "
                f"embedded, {self.sentences_reused} reused)"
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
        passage_vectors=settings.passage_vectors,
        sentence_vectors=settings.sentence_vectors,
    )


def embedding_text(passage: Document) -> str:
    """What gets embedded: title and section give a passage the context it lacks alone."""
    context = context_text(passage.metadata)
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
    return index_location(
        settings.index_dir, settings.chroma_url, settings.chroma_index, settings.cache_dir
    )


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
        progress: Called as ``progress(done, total, doc_id)`` for each file, in corpus order,
            once it is stored (the files of one embedding batch are reported together).
        embed_progress: Called as ``embed_progress(done, total, doc_id)`` after each
            ``EMBED_BATCH`` texts (passages, sentences, context lines) embedded for a batch
            of documents; ``doc_id`` is the batch's largest document.
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
            if isinstance(location, ServerIndex):
                # A killed writer cannot release its lease; it lapses on its own.
                msg += (
                    f" (if that ingest was stopped, its lease lapses within {LEASE_SECONDS:.0f} s)"
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
    with PassageStore.open_at(
        location,
        config,
        create=True,
        index_dir=settings.index_dir,
        side_index=settings.side_index,
    ) as store:
        try:
            report = _sync(store, settings, progress, embed_progress)
        finally:
            # The run's vectors belong to this store; another may get its id later.
            for sentences in (False, True):
                _RUN_VECTORS.pop((id(store), sentences), None)
    report.seconds = time.perf_counter() - started
    return report


def _sync(
    store: PassageStore,
    settings: Settings,
    progress: ProgressCallback | None,
    embed_progress: ProgressCallback | None,
) -> IngestReport:
    manifest = store.manifest
    report = IngestReport(lazy_sentences=settings.sentence_vectors == SENTENCE_VECTORS_LAZY)
    scan = scan_corpus(settings.corpus_dir)
    report.skipped.extend(scan.skipped)
    files = scan.files
    on_disk = {doc_id for doc_id, _ in files}

    # Copies: the first file with a given text is indexed, the others are reported. Files
    # already indexed win; among new ones an original comes before its copies.
    by_text = {
        entry.text_hash: doc_id
        for doc_id, entry in manifest.documents.items()
        if entry.text_hash and doc_id in on_disk and not ota_metadata(doc_id)
    }
    files = sorted(files, key=lambda item: (original_name(item[0]), len(item[0]), item[0]))
    broken = _broken_captures(files)
    series = _SeriesState(previous=_previous_versions(files, broken))

    if manifest.ingest_in_progress:
        # The last run died mid-way: drop passages of documents the manifest does not vouch for.
        for doc_id in store.stored_doc_ids() - set(manifest.documents):
            store.delete_document(doc_id)
    # The side index is written beside Chroma from here on: it must start complete (an index
    # from before it existed, a deleted file, or what a killed run left).
    store.sync_side(check_all=True)
    manifest.ingest_in_progress = True
    manifest.corpus = str(settings.corpus_dir.resolve())
    store.save_manifest()

    indexed = {doc_id: entry.content_hash for doc_id, entry in manifest.documents.items()}
    reader = DocumentReader(files, broken, indexed, settings.chunk_size, settings.chunk_overlap)
    batch = _Batch(store, settings, report, progress, embed_progress)
    items = iter(reader)
    try:
        for done, item in enumerate(items, start=1):
            if item.broken:
                if item.doc_id in manifest.documents:
                    _forget(store, settings, item.doc_id)
                report.skipped.append(Skipped(item.doc_id, item.broken))
            else:
                _ingest_one(store, settings, item, report, by_text, batch, series)
            batch.file_done(done, len(files), item.doc_id)
        batch.flush()
    finally:
        # Stops the reading thread now, not when a traceback holding the loop is freed.
        items.close()

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


@dataclass
class _SeriesState:
    """What deciding whether a recorded version continues the one before it needs."""

    # Each recorded version's predecessor in its series (broken captures left out).
    previous: dict[str, str]
    # The text hash of every version seen so far this run.
    text_hashes: dict[str, str] = field(default_factory=dict)


def _ota_series(files: list[tuple[str, Path]]) -> dict[str, list[tuple[str, Path]]]:
    """The files in the Open Terms Archive layout, by series, in recording order."""
    grouped: dict[str, list[tuple[str, Path]]] = {}
    for doc_id, path in files:
        meta = ota_metadata(doc_id)
        if meta:
            grouped.setdefault(meta[SERIES_FIELD], []).append((doc_id, path))
    for items in grouped.values():
        items.sort(key=lambda item: ota_metadata(item[0])[RECORDED_FIELD])
    return grouped


def _broken_captures(files: list[tuple[str, Path]]) -> dict[str, str]:
    """Recorded versions far shorter than their neighbours in the series, with the reason.

    Sizes are compared on disk (no file is read): a capture of a menu or of half a page is a
    fraction of the versions around it, which differ from each other by a few per cent.
    """
    broken: dict[str, str] = {}
    for items in _ota_series(files).values():
        sizes: list[int | None] = []
        for _, path in items:
            try:
                sizes.append(path.stat().st_size)
            except OSError:
                sizes.append(None)  # reported when it is read
        for index, (doc_id, _) in enumerate(items):
            size = sizes[index]
            around = [
                other
                for other in sizes[max(0, index - BROKEN_NEIGHBOURS) : index]
                + sizes[index + 1 : index + 1 + BROKEN_NEIGHBOURS]
                if other is not None
            ]
            if size is None or not around:
                continue
            median = statistics.median(around)
            if size < BROKEN_SHARE * median:
                broken[doc_id] = (
                    f"broken capture: {size} bytes where the versions recorded around it have "
                    f"about {median:.0f}; the version before it stays in force"
                )
    return broken


def _previous_versions(files: list[tuple[str, Path]], broken: dict[str, str]) -> dict[str, str]:
    """Each recorded version's predecessor in its series, broken captures left out."""
    previous: dict[str, str] = {}
    for items in _ota_series(files).values():
        kept = [doc_id for doc_id, _ in items if doc_id not in broken]
        previous.update(zip(kept[1:], kept[:-1], strict=True))
    return previous


def _looks_like_contents(text: str) -> bool:
    """Whether a text is only short lines: headings and links, a table of contents."""
    return all(len(line.split()) <= CONTENTS_MAX_WORDS for line in text.splitlines())


def _under(doc_id: str, paths: list[str]) -> bool:
    """Whether ``doc_id`` is one of ``paths`` or lies in one (``"."`` is the whole corpus)."""
    return any(path in (".", doc_id) or doc_id.startswith(f"{path}/") for path in paths)


def _embed(
    texts: list[str], model: str, label: str, progress: ProgressCallback | None
) -> list[list[float]]:
    embeddings = get_embeddings(model)
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        vectors.extend(embeddings.embed_documents(texts[start : start + EMBED_BATCH]))
        if progress:
            progress(len(vectors), len(texts), label)
    return vectors


def _vectors(
    store: PassageStore,
    groups: list[tuple[list[str], list[Document], bool]],
    settings: Settings,
    label: str,
    progress: ProgressCallback | None,
) -> tuple[list[tuple[list[list[float]], int]], set[str]]:
    """Vectors for each group ``(texts, items, sentences)``, reusing those of identical texts.

    Each item's metadata gets ``VECTOR_KEY``, the hash of its text, so later documents can
    reuse its vector: a new version with one changed paragraph embeds that paragraph. The texts
    no vector exists for are embedded in one run (so progress counts all of them), each
    distinct text once, whichever groups (documents) hold it.

    Returns:
        Per group, one vector per text and how many of them were computed; and the keys of
        every text embedded.
    """
    found: list[dict[str, list[float]]] = []
    wanted: list[list[str]] = []
    missing: dict[str, str] = {}
    for texts, items, sentences in groups:
        keys = [content_hash(text.encode("utf-8")) for text in texts]
        for item, key in zip(items, keys, strict=True):
            item.metadata[VECTOR_KEY] = key
        # Vectors seen this run first: successive versions share most of their text, and
        # asking Chroma for thousands of keys per version grows slow as the index grows.
        cache = _RUN_VECTORS.setdefault((id(store), sentences), {})
        known = {key: cache[key] for key in keys if key in cache}
        asked = sorted(set(keys) - set(known) - set(missing))
        known.update(store.vectors_by_key(asked, sentences=sentences) if asked else {})
        missing.update(
            (key, text) for key, text in zip(keys, texts, strict=True) if key not in known
        )
        found.append(known)
        wanted.append(keys)
    computed = dict(
        zip(
            missing,
            _embed(list(missing.values()), settings.embedding_model, label, progress),
            strict=True,
        )
    )
    out = []
    counted: set[str] = set()
    for (_, _, sentences), known, keys in zip(groups, found, wanted, strict=True):
        # A text two documents of the batch share is counted as computed for the first only.
        new = {key: computed[key] for key in keys if key in computed and key not in counted}
        counted.update(new)
        known.update({key: computed[key] for key in keys if key in computed})
        cache = _RUN_VECTORS[(id(store), sentences)]
        if len(cache) > RUN_CACHE_LIMIT:
            cache.clear()
        cache.update(known)
        out.append(([known[key] for key in keys], len(new)))
    return out, set(computed)


def _forget(store: PassageStore, settings: Settings, doc_id: str) -> None:
    """Drop a document from the manifest first, then from the store (a crash redoes it)."""
    del store.manifest.documents[doc_id]
    store.manifest.generation += 1
    store.save_manifest()
    store.delete_document(doc_id)


@dataclass
class _Pending:
    """A document chunked and waiting in a batch for its vectors."""

    document: Document
    previous: DocumentEntry | None
    passages: list[Document]
    sentences: list[Document]
    # With pooled passage vectors: the context lines appended to ``sentences``.
    contexts: list[Document] = field(default_factory=list)


class _Batch:
    """Documents waiting to be embedded together, and the files whose progress waits on them.

    Embedding many documents' texts in one run keeps the engine's batches full (a document of
    three sentences no longer costs a call of its own). Each document is still stored and
    recorded in the manifest one at a time, in corpus order, so a crash leaves the manifest
    vouching only for documents fully stored, as before.
    """

    def __init__(
        self,
        store: PassageStore,
        settings: Settings,
        report: IngestReport,
        progress: ProgressCallback | None,
        embed_progress: ProgressCallback | None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.report = report
        self.progress = progress
        self.embed_progress = embed_progress
        self.pending: list[_Pending] = []
        self.texts = 0
        # File progress is reported in corpus order, once every document before it is stored.
        self.files: list[tuple[int, int, str]] = []

    def add(self, item: _Pending) -> None:
        """Queue a document; it is embedded and stored at the next ``flush``."""
        self.pending.append(item)
        # Count what will be embedded (before reuse): passages, sentences or both.
        if self.settings.passage_vectors != PASSAGE_VECTORS_POOLED:
            self.texts += len(item.passages)
        if self.settings.sentence_vectors != SENTENCE_VECTORS_LAZY:
            self.texts += len(item.sentences)

    def file_done(self, done: int, total: int, doc_id: str) -> None:
        """A file was handled; report it once it is stored, and flush a full batch."""
        self.files.append((done, total, doc_id))
        if self.texts >= self.settings.ingest_batch_texts:
            self.flush()
        elif not self.pending:
            self._report_files()

    def flush(self) -> None:
        """Embed the queued documents' new texts in one run, then store them one by one."""
        if self.pending:
            pending, self.pending, self.texts = self.pending, [], 0
            vectors = _batch_vectors(
                self.store, self.settings, pending, self.report, self.embed_progress
            )
            for item, (passage_vectors, sentence_vectors) in zip(pending, vectors, strict=True):
                _store_document(self.store, item, passage_vectors, sentence_vectors, self.report)
        self._report_files()

    def _report_files(self) -> None:
        files, self.files = self.files, []
        if self.progress:
            for done, total, doc_id in files:
                self.progress(done, total, doc_id)


def _batch_vectors(
    store: PassageStore,
    settings: Settings,
    pending: list[_Pending],
    report: IngestReport,
    progress: ProgressCallback | None,
) -> list[tuple[list[list[float]], list[list[float]]]]:
    """Passage and sentence vectors of each pending document, new texts embedded in one run.

    With pooled passage vectors only sentences and context lines are embedded (context lines
    are stored beside the sentences, at ``CONTEXT_START``, so a later version reuses them), and
    each passage's vector is pooled from them; ``pending`` documents' sentence lists gain their
    context lines. With lazy sentence vectors only passages are embedded, and each sentence is
    stored with the vector of the first passage holding it (``_stand_ins``). Progress is
    reported under the batch's largest document.
    """
    pooled = settings.passage_vectors == PASSAGE_VECTORS_POOLED
    lazy = settings.sentence_vectors == SENTENCE_VECTORS_LAZY
    out: list[tuple[list[list[float]], list[list[float]]]] = []
    largest = max(pending, key=lambda item: len(item.passages) + len(item.sentences))
    groups: list[tuple[list[str], list[Document], bool]] = []
    poolers: list[PassagePooler] = []
    for item in pending:
        if pooled:
            poolers.append(PassagePooler(item.sentences))
            item.contexts = _context_lines(item, poolers[-1])
            item.sentences = [*item.sentences, *item.contexts]
        else:
            groups.append(([embedding_text(p) for p in item.passages], item.passages, False))
        if not lazy:
            groups.append(([s.page_content for s in item.sentences], item.sentences, True))
    results, computed_keys = _vectors(store, groups, settings, str(largest.document.id), progress)
    if lazy:
        for item, (vectors, computed) in zip(pending, results, strict=True):
            report.passages_embedded += computed
            report.passages_reused += len(vectors) - computed
            out.append((vectors, _stand_ins(item, vectors)))
        return out
    if pooled:
        for item, pooler, (vectors, computed) in zip(pending, poolers, results, strict=True):
            own = len(item.sentences) - len(item.contexts)
            contexts = {
                line.page_content: vector
                for line, vector in zip(item.contexts, vectors[own:], strict=True)
            }
            out.append((pooler.pool(item.passages, vectors[:own], contexts), vectors))
            report.sentences_embedded += computed
            report.sentences_reused += len(vectors) - computed
            # A pooled passage vector is new when a text it is pooled from was embedded now.
            new = sum(
                _pooled_from_new(passage, item, pooler, computed_keys) for passage in item.passages
            )
            report.passages_embedded += new
            report.passages_reused += len(item.passages) - new
        return out
    for number in range(len(pending)):
        (vectors, computed), (sentence_vectors, computed_sentences) = results[
            2 * number : 2 * number + 2
        ]
        report.passages_embedded += computed
        report.passages_reused += len(vectors) - computed
        report.sentences_embedded += computed_sentences
        report.sentences_reused += len(sentence_vectors) - computed_sentences
        out.append((vectors, sentence_vectors))
    return out


def _stand_ins(item: _Pending, vectors: list[list[float]]) -> list[list[float]]:
    """Each sentence's stand-in vector: that of the first passage holding it.

    A stand-in depends on where the sentence sits, not only on its text, so it gets no
    ``VECTOR_KEY``: only a sentence's own vector may be reused by text.
    """
    pooler = PassagePooler(item.sentences)
    stand_ins: list[list[float] | None] = [None] * len(item.sentences)
    for passage, vector in zip(item.passages, vectors, strict=True):
        for index in pooler.members(passage):
            if stand_ins[index] is None:
                stand_ins[index] = vector
    # Every sentence lies in a passage (passages are runs of whole sentences).
    return [vector if vector is not None else vectors[0] for vector in stand_ins]


def _pooled_from_new(
    passage: Document, item: _Pending, pooler: PassagePooler, computed: set[str]
) -> bool:
    """Whether a pooled passage's vector uses a text embedded in this run."""
    line = context_text(passage.metadata)
    parts = [item.sentences[index] for index in pooler.members(passage)]
    parts += [context for context in item.contexts if context.page_content == line]
    return any(part.metadata[VECTOR_KEY] in computed for part in parts)


def _context_lines(item: _Pending, pooler: PassagePooler) -> list[Document]:
    """The document's context lines as entries of the sentence collection (never quoted)."""
    doc_id = str(item.document.id)
    return [
        Document(
            page_content=line,
            metadata={"doc_id": doc_id, "start": CONTEXT_START, "end": CONTEXT_START},
            id=f"{doc_id}@context{number}",
        )
        for number, line in enumerate(pooler.contexts(item.passages))
    ]


def _store_document(
    store: PassageStore,
    item: _Pending,
    vectors: list[list[float]],
    sentence_vectors: list[list[float]],
    report: IngestReport,
) -> None:
    """Write one document's passages and sentences, then record it in the manifest."""
    document, previous = item.document, item.previous
    doc_id = str(document.id)
    manifest = store.manifest
    # Forget the document before touching its passages: if we die now, the next run redoes it.
    if previous:
        del manifest.documents[doc_id]
        store.save_manifest()
    store.replace_document(doc_id, item.passages, vectors, item.sentences, sentence_vectors)
    meta = document.metadata
    manifest.documents[doc_id] = DocumentEntry(
        content_hash=meta["content_hash"],
        passages=len(item.passages),
        title=str(meta.get("title", "")),
        language=str(meta.get("language", "")),
        publisher=str(meta.get("publisher", "")),
        kind=str(meta.get("kind", "")),
        text_hash=meta["text_hash"],
    )
    manifest.generation += 1
    store.save_manifest()
    (report.updated if previous else report.added).append(doc_id)


def _ingest_one(
    store: PassageStore,
    settings: Settings,
    read: ReadFile,
    report: IngestReport,
    by_text: dict[str, str],
    batch: _Batch,
    series: _SeriesState,
) -> None:
    doc_id = read.doc_id
    manifest = store.manifest
    previous = manifest.documents.get(doc_id)
    if read.unchanged and previous:
        series.text_hashes[doc_id] = previous.text_hash
        report.unchanged.append(doc_id)
        return
    if read.document is None:
        reason = read.error
        if previous:
            reason += " (the previously indexed version is kept)"
        report.skipped.append(Skipped(doc_id, reason))
        return
    document = read.document
    text_hash = document.metadata["text_hash"]
    series.text_hashes[doc_id] = text_hash
    if RECORDED_FIELD in document.metadata:
        _ingest_version(store, settings, read, previous, report, series, batch)
        return
    if previous and by_text.get(previous.text_hash) == doc_id:
        del by_text[previous.text_hash]
    twin = by_text.get(text_hash)
    if twin is not None and twin != doc_id:
        reason = f"a copy of {twin} (the same text), which is indexed once"
        if previous:
            _forget(store, settings, doc_id)
        report.copies.append(Skipped(doc_id, reason))
        return
    if _index_document(store, settings, read, previous, report, batch):
        by_text[text_hash] = doc_id


def _ingest_version(
    store: PassageStore,
    settings: Settings,
    read: ReadFile,
    previous: DocumentEntry | None,
    report: IngestReport,
    series: _SeriesState,
    batch: _Batch,
) -> None:
    """Index one recorded version, unless it repeats the one before it or is a contents page.

    A version with the text of the one recorded before it is that version continuing (it is
    reported as a copy); the same text coming back after another one is a new version.
    """
    document = read.document
    assert document is not None  # only loaded files get here
    doc_id = str(document.id)
    before = series.previous.get(doc_id)
    reason = ""
    if before is not None and series.text_hashes.get(before) == document.metadata["text_hash"]:
        reason = f"the same text as {before}, recorded before it: the same version continuing"
        report.copies.append(Skipped(doc_id, reason))
    elif _looks_like_contents(document.page_content):
        reason = "broken capture: only headings and links (a table of contents), no text"
        report.skipped.append(Skipped(doc_id, reason))
    if reason:
        if previous:
            _forget(store, settings, doc_id)
        return
    _index_document(store, settings, read, previous, report, batch)


def _index_document(
    store: PassageStore,
    settings: Settings,
    read: ReadFile,
    previous: DocumentEntry | None,
    report: IngestReport,
    batch: _Batch,
) -> bool:
    """Queue one chunked document in ``batch`` to be embedded (reusing stored vectors) and stored.

    Returns whether it will be indexed (``False``: no text was left, and it is reported).
    """
    document = read.document
    assert document is not None  # only loaded files get here
    doc_id = str(document.id)
    report.dropped.update(reason for reason, _ in document.metadata.get("removed", []))
    report.notices.extend(
        Skipped(doc_id, notice) for notice in document.metadata.get("notices", [])
    )
    if not read.passages:
        # Only headings or furniture: an edit that emptied a document removes its old text.
        reason = NO_TEXT
        if previous:
            _forget(store, settings, doc_id)
            reason += " (the previously indexed version was removed)"
        report.skipped.append(Skipped(doc_id, reason))
        return False
    batch.add(_Pending(document, previous, read.passages, read.sentences))
    return True


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
