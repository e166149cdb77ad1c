"""The side index: a SQLite file beside Chroma with what retrieval needs without Chroma.

Chroma holds vectors for search; this file holds, per passage, its text, metadata and
pre-tokenised words in an FTS5 table (BM25 via FTS5's ``bm25()``), and per document its
metadata, section headings, the acronyms it defines, its words (the corpus vocabulary, counted
by document) and its sentences with their vectors (one row: the sentences as JSON, the vectors
as one float32 blob). A process starts from a few small rows instead of reading every passage
out of Chroma and tokenising it, and a question reads its candidates' sentence vectors here:
fetching them from Chroma (``get`` by doc id with embeddings) was most of a question's time at
877 documents (582/2237 ms p50/p95 of 777/2234 ms).

SQLite FTS5 was chosen over bm25s on measurements (``evals/bench_lexical.py``: 300 OTA
documents, 14,284 passages, 2 cores): build 0.19 s (bm25s 0.35 s with saving), open to first
query 0.7 ms (bm25s 3.2 ms, mmap), query p50/p95 3.2/13.0 ms (bm25s 0.7/1.0 ms; rank_bm25
13.4/25.3 ms, rebuilt in every process). bm25s answers faster but cannot change one document:
every ingested document would rebuild it, and readers would need their own way to see a whole
index and never half of one. FTS5 updates a document in one transaction, and WAL lets readers
keep a snapshot while an ingest writes.

Kept in step by ``PassageStore`` wherever it writes Chroma (``replace_document``,
``delete_document``, ``save_manifest``), and stamped with the manifest's build id and generation.
A file whose stamp is not the index's is brought up to date from Chroma (``catch_up``): rebuilt
once when the build differs, else only the documents whose content hash changed. On a Chroma
server the file is a cache on each machine (``qa.index.location.ServerIndex.side_path``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from qa.index.chunking import SECTION_SEPARATOR
from qa.index.sentence_rows import StoredSentences
from qa.retrieve.acronyms import defined_acronyms
from qa.retrieve.lexical import searchable, tokenize

# Bumped when the tables or what they hold change: an older file is rebuilt.
# 2: per-document sentences and their vectors (``sentences``).
SIDE_VERSION = 2
# How long a writer waits for another process's write transaction, in seconds.
BUSY_SECONDS = 60.0
# Documents whose passages are fetched from Chroma per request while catching up.
CATCH_UP_BATCH = 50
# Documents whose sentences are fetched per request: their vectors are most of the bytes (about
# 300 sentences x 384 floats per policy, several MB as JSON from a server), so fewer at a time.
SENTENCE_BATCH = 10
# How sentence vectors are stored: float32, as Chroma keeps them, so a question scores the
# same with and without the side index (to float32 rounding: Chroma returns its cosine index's
# renormalised copy once it has compacted a collection, this file the vectors it was given).
VECTOR_DTYPE = np.dtype("<f4")
_WORD = re.compile(r"\w+")
# FTS5 splits the stored tokens at spaces only: they are already ``tokenize``'s stems, so
# unicode61 must keep "_" inside a token and leave diacritics alone.
_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '_'"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    sections TEXT NOT NULL,
    passages INTEGER NOT NULL,
    acronyms TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages (doc_id, start);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    dimensions INTEGER NOT NULL,
    items TEXT NOT NULL,
    vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS vocabulary (word TEXT PRIMARY KEY, documents INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(tokens, tokenize="{_TOKENIZER}");
CREATE VIRTUAL TABLE IF NOT EXISTS lexical_terms USING fts5vocab(lexical, 'row');
"""
# Reads every passage of the index (a rebuild) or of some documents (catching up).
PassageSource = Callable[[list[str] | None], list[Document]]
# Reads the sentences of some documents (context lines left out) and their vectors, one row
# of shape ``(sentences, dimensions)`` per sentence, in step.
SentenceSource = Callable[[list[str]], tuple[list[Document], np.ndarray]]


def _safe(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata Chroma keeps (scalars), so both stores hand back the same dict."""
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}


def _words(passages: Iterable[Document]) -> set[str]:
    """Every word of the passages' titles and texts, casefolded (the vocabulary's unit)."""
    return {
        word
        for p in passages
        for word in _WORD.findall(f"{p.metadata.get('title', '')} {p.page_content}".casefold())
    }


def section_names(passages: list[Document]) -> list[str]:
    """The last heading of each passage's section, most passages first (the page lists them)."""
    counts: Counter[str] = Counter()
    for passage in passages:
        section = str(passage.metadata.get("section") or "")
        if section:
            counts[section.split(SECTION_SEPARATOR)[-1].strip()] += 1
    return [name for name, _ in counts.most_common()]


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the side file at ``path`` (created with its tables), in autocommit mode.

    Transactions are explicit (``BEGIN``): a reader's snapshot lasts as long as it wants, and
    a writer takes the write lock before it reads what it will change.

    Raises:
        sqlite3.Error: The file cannot be opened or is not a SQLite database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
    )
    # WAL: readers keep their snapshot while a writer commits, and never block it.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    return conn


class SideIndex:
    """The side file of one index: written by ingest, read by catalogs (``qa.retrieve``).

    Example:
        >>> side = SideIndex(Path("/tmp/idx/lexical.sqlite"))  # doctest: +SKIP
        >>> side.replace_document("a.md", passages, content_hash)  # doctest: +SKIP
    """

    def __init__(self, path: Path) -> None:
        """The side file at ``path``; nothing is opened until the first write or read."""
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        return self._conn

    def close(self) -> None:
        """Close the writer's connection (idempotent; it reopens on the next write)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def stamp(self) -> tuple[str, int] | None:
        """The ``(build_id, generation)`` the file reflects; ``None`` for a new or older file."""
        with self._lock:
            return _read_stamp(self._connection())

    def replace_document(
        self,
        doc_id: str,
        passages: list[Document],
        content_hash: str,
        sentences: list[Document] | None = None,
        sentence_vectors: Any = None,
    ) -> None:
        """Make ``passages`` and ``sentences`` the only ones of ``doc_id`` (one transaction).

        Args:
            doc_id: The document.
            passages: Its passages, with ``start`` and ``doc_id`` in their metadata.
            content_hash: The hash of the file they came from (what ``catch_up`` compares).
            sentences: Its sentences as stored in Chroma's sentence collection (``start`` and
                ``end`` in their metadata); context lines (``start`` < 0) are left out.
            sentence_vectors: One vector per sentence, shape ``(len(sentences), dimensions)``
                (a list of lists or an array); ``None`` or empty stores no sentences.

        Raises:
            ValueError: ``sentence_vectors`` has not one row per sentence.
        """
        with self._lock, _writing(self._connection()) as conn:
            _delete(conn, doc_id)
            _insert(conn, doc_id, passages, content_hash)
            _insert_sentences(conn, doc_id, sentences or [], sentence_vectors)

    def delete_document(self, doc_id: str) -> None:
        """Remove every passage and sentence of ``doc_id`` and its share of the vocabulary."""
        with self._lock, _writing(self._connection()) as conn:
            _delete(conn, doc_id)

    def mark(self, build_id: str, generation: int) -> None:
        """Record that the file reflects ``generation`` of build ``build_id``.

        A file never goes back to an older generation of the same build: a reader catching up
        after an ingest has moved on leaves the ingest's stamp.
        """
        with self._lock, _writing(self._connection()) as conn:
            _mark(conn, build_id, generation)

    def catch_up(
        self,
        build_id: str,
        generation: int,
        content_hashes: dict[str, str],
        read: PassageSource,
        read_sentences: SentenceSource,
        *,
        check_all: bool = False,
    ) -> int:
        """Bring the file up to ``generation`` of ``build_id`` from Chroma, if it is behind.

        Another build (or none yet, or an older layout): the file is emptied and filled from
        every passage (``read(None)``, Chroma once) and every document's sentences
        (``read_sentences``, ``SENTENCE_BATCH`` documents per request). The same build:
        documents whose content hash differs from ``content_hashes`` (the manifest's) are read
        again with ``read(doc_ids)`` and ``read_sentences(doc_ids)``, and those gone are
        dropped. One write transaction: readers see the file before or after, and two
        processes catching up at once do it once.

        Args:
            build_id: The manifest's build id.
            generation: The manifest's generation.
            content_hashes: Content hash of every document in the manifest, by doc id.
            read: Reads the passages of the given doc ids (all with ``None``) from Chroma.
            read_sentences: Reads the sentences of the given doc ids, with their vectors.
            check_all: Compare the content hashes even when the stamp is current.

        Returns:
            How many documents were read from Chroma (0: the file was up to date).
        """
        with self._lock:
            conn = self._connection()
            if not check_all and _is_current(_read_stamp(conn), build_id, generation):
                return 0
            with _writing(conn):
                stamp = _read_stamp(conn)
                if not check_all and _is_current(stamp, build_id, generation):
                    return 0
                if stamp is None or stamp[0] != build_id:
                    _clear(conn)
                    passages = read(None)
                    by_doc: dict[str, list[Document]] = {}
                    for passage in passages:
                        by_doc.setdefault(str(passage.metadata["doc_id"]), []).append(passage)
                    for doc_id, items in by_doc.items():
                        _insert(conn, doc_id, items, content_hashes.get(doc_id, ""))
                    _fill_sentences(conn, sorted(by_doc), read_sentences)
                    _mark(conn, build_id, generation)
                    return len(by_doc)
                stored = dict(conn.execute("SELECT doc_id, content_hash FROM documents"))
                for doc_id in set(stored) - set(content_hashes):
                    _delete(conn, doc_id)
                changed = sorted(
                    doc for doc, value in content_hashes.items() if stored.get(doc) != value
                )
                for start in range(0, len(changed), CATCH_UP_BATCH):
                    batch = changed[start : start + CATCH_UP_BATCH]
                    by_doc = {doc: [] for doc in batch}
                    for passage in read(batch):
                        by_doc.setdefault(str(passage.metadata["doc_id"]), []).append(passage)
                    for doc_id, items in by_doc.items():
                        _delete(conn, doc_id)
                        if items:
                            _insert(conn, doc_id, items, content_hashes.get(doc_id, ""))
                    _fill_sentences(conn, batch, read_sentences)
                _mark(conn, build_id, generation)
                return len(changed)


class _writing:
    """``with _writing(conn):`` one write transaction, taken before anything is read."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")


def _read_stamp(conn: sqlite3.Connection) -> tuple[str, int] | None:
    values = dict(conn.execute("SELECT key, value FROM meta"))
    if values.get("version") != str(SIDE_VERSION) or "build_id" not in values:
        return None
    return values["build_id"], int(values["generation"])


def _is_current(stamp: tuple[str, int] | None, build_id: str, generation: int) -> bool:
    return stamp is not None and stamp[0] == build_id and stamp[1] >= generation


def _mark(conn: sqlite3.Connection, build_id: str, generation: int) -> None:
    stamp = _read_stamp(conn)
    if stamp is not None and stamp[0] == build_id and stamp[1] > generation:
        return
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("version", str(SIDE_VERSION)), ("build_id", build_id), ("generation", str(generation))],
    )


def _clear(conn: sqlite3.Connection) -> None:
    for table in ("meta", "documents", "passages", "sentences", "vocabulary", "lexical"):
        conn.execute(f"DELETE FROM {table}")


def _insert(
    conn: sqlite3.Connection, doc_id: str, passages: list[Document], content_hash: str
) -> None:
    """Add one document that is not in the file (its passages, words and row)."""
    passages = sorted(passages, key=lambda p: int(p.metadata.get("start", 0)))
    for passage in passages:
        meta = _safe(passage.metadata)
        cursor = conn.execute(
            "INSERT INTO passages (id, doc_id, start, text, metadata) VALUES (?, ?, ?, ?, ?)",
            (
                str(passage.id),
                doc_id,
                int(meta.get("start", 0)),
                passage.page_content,
                json.dumps(meta, ensure_ascii=False),
            ),
        )
        tokens = tokenize(searchable(passage), str(meta.get("language") or "en"))
        conn.execute(
            "INSERT INTO lexical (rowid, tokens) VALUES (?, ?)",
            (cursor.lastrowid, " ".join(tokens)),
        )
    conn.executemany(
        "INSERT INTO vocabulary (word, documents) VALUES (?, 1) "
        "ON CONFLICT (word) DO UPDATE SET documents = documents + 1",
        [(word,) for word in sorted(_words(passages))],
    )
    if passages:
        acronyms = list(defined_acronyms(p.page_content for p in passages).items())
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc_id,
                content_hash,
                json.dumps(_safe(passages[0].metadata), ensure_ascii=False),
                json.dumps(section_names(passages), ensure_ascii=False),
                len(passages),
                json.dumps(acronyms, ensure_ascii=False),
            ),
        )


def _delete(conn: sqlite3.Connection, doc_id: str) -> None:
    """Remove one document's passages, words and row (nothing when it is not there)."""
    rows = conn.execute(
        "SELECT rowid, id, text, metadata FROM passages WHERE doc_id = ?", (doc_id,)
    ).fetchall()
    if rows:
        old = [
            Document(page_content=text, metadata=json.loads(meta), id=pid)
            for _, pid, text, meta in rows
        ]
        words = [(word,) for word in sorted(_words(old))]
        conn.executemany("UPDATE vocabulary SET documents = documents - 1 WHERE word = ?", words)
        conn.execute("DELETE FROM vocabulary WHERE documents <= 0")
        conn.executemany("DELETE FROM lexical WHERE rowid = ?", [(row[0],) for row in rows])
        conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))


def _fill_sentences(
    conn: sqlite3.Connection, doc_ids: list[str], read_sentences: SentenceSource
) -> None:
    """Write the sentence rows of ``doc_ids`` (none of which has one) from Chroma, in batches."""
    for start in range(0, len(doc_ids), SENTENCE_BATCH):
        batch = doc_ids[start : start + SENTENCE_BATCH]
        sentences, vectors = read_sentences(batch)
        rows: dict[str, list[int]] = {doc: [] for doc in batch}
        for row, sentence in enumerate(sentences):
            rows.setdefault(str(sentence.metadata["doc_id"]), []).append(row)
        matrix = np.asarray(vectors, dtype=VECTOR_DTYPE)
        for doc_id, picked in rows.items():
            if picked:
                _insert_sentences(conn, doc_id, [sentences[i] for i in picked], matrix[picked])


def _insert_sentences(
    conn: sqlite3.Connection, doc_id: str, sentences: list[Document], vectors: Any
) -> None:
    """Add the sentence row of one document that has none (nothing for no sentences).

    The row holds what ``PassageStore.sentences_of`` returns for the document: sentences in
    text order as ``[id, text, metadata]`` JSON, and their vectors as one blob of
    ``VECTOR_DTYPE``, row by row in the same order.

    Raises:
        ValueError: ``vectors`` has not one row per sentence.
    """
    if not sentences or vectors is None or len(vectors) == 0:
        return
    matrix = np.asarray(vectors, dtype=VECTOR_DTYPE)
    if matrix.ndim != 2 or len(matrix) != len(sentences):
        msg = f"{doc_id}: {len(sentences)} sentences but vectors of shape {matrix.shape}"
        raise ValueError(msg)
    # Context lines (pooled passage vectors) share the collection but are not sentences.
    kept = [i for i, s in enumerate(sentences) if int(s.metadata.get("start", 0)) >= 0]
    kept.sort(key=lambda i: int(sentences[i].metadata.get("start", 0)))
    if not kept:
        return
    items = [
        [str(sentences[i].id), sentences[i].page_content, _safe(sentences[i].metadata)]
        for i in kept
    ]
    conn.execute(
        "INSERT INTO sentences (doc_id, count, dimensions, items, vectors) VALUES (?, ?, ?, ?, ?)",
        (
            doc_id,
            len(kept),
            matrix.shape[1],
            json.dumps(items, ensure_ascii=False),
            np.ascontiguousarray(matrix[kept]).tobytes(),
        ),
    )


def sentence_row(
    count: int, dimensions: int, items: str, vectors: bytes
) -> tuple[StoredSentences, np.ndarray]:
    """One row of the sentences table as ``(sentences, vectors)``.

    Returns:
        The sentences in text order (``Document`` objects made on first use) and a read-only
        float32 array of shape ``(count, dimensions)`` over the row's bytes, row ``i`` the
        vector of sentence ``i``.
    """
    sentences = StoredSentences(json.loads(items))
    matrix = np.frombuffer(vectors, dtype=VECTOR_DTYPE).reshape(count, dimensions)
    return sentences, matrix.astype(np.float32, copy=False)


def rows_to_documents(rows: Iterable[tuple[str, str, str]]) -> Iterator[Document]:
    """``(id, text, metadata JSON)`` rows of the passages table as ``Document`` objects."""
    for pid, text, meta in rows:
        yield Document(page_content=text, metadata=json.loads(meta), id=pid)
