"""Sentence vectors computed at question time, for indexes that do not embed sentences.

An index built with ``sentence_vectors = "lazy"`` stores each sentence with its passage's
vector as a stand-in, so the sentences of a passage score alike until they are embedded. The
sentences inside a question's best candidates are embedded when first needed and kept in memory
by the hash of their text (any passage, document or version with that text reuses it), so each
distinct text is embedded at most once per process.

With a side index, what was embedded is also kept on disk beside it (``VectorFile``, by model
and text hash), so a new process (``fineprint ask``, a restarted server, another server on the
same folder) does not embed it again. Keeping it is best effort: a read-only folder or a file
another process holds for long only means embedding again, never a failed question.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from qa.load.corpus import content_hash
from qa.retrieve.catalog import ScoredSentence

_LOG = logging.getLogger(__name__)
# Vectors kept in memory before the cache starts over (about 150 MB at 384 dims).
CACHE_LIMIT = 100_000
# How long a question waits for another process writing the vector file, in seconds: its
# writes are a few rows, so anything longer means something is wrong, and embedding is cheaper.
VECTOR_FILE_BUSY_SECONDS = 1.0
# SQLite allows 32,766 parameters per statement; keys are looked up in chunks well under it.
_KEY_CHUNK = 900
_VECTOR_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID;
"""


class VectorFile:
    """Sentence vectors embedded at question time, kept on disk by model and text hash.

    A SQLite file of ``(model, text hash) -> float32 vector`` rows. Vectors depend only on the
    model and the text, so the file never goes stale: rebuilding the index keeps it, another
    model keeps its own rows. Every failure (a read-only folder, a locked or damaged file) is
    logged and treated as "not kept": the caller embeds instead.

    Example:
        >>> kept = VectorFile(Path("/tmp/idx/lexical.lazy-vectors.sqlite"))  # doctest: +SKIP
        >>> kept.get("multilingual-e5-small", ["3f2a..."])  # doctest: +SKIP
        {}
    """

    def __init__(self, path: Path) -> None:
        """The file at ``path``; it is created on the first write, not before."""
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self, create: bool) -> sqlite3.Connection | None:
        if self._conn is None and (create or self.path.exists()):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=VECTOR_FILE_BUSY_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            # WAL: a process reading never blocks one writing, and the reverse.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_VECTOR_SCHEMA)
            self._conn = conn
        return self._conn

    def get(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        """The kept vectors of ``keys`` (text hashes) for ``model``; those not kept are left out.

        Returns:
            Float32 vectors of shape ``(dimensions,)`` by key; ``{}`` if the file cannot be read.
        """
        found: dict[str, np.ndarray] = {}
        try:
            with self._lock:
                conn = self._connection(create=False)
                if conn is None:
                    return found
                for start in range(0, len(keys), _KEY_CHUNK):
                    chunk = keys[start : start + _KEY_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                        (model, *chunk),
                    ).fetchall()
                    found.update((key, np.frombuffer(blob, dtype="<f4")) for key, blob in rows)
        except sqlite3.Error as exc:
            _LOG.warning("sentence vectors in %s not read (%s)", self.path, exc)
            return {}
        return found

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Keep ``vectors`` (by text hash) for ``model``; nothing happens if it cannot write."""
        if not vectors:
            return
        rows = [
            (model, key, np.asarray(vector, dtype="<f4").tobytes())
            for key, vector in vectors.items()
        ]
        try:
            with self._lock:
                conn = self._connection(create=True)
                if conn is None:
                    return
                # One transaction for the question's rows, not one per row.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(
                        "INSERT OR IGNORE INTO vectors (model, key, vector) VALUES (?, ?, ?)", rows
                    )
                except sqlite3.Error:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            _LOG.warning("sentence vectors not kept in %s (%s)", self.path, exc)

    def close(self) -> None:
        """Close the file (idempotent; it reopens on the next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


_FILES: dict[Path, VectorFile] = {}
_FILES_LOCK = threading.Lock()


def vector_file(side_path: Path) -> VectorFile:
    """The vector file kept beside the side file at ``side_path`` (one object per process)."""
    path = side_path.with_name(f"{side_path.stem}.lazy-vectors.sqlite")
    with _FILES_LOCK:
        return _FILES.setdefault(path, VectorFile(path))


class LazySentenceVectors:
    """Embeds the sentences of chosen passages on first use and rescores them.

    Example:
        >>> lazy = LazySentenceVectors()
        >>> lazy.rescore(embeddings, scored, passages, query)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        """An empty cache (text hash -> unit vector)."""
        self._vectors: dict[tuple[int, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self.embedded = 0

    def rescore(
        self,
        embeddings: Embeddings,
        sentences: list[ScoredSentence],
        passages: list[Document],
        query: np.ndarray,
        min_chars: int = 0,
        kept: tuple[VectorFile, str] | None = None,
    ) -> list[ScoredSentence]:
        """``sentences`` with the true cosine for those inside ``passages``, others as given.

        Args:
            embeddings: The index's embedding model (``embed_documents`` adds its prefix).
            sentences: Scored stored sentences inside the candidate passages.
            passages: The passages whose sentences get their own vectors.
            query: The question's unit vector, shape ``(dim,)``.
            min_chars: Shorter sentences are left as given: they never score or get quoted
                (``Settings.min_sentence_chars``), so embedding them would be wasted.
            kept: A vector file and the model's name: vectors not in memory are looked up
                there before embedding, and those embedded are added to it.

        Returns:
            A new list in the order of ``sentences``.
        """
        spans: dict[str, list[tuple[int, int]]] = {}
        for passage in passages:
            meta = passage.metadata
            spans.setdefault(meta["doc_id"], []).append((int(meta["start"]), int(meta["end"])))
        inside = [
            index
            for index, item in enumerate(sentences)
            if len(item.sentence.page_content) >= min_chars
            and _within(item.sentence, spans.get(item.sentence.metadata["doc_id"], []))
        ]
        texts = {index: sentences[index].sentence.page_content for index in inside}
        keys = {index: content_hash(text.encode("utf-8")) for index, text in texts.items()}
        vectors = self._vectors_for(embeddings, {keys[i]: texts[i] for i in inside}, kept)
        rescored = list(sentences)
        for index in inside:
            rescored[index] = ScoredSentence(
                sentences[index].sentence, float(vectors[keys[index]] @ query)
            )
        return rescored

    def _vectors_for(
        self,
        embeddings: Embeddings,
        texts: dict[str, str],
        kept: tuple[VectorFile, str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Vectors by text hash: from memory, then the vector file, embedding the rest in one
        call (and adding them to the file)."""
        model = id(embeddings)
        with self._lock:
            cached = {key: self._vectors.get((model, key)) for key in texts}
        found = {key: vector for key, vector in cached.items() if vector is not None}
        missing = [key for key in texts if key not in found]
        if missing and kept is not None:
            stored = kept[0].get(kept[1], missing)
            self._remember(model, stored)
            found.update(stored)
            missing = [key for key in missing if key not in stored]
        if missing:
            computed = np.asarray(
                embeddings.embed_documents([texts[key] for key in missing]), dtype=np.float32
            )
            new = dict(zip(missing, computed, strict=True))
            self._remember(model, new)
            found.update(new)
            with self._lock:
                self.embedded += len(missing)
            if kept is not None:
                kept[0].put(kept[1], new)
        return found

    def _remember(self, model: int, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            if len(self._vectors) > CACHE_LIMIT:
                self._vectors.clear()
            for key, vector in vectors.items():
                self._vectors[(model, key)] = vector


def _within(sentence: Document, spans: list[tuple[int, int]]) -> bool:
    start, end = int(sentence.metadata["start"]), int(sentence.metadata["end"])
    return any(first <= start and end <= last for first, last in spans)


# One cache per process: every chain over any index shares it (keys include the model).
SHARED = LazySentenceVectors()
