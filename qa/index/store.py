"""The passage store: Chroma collections of passages and sentences plus their manifest.

Chroma holds passages, vectors and metadata; the manifest records the settings the collections
were built with and which file contents they reflect. ``PassageStore`` refuses to mix embedding
models or chunk settings in one index. The index lives in a folder (embedded Chroma) or on a
Chroma server (``qa.index.location``); the store works the same on both.

An embedded Chroma client keeps what it loaded from disk for as long as it is open, and never
sees what another process writes later (it even returns passages deleted since). So a store
looks at its manifest's stamp before each question (``refresh``) and, when another process has
changed the index, reads the manifest again and opens a new client: the next question sees the
index as it is now. On a server the stamp is one small request, and reopening picks up
collections another process has rebuilt.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from qa.errors import IndexChangingError, IndexMismatchError, IndexMissingError, SettingsError
from qa.index.location import (
    CHROMA_DIR,
    LOCAL_COLLECTIONS,
    LocalIndex,
    ServerIndex,
    index_location,
    is_unreachable,
)
from qa.index.manifest import IndexConfig, Manifest
from qa.index.side import SideIndex
from qa.settings import DEFAULT_CHROMA_INDEX, Settings

COLLECTION_NAME, SENTENCE_COLLECTION_NAME = LOCAL_COLLECTIONS
__all__ = ["CHROMA_DIR", "PassageStore", "ScoredPassage"]
_GET_PAGE = 5000
# Records per write: under Chroma's batch limit, and a few MB per request to a server.
_WRITE_BATCH = 1000
# Text hashes looked up per request when reusing vectors.
_KEY_BATCH = 500


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with the similarity the dense search gave it (cosine, higher is closer)."""

    passage: Document
    score: float


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


def _upsert(collection: Any, items: list[Document], vectors: list[list[float]]) -> None:
    """Write ``items`` with their vectors in batches of ``_WRITE_BATCH``."""
    for start in range(0, len(items), _WRITE_BATCH):
        batch = items[start : start + _WRITE_BATCH]
        collection.upsert(
            ids=[str(item.id) for item in batch],
            embeddings=vectors[start : start + _WRITE_BATCH],
            documents=[item.page_content for item in batch],
            metadatas=[_chroma_safe(item.metadata) for item in batch],
        )


def _documents(result: dict[str, Any]) -> list[Document]:
    """The complete entries of a Chroma ``get`` result as ``Document`` objects."""
    return [entry[0] for entry in _rows(result)]


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a store method under the store's lock, so ``refresh`` never reconnects mid-call.

    A read can still meet another process's write half done (Chroma: "Error finding id"), or,
    on a server, a collection another process has just rebuilt: the method is then run once
    more on a freshly opened client, and if that fails too, ``IndexChangingError`` says so
    instead of a stack trace. A server that does not answer is ``IndexUnreachableError``.
    """

    @functools.wraps(method)
    def run(self: PassageStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                self._raise_unless_changing(exc)
            self._reopen()
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                self._raise_unless_changing(exc)
                msg = f"{self.where} is being changed by another process; ask again in a moment"
                raise IndexChangingError(msg) from exc

    return run


def _is_chroma_error(exc: Exception) -> bool:
    from chromadb.errors import ChromaError

    return isinstance(exc, ChromaError)


class PassageStore:
    """The passages and sentences of one index, in a folder or on a Chroma server.

    Example:
        >>> config = IndexConfig("multilingual-e5-small", 1000, 1)
        >>> store = PassageStore.open(Path("/tmp/idx"), config, create=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        location: LocalIndex | ServerIndex,
        manifest: Manifest,
        index_dir: Path,
        *,
        side_index: bool = True,
    ) -> None:
        """Use ``PassageStore.open`` or ``from_settings``; this binds a checked manifest.

        ``index_dir`` is the index folder; a store on a server keeps the configured one only as
        part of cache keys (``manifest.build_id`` tells builds apart). Without ``side_index``
        the store keeps no side index (``qa.index.side``) and retrieval reads every passage
        into memory instead, as before there was one (for comparisons only).
        """
        self.location = location
        self.side = SideIndex(location.side_path) if side_index else None
        self.index_dir = index_dir
        self.where = location.where
        self.manifest = manifest
        # Gradio answers from several threads; a reconnect must not pull the collections out
        # from under a search in progress.
        self._lock = threading.RLock()
        self._manifest_stamp = location.stamp()
        self._connect()

    def _connect(self) -> None:
        client = self.location.client()
        passages, sentences = self.location.collection_names
        # No embedding function: Fineprint embeds itself, and Chroma's default would download one.
        self._collection = client.get_or_create_collection(
            passages, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._sentences = client.get_or_create_collection(
            sentences, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def _raise_unless_changing(self, exc: Exception) -> None:
        """Re-raise ``exc`` unless it is a Chroma error worth one retry on a new client."""
        if isinstance(self.location, ServerIndex) and is_unreachable(exc):
            raise self.location.unreachable(exc) from exc
        if not _is_chroma_error(exc):
            raise exc

    def close(self) -> None:
        """Release the Chroma client (idempotent); the store cannot be used afterwards.

        Chroma shares one engine among the clients of a folder in a process and reloads the
        folder from disk only once all of them are closed, so every store that is done with an
        index should close: ``ingest`` does, and ``with PassageStore.open(...)`` does.
        """
        with self._lock:
            self.location.close()
            if self.side is not None:
                self.side.close()

    def __enter__(self) -> PassageStore:
        """The store itself; ``close`` is called on leaving the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    @classmethod
    def open(
        cls,
        index_dir: Path,
        config: IndexConfig | None = None,
        *,
        create: bool = False,
        chroma_url: str | None = None,
        chroma_index: str = DEFAULT_CHROMA_INDEX,
        cache_dir: Path | None = None,
        side_index: bool = True,
    ) -> PassageStore:
        """Open the index at ``index_dir``, or the one named ``chroma_index`` at ``chroma_url``.

        Args:
            index_dir: The index folder (used when ``chroma_url`` is ``None``).
            config: The settings the caller will use; they must match the index's own.
            create: Create an empty index when there is none.
            chroma_url: A Chroma server, ``http://HOST:PORT``, holding the index instead.
            chroma_index: The index's name on that server.
            cache_dir: Where a server index's side file is cached (default ``Settings.cache_dir``).
            side_index: Keep the side index (``False``: the old in-memory way, to compare).

        Raises:
            SettingsError: ``chroma_url`` or ``chroma_index`` is malformed.
            IndexMissingError: No index there and ``create`` is false.
            IndexMismatchError: The index was built with other settings.
            IndexDamagedError: The index's manifest cannot be read.
            IndexUnreachableError: The Chroma server does not answer.
        """
        try:
            location = index_location(index_dir, chroma_url, chroma_index, cache_dir)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        return cls.open_at(
            location, config, create=create, index_dir=index_dir, side_index=side_index
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, config: IndexConfig | None = None, *, create: bool = False
    ) -> PassageStore:
        """Open the index ``settings`` point at (``chroma_url`` if set, else ``index_dir``).

        Raises:
            As ``open``.
        """
        return cls.open(
            settings.index_dir,
            config,
            create=create,
            chroma_url=settings.chroma_url,
            chroma_index=settings.chroma_index,
            cache_dir=settings.cache_dir,
            side_index=settings.side_index,
        )

    @classmethod
    def open_at(
        cls,
        location: LocalIndex | ServerIndex,
        config: IndexConfig | None = None,
        *,
        create: bool = False,
        index_dir: Path | None = None,
        side_index: bool = True,
    ) -> PassageStore:
        """Open the index at ``location`` (``open`` without building the location).

        Raises:
            As ``open``.
        """
        manifest = location.read_manifest()
        if manifest is None:
            if not create or config is None:
                # "no index at DIR", "no index 'NAME' on the Chroma server at URL"
                msg = f"no {location.where.removeprefix('the ')}; build one with " + (
                    f"'{location.ingest_hint}'"
                )
                raise IndexMissingError(msg)
            manifest = Manifest(config=config)
            location.write_manifest(manifest)
        elif config is not None and manifest.config != config:
            differs = "; ".join(manifest.config.differences(config))
            msg = (
                f"{location.where} was built with other settings: {differs}. An index is "
                f"built one way throughout: run 'fineprint ingest --rebuild' to re-index, or "
                f"use the index's settings."
            )
            raise IndexMismatchError(msg)
        folder = location.index_dir if isinstance(location, LocalIndex) else None
        return cls(location, manifest, index_dir or folder or Path("."), side_index=side_index)

    def save_manifest(self) -> None:
        """Record ``self.manifest`` with the index (atomically; on a server, what changed).

        Raises:
            IndexBusyError: On a server, this writer lost its lease to another ingest.
            IndexUnreachableError: The Chroma server does not answer.
        """
        with self._lock:
            # The side file first: a reader that sees the new manifest finds it up to date.
            if self.side is not None:
                self.side.mark(self.manifest.build_id, self.manifest.generation)
            self.location.write_manifest(self.manifest)

    def refresh(self) -> bool:
        """Follow changes another process made to the index since the last look.

        When the manifest's stamp is not the one seen last, it is read again and the Chroma
        client reopened, so passages added, changed or removed by ``fineprint ingest`` in another
        process (on a server: on another machine) are seen at once by a running server.

        Returns:
            Whether the index had changed.

        Raises:
            IndexDamagedError: The new manifest cannot be read.
            IndexUnreachableError: The Chroma server does not answer.
        """
        with self._lock:
            if self.location.stamp() == self._manifest_stamp:
                return False
            self._reopen()
            return True

    def _reopen(self) -> None:
        """Read the manifest again and open a new Chroma client (under the lock)."""
        with self._lock:
            self._manifest_stamp = self.location.stamp()
            manifest = self.location.read_manifest()
            if manifest is not None:
                self.manifest = manifest
            self.close()
            self._connect()

    @staticmethod
    def destroy(index_dir: Path) -> None:
        """Delete the index at ``index_dir`` (``LocalIndex.destroy``)."""
        LocalIndex(index_dir).destroy()

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
        """Make ``passages`` (and ``sentences``) the only ones of ``doc_id`` in the store.

        The side index follows once Chroma has them, in one transaction of its own, sentences
        and their vectors included (questions read them there, ``Catalog.sentences``).
        """
        self._delete_vectors(doc_id)
        if sentences and sentence_vectors:
            _upsert(self._sentences, sentences, sentence_vectors)
        if passages:
            _upsert(self._collection, passages, vectors)
        if self.side is not None:
            content = str(passages[0].metadata.get("content_hash", "")) if passages else ""
            if sentences and sentence_vectors:
                self.side.replace_document(doc_id, passages, content, sentences, sentence_vectors)
            else:
                self.side.replace_document(doc_id, passages, content)

    @_locked
    def delete_document(self, doc_id: str) -> None:
        """Remove every passage and sentence of ``doc_id`` (from the side index too)."""
        self._delete_vectors(doc_id)
        if self.side is not None:
            self.side.delete_document(doc_id)

    def _delete_vectors(self, doc_id: str) -> None:
        self._collection.delete(where={"doc_id": doc_id})
        self._sentences.delete(where={"doc_id": doc_id})

    def sync_side(self, *, check_all: bool = False) -> int:
        """Bring the side index up to the manifest's build and generation from Chroma.

        Rebuilt from every passage (Chroma read once) and every document's sentences (a few
        documents per request) when it is of another build, or missing; else only documents
        whose content hash is not the manifest's are read again. With
        ``check_all`` the content hashes are compared even when the stamps agree (an ingest
        starting, to repair what a killed one left).

        Returns:
            How many documents were read from Chroma; 0 without a side index.

        Raises:
            IndexChangingError: Another process kept changing the index meanwhile.
            IndexUnreachableError: The Chroma server does not answer.
        """
        if self.side is None:
            return 0
        manifest = self.manifest
        hashes = {doc: entry.content_hash for doc, entry in manifest.documents.items()}
        return self.side.catch_up(
            manifest.build_id,
            manifest.generation,
            hashes,
            self.passages_of,
            self.sentence_matrix,
            check_all=check_all,
        )

    def passages_of(self, doc_ids: list[str] | None) -> list[Document]:
        """The stored passages of ``doc_ids`` (every passage with ``None``), from Chroma."""
        if doc_ids is None:
            return self.all_passages()
        return self._passages_where({"doc_id": {"$in": sorted(set(doc_ids))}})

    @_locked
    def _passages_where(self, where: dict[str, Any]) -> list[Document]:
        return _documents(self._collection.get(where=where, include=["documents", "metadatas"]))

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
    def vectors_by_key(self, keys: list[str], *, sentences: bool = False) -> dict[str, list[float]]:
        """Stored vectors by the hash of the text they were computed from (``vector_key``).

        Passages (or, with ``sentences``, sentences) of any document count: the same text gets
        the same vector, whichever version or document it was first indexed from.
        """
        collection = self._sentences if sentences else self._collection
        found: dict[str, list[float]] = {}
        for start in range(0, len(keys), _KEY_BATCH):
            page = collection.get(
                where={"vector_key": {"$in": keys[start : start + _KEY_BATCH]}},
                include=["metadatas", "embeddings"],
            )
            for meta, vector in zip(page["metadatas"], page["embeddings"], strict=True):
                if meta is not None and vector is not None:
                    found.setdefault(str(meta.get("vector_key")), list(vector))
        return found

    def sentences_of(self, doc_ids: list[str]) -> tuple[list[Document], list[list[float]]]:
        """All stored sentences of ``doc_ids`` with their vectors, from Chroma.

        Context lines stored for pooled passage vectors (``start`` < 0) are not sentences of
        the text and are left out. Questions read these from the side index instead
        (``Catalog.sentences``) when the store keeps one.
        """
        sentences, matrix = self.sentence_matrix(doc_ids)
        return sentences, [list(row) for row in matrix]

    @_locked
    def sentence_matrix(self, doc_ids: list[str]) -> tuple[list[Document], np.ndarray]:
        """``sentences_of`` with the vectors as one float32 array (what the side index stores).

        Returns:
            The sentences in Chroma's order and an array of shape ``(sentences, dimensions)``,
            row ``i`` the vector of sentence ``i`` (shape ``(0, 0)`` when there is none).
        """
        if not doc_ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        page = self._sentences.get(
            where={"$and": [{"doc_id": {"$in": sorted(set(doc_ids))}}, {"start": {"$gte": 0}}]},
            include=["documents", "metadatas", "embeddings"],
        )
        rows = _rows(page, "embeddings")
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray([entry[1] for entry in rows], dtype=np.float32)
        return [entry[0] for entry in rows], matrix

    def size_on_disk(self) -> int | None:
        """Bytes the index folder takes; ``None`` for an index on a Chroma server."""
        return self.location.size()
