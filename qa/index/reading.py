"""Reading ahead: files read, loaded and split into passages and sentences on a thread.

The embedding engine (a C library called through ctypes) releases the GIL, so loading and
chunking the next documents on a second thread overlaps them with embedding the current ones.
The thread only reads: every decision and every write stays with the ingest.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from qa.errors import LoadError
from qa.index.chunking import chunk_document, document_sentences
from qa.load import load_file
from qa.load.corpus import content_hash, read_bytes

# Documents read ahead of the one being embedded: enough to keep the engine fed, few enough
# that a corpus of large files does not pile up in memory.
READ_AHEAD = 32
# How often a reader blocked on a full queue checks whether the ingest has stopped, in seconds.
_POLL_SECONDS = 0.2


@dataclass
class ReadFile:
    """One corpus file as the reading thread left it, in corpus order.

    Exactly one of the outcomes holds: ``broken`` (a broken capture, not read), ``unchanged``
    (same bytes as indexed, not loaded), ``error`` (the loader's reason), or ``document`` with
    its ``passages`` and ``sentences``.
    """

    doc_id: str
    broken: str = ""
    unchanged: bool = False
    error: str = ""
    document: Document | None = None
    passages: list[Document] = field(default_factory=list)
    sentences: list[Document] = field(default_factory=list)


class DocumentReader:
    """Iterates over ``ReadFile``s, produced by a thread that runs up to ``READ_AHEAD`` ahead.

    Example:
        >>> reader = DocumentReader([("a.txt", Path("a.txt"))], {}, {}, 1000, 1)  # doctest: +SKIP
        >>> [item.doc_id for item in reader]  # doctest: +SKIP
        ['a.txt']
    """

    def __init__(
        self,
        files: list[tuple[str, Path]],
        broken: dict[str, str],
        indexed_hashes: dict[str, str],
        chunk_size: int,
        chunk_overlap: int,
    ) -> None:
        """Prepare to read ``files`` (``(doc_id, path)``, in the order they are wanted).

        Args:
            files: The files, in order.
            broken: Broken captures by doc id, with the reason; these are not read.
            indexed_hashes: The content hash each doc id was indexed from; a file with the same
                bytes is ``unchanged`` and not loaded.
            chunk_size: Characters per passage (``qa.index.chunking``).
            chunk_overlap: Sentences shared by neighbouring passages.
        """
        self._files = files
        self._broken = broken
        self._indexed = indexed_hashes
        self._chunk_size = chunk_size
        self._overlap = chunk_overlap
        self._queue: queue.Queue[ReadFile | BaseException] = queue.Queue(maxsize=READ_AHEAD)
        self._stop = threading.Event()

    def __iter__(self) -> Generator[ReadFile, None, None]:
        """Yield one ``ReadFile`` per file, in order; a bug in the thread is raised here."""
        thread = threading.Thread(target=self._run, name="fineprint-reader", daemon=True)
        thread.start()
        try:
            for _ in self._files:
                item = self._queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # The ingest stopped (done, or an error): let a thread blocked on a full queue go.
            self._stop.set()
            thread.join()

    def _run(self) -> None:
        try:
            for doc_id, path in self._files:
                if not self._put(self._read(doc_id, path)):
                    return
        except BaseException as exc:  # handed to the ingest, which raises it
            self._put(exc)

    def _put(self, item: ReadFile | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, doc_id: str, path: Path) -> ReadFile:
        if doc_id in self._broken:
            return ReadFile(doc_id, broken=self._broken[doc_id])
        try:
            data = read_bytes(path)
            if self._indexed.get(doc_id) == content_hash(data):
                return ReadFile(doc_id, unchanged=True)
            document = load_file(path, doc_id, data)
        except LoadError as exc:
            return ReadFile(doc_id, error=str(exc))
        return ReadFile(
            doc_id,
            document=document,
            passages=chunk_document(document, self._chunk_size, self._overlap),
            sentences=document_sentences(document, self._chunk_size),
        )
