"""The passage store: a persistent Chroma collection plus its manifest.

Chroma holds passages, vectors and metadata; the manifest records the settings the collection was
built with and which file contents it reflects. ``PassageStore`` refuses to mix embedding models
or chunk settings in one collection.

An embedded Chroma client keeps what it loaded from disk for as long as it is open, and never
sees what another process writes later (it even returns passages deleted since). So a store
re-reads its manifest before each question (``refresh``) and, when another process has changed
the index, closes its client and opens a new one: the next question sees the index as it is now.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from qa.errors import IndexChangingError, IndexMismatchError, IndexMissingError
from qa.index.manifest import MANIFEST_NAME, IndexConfig, Manifest

COLLECTION_NAME = "passages"
SENTENCE_COLLECTION_NAME = "sentences"
CHROMA_DIR = "chroma"
_GET_PAGE = 5000


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with the similarity the dense search gave it (cosine, higher is closer)."""

    passage: Document
    score: float


def _client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def _chroma_safe(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}


def _rows(result: dict[str, Any], *extra: str, row: int | None = None) -> list[tuple[Any, ...]]:
    """Chroma's parallel result lists as ``(Document, *extra values)`` tuples, one per entry.

    ``get`` returns flat lists; ``query`` returns one list per query vector, picked by ``row``.
    An entry without text or metadata is one another process is deleting: it is left out, with
    its extra values, so nothing is paired with the wrong passage.
    """

    def column(name: str) -> list[Any]:
        values = result[name]
        return list(values[row] if row is not None else values)

    columns = [column(name) for name in ("ids", "documents", "metadatas", *extra)]
    return [
        (Document(page_content=text, metadata=dict(meta), id=pid), *values)
        for pid, text, meta, *values in zip(*columns, strict=True)
        if text is not None and meta is not None
    ]


def _documents(result: dict[str, Any]) -> list[Document]:
    """The complete entries of a Chroma ``get`` result as ``Document`` objects."""
    return [entry[0] for entry in _rows(result)]


def _stamp(path: Path) -> tuple[int, int] | None:
    """What identifies one written version of a file: its inode and modification time (ns).

    The manifest is replaced by a new file at every write; with both the inode and the
    nanosecond modification time, two writes are told apart unless they reuse the inode within
    one clock tick.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a store method under the store's lock, so ``refresh`` never reconnects mid-call.

    A read can still meet another process's write half done (Chroma: "Error finding id"):
    the method is then run once more on a freshly opened client, and if that fails too,
    ``IndexChangingError`` says so instead of a stack trace.
    """

    @functools.wraps(method)
    def run(self: PassageStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                if not _is_chroma_error(exc):
                    raise
            self._reopen()
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                if not _is_chroma_error(exc):
                    raise
                msg = (
                    f"the index at {self.index_dir} is being changed by another process; "
                    "ask again in a moment"
                )
                raise IndexChangingError(msg) from exc

    return run


def _is_chroma_error(exc: Exception) -> bool:
    from chromadb.errors import ChromaError

    return isinstance(exc, ChromaError)


class PassageStore:
    """A Chroma collection of passages under ``index_dir``, with its manifest.

    Example:
        >>> config = IndexConfig("multilingual-e5-small", 1000, 1)
        >>> store = PassageStore.open(Path("/tmp/idx"), config, create=True)  # doctest: +SKIP
    """

    def __init__(self, index_dir: Path, manifest: Manifest) -> None:
        """Use ``PassageStore.open``; this binds an already-checked manifest."""
        self.index_dir = index_dir
        self.manifest = manifest
        # Gradio answers from several threads; a reconnect must not pull the collections out
        # from under a search in progress.
        self._lock = threading.RLock()
        self._manifest_stamp = _stamp(index_dir / MANIFEST_NAME)
        self._client: Any = None
        self._connect()

    def _connect(self) -> None:
        client = _client(self.index_dir / CHROMA_DIR)
        # No embedding function: Fineprint embeds itself, and Chroma's default would download one.
        self._collection = client.get_or_create_collection(
            COLLECTION_NAME, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._sentences = client.get_or_create_collection(
            SENTENCE_COLLECTION_NAME,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._client = client

    def close(self) -> None:
        """Release the Chroma client (idempotent); the store cannot be used afterwards.

        Chroma shares one engine among the clients of a folder in a process and reloads the
        folder from disk only once all of them are closed, so every store that is done with an
        index should close: ``ingest`` does, and ``with PassageStore.open(...)`` does.
        """
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> PassageStore:
        """The store itself; ``close`` is called on leaving the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    @classmethod
    def open(
        cls, index_dir: Path, config: IndexConfig | None = None, *, create: bool = False
    ) -> PassageStore:
        """Open the index at ``index_dir``.

        Args:
            index_dir: The index folder.
            config: The settings the caller will use; they must match the index's own.
            create: Create an empty index when there is none.

        Raises:
            IndexMissingError: No index there and ``create`` is false.
            IndexMismatchError: The index was built with other settings.
        """
        manifest = Manifest.read(index_dir)
        if manifest is None:
            if not create or config is None:
                msg = (
                    f"no index at {index_dir}; build one with "
                    f"'fineprint ingest --index {index_dir}'"
                )
                raise IndexMissingError(msg)
            manifest = Manifest(config=config)
            manifest.write(index_dir)
        elif config is not None and manifest.config != config:
            msg = (
                f"the index at {index_dir} was built with {manifest.config.describe()}, "
                f"but {config.describe()} was asked for. Passages embedded by different "
                f"models cannot be searched together: run 'fineprint ingest --rebuild' to "
                f"re-index, or use the index's settings."
            )
            raise IndexMismatchError(msg)
        return cls(index_dir, manifest)

    def refresh(self) -> bool:
        """Follow changes another process made to the index since the last look.

        When the manifest on disk is not the one read last, it is read again and the Chroma
        client reopened, so passages added, changed or removed by ``fineprint ingest`` in another
        process are seen at once by a running server.

        Returns:
            Whether the index had changed.

        Raises:
            IndexDamagedError: The new manifest cannot be read.
        """
        with self._lock:
            stamp = _stamp(self.index_dir / MANIFEST_NAME)
            if stamp == self._manifest_stamp:
                return False
            self._reopen()
            return True

    def _reopen(self) -> None:
        """Read the manifest again and open a new Chroma client (under the lock)."""
        with self._lock:
            self._manifest_stamp = _stamp(self.index_dir / MANIFEST_NAME)
            manifest = Manifest.read(self.index_dir)
            if manifest is not None:
                self.manifest = manifest
            self.close()
            self._connect()

    @staticmethod
    def destroy(index_dir: Path) -> None:
        """Delete the index at ``index_dir`` (what ``--rebuild`` does first)."""
        chroma_dir = index_dir / CHROMA_DIR
        if chroma_dir.exists():
            # Chroma keeps one live client per folder for the life of the process; deleting the
            # files under it breaks every later client there ("Failed to get segments"). So drop
            # the collections through Chroma, and delete the files only if it cannot open them.
            try:
                client = _client(chroma_dir)
                try:
                    for collection in client.list_collections():
                        client.delete_collection(collection.name)
                finally:
                    client.close()
            except Exception:
                shutil.rmtree(chroma_dir)
        (index_dir / MANIFEST_NAME).unlink(missing_ok=True)

    @_locked
    def count(self) -> int:
        """Number of passages in the collection."""
        return self._collection.count()

    @_locked
    def replace_document(
        self,
        doc_id: str,
        passages: list[Document],
        vectors: list[list[float]],
        sentences: list[Document] | None = None,
        sentence_vectors: list[list[float]] | None = None,
    ) -> None:
        """Make ``passages`` (and ``sentences``) the only ones of ``doc_id`` in the store."""
        self.delete_document(doc_id)
        if sentences and sentence_vectors:
            self._sentences.upsert(
                ids=[str(s.id) for s in sentences],
                embeddings=sentence_vectors,
                documents=[s.page_content for s in sentences],
                metadatas=[_chroma_safe(s.metadata) for s in sentences],
            )
        if not passages:
            return
        metadatas = []
        for passage in passages:
            meta = _chroma_safe(passage.metadata)
            metadatas.append(meta)
        self._collection.upsert(
            ids=[str(p.id) for p in passages],
            embeddings=vectors,
            documents=[p.page_content for p in passages],
            metadatas=metadatas,
        )

    @_locked
    def delete_document(self, doc_id: str) -> None:
        """Remove every passage and sentence of ``doc_id``."""
        self._collection.delete(where={"doc_id": doc_id})
        self._sentences.delete(where={"doc_id": doc_id})

    @_locked
    def stored_doc_ids(self) -> set[str]:
        """The document ids with passages or sentences in the store (for repairing after a crash).

        Both collections count: a crash between writing a document's sentences and its passages
        leaves sentences that no passage vouches for.
        """
        ids: set[str] = set()
        for collection in (self._collection, self._sentences):
            for metadata in self._iter_metadatas(collection):
                ids.add(str(metadata.get("doc_id", "")))
        return ids

    def _iter_metadatas(self, collection: Any) -> Any:
        offset = 0
        while True:
            page = collection.get(include=["metadatas"], limit=_GET_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield from page["metadatas"]
            offset += len(page["ids"])

    @_locked
    def all_passages(self) -> list[Document]:
        """Every passage with its metadata, in a stable order (for the lexical index)."""
        passages: list[Document] = []
        offset = 0
        while True:
            page = self._collection.get(
                include=["documents", "metadatas"], limit=_GET_PAGE, offset=offset
            )
            if not page["ids"]:
                break
            passages.extend(_documents(page))
            offset += len(page["ids"])
        passages.sort(key=lambda p: (p.metadata.get("doc_id", ""), p.metadata.get("start", 0)))
        return passages

    @_locked
    def search(
        self, vector: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[ScoredPassage]:
        """The ``k`` passages closest to ``vector``, optionally filtered by metadata."""
        total = self.count()
        if total == 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector],
            n_results=min(k, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            ScoredPassage(passage, 1.0 - distance)
            for passage, distance in _rows(result, "distances", row=0)
        ]

    @_locked
    def passage_vectors(self, passage_ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of ``passage_ids``."""
        if not passage_ids:
            return {}
        page = self._collection.get(ids=passage_ids, include=["embeddings"])
        return {pid: list(v) for pid, v in zip(page["ids"], page["embeddings"], strict=True)}

    @_locked
    def sentences_of(self, doc_ids: list[str]) -> tuple[list[Document], list[list[float]]]:
        """All stored sentences of ``doc_ids`` with their vectors."""
        if not doc_ids:
            return [], []
        page = self._sentences.get(
            where={"doc_id": {"$in": sorted(set(doc_ids))}},
            include=["documents", "metadatas", "embeddings"],
        )
        rows = _rows(page, "embeddings")
        return [entry[0] for entry in rows], [list(entry[1]) for entry in rows]

    def size_on_disk(self) -> int:
        """Bytes the index folder takes."""
        return sum(p.stat().st_size for p in self.index_dir.rglob("*") if p.is_file())
