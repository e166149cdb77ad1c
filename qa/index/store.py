"""The passage store: a persistent Chroma collection plus its manifest.

Chroma holds passages, vectors and metadata; the manifest records the settings the collection was
built with and which file contents it reflects. ``PassageStore`` refuses to mix embedding models
or chunk settings in one collection.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from qa.errors import IndexMismatchError, IndexMissingError
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


def _documents(result: dict[str, Any], row: int | None = None) -> list[Document]:
    """Chroma's parallel ``ids``/``documents``/``metadatas`` lists as ``Document`` objects.

    ``get`` returns flat lists; ``query`` returns one list per query vector, picked by ``row``.
    """

    def column(name: str) -> list[Any]:
        values = result[name]
        return values[row] if row is not None else values

    return [
        Document(page_content=text, metadata=dict(meta), id=pid)
        for pid, text, meta in zip(
            column("ids"), column("documents"), column("metadatas"), strict=True
        )
    ]


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
        self._manifest_mtime = self._mtime()
        client = _client(index_dir / CHROMA_DIR)
        # No embedding function: Fineprint embeds itself, and Chroma's default would download one.
        self._collection = client.get_or_create_collection(
            COLLECTION_NAME, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._sentences = client.get_or_create_collection(
            SENTENCE_COLLECTION_NAME,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )

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

    def _mtime(self) -> float:
        path = self.index_dir / MANIFEST_NAME
        return path.stat().st_mtime if path.exists() else 0.0

    def refresh(self) -> None:
        """Re-read the manifest if another process changed the index since it was read.

        A running server then sees documents ingested by ``fineprint ingest`` without a restart.
        """
        mtime = self._mtime()
        if mtime != self._manifest_mtime:
            manifest = Manifest.read(self.index_dir)
            if manifest is not None:
                self.manifest = manifest
            self._manifest_mtime = mtime

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
                for collection in client.list_collections():
                    client.delete_collection(collection.name)
            except Exception:
                shutil.rmtree(chroma_dir)
        (index_dir / MANIFEST_NAME).unlink(missing_ok=True)

    def count(self) -> int:
        """Number of passages in the collection."""
        return self._collection.count()

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

    def delete_document(self, doc_id: str) -> None:
        """Remove every passage and sentence of ``doc_id``."""
        self._collection.delete(where={"doc_id": doc_id})
        self._sentences.delete(where={"doc_id": doc_id})

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
            for passage, distance in zip(
                _documents(result, row=0), result["distances"][0], strict=True
            )
        ]

    def passage_vectors(self, passage_ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of ``passage_ids``."""
        if not passage_ids:
            return {}
        page = self._collection.get(ids=passage_ids, include=["embeddings"])
        return {pid: list(v) for pid, v in zip(page["ids"], page["embeddings"], strict=True)}

    def sentences_of(self, doc_ids: list[str]) -> tuple[list[Document], list[list[float]]]:
        """All stored sentences of ``doc_ids`` with their vectors."""
        if not doc_ids:
            return [], []
        page = self._sentences.get(
            where={"doc_id": {"$in": sorted(set(doc_ids))}},
            include=["documents", "metadatas", "embeddings"],
        )
        return _documents(page), [list(vector) for vector in page["embeddings"]]

    def size_on_disk(self) -> int:
        """Bytes the index folder takes."""
        return sum(p.stat().st_size for p in self.index_dir.rglob("*") if p.is_file())
