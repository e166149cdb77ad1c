"""One reader's view of the side index (``qa.index.side``): a snapshot, read row by row.

A catalog keeps one snapshot for the life of its index generation: a SQLite read transaction
on a WAL file, so everything it reads (documents, passages, BM25 statistics, words) is from one
committed state, whatever an ingest writes meanwhile. Nothing is read until asked for, apart
from the small per-document rows.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from qa.index.sentence_rows import StoredSentences
from qa.index.side import connect, rows_to_documents, sentence_row

# SQLite allows 32,766 parameters per statement; ids are sent in chunks well under it.
_ID_CHUNK = 900


class SideSnapshot:
    """A read-only snapshot of one side file, shared by the threads of one catalog.

    Example:
        >>> snapshot = SideSnapshot(Path("/tmp/idx/lexical.sqlite"))  # doctest: +SKIP
        >>> snapshot.search(["contact", "share"], 5)  # doctest: +SKIP
        [('whatsapp.md#3', 7.91), ...]
    """

    def __init__(self, path: Path) -> None:
        """Open ``path`` and start the read transaction that pins its current state.

        Raises:
            sqlite3.Error: The file cannot be opened.
        """
        self._conn = connect(path)
        self._lock = threading.Lock()
        self._conn.execute("BEGIN")
        # The snapshot starts at the first read inside the transaction.
        self.stamp = self._read_stamp()
        self._statistics: tuple[int, float, float] | None = None
        self._total: int | None = None

    def _read_stamp(self) -> tuple[str, int] | None:
        values = dict(self._conn.execute("SELECT key, value FROM meta"))
        if "build_id" not in values:
            return None
        return values["build_id"], int(values["generation"])

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """End the snapshot (a checkpoint may then reclaim what an ingest wrote since)."""
        with self._lock:
            self._conn.close()

    def documents(self) -> dict[str, dict[str, Any]]:
        """Each document's metadata (that of its first passage), by doc id, in doc id order."""
        rows = self._all("SELECT doc_id, metadata FROM documents ORDER BY doc_id")
        return {doc_id: json.loads(meta) for doc_id, meta in rows}

    def outlines(self) -> dict[str, tuple[list[str], int]]:
        """Each document's section headings (most passages first) and passage count."""
        rows = self._all("SELECT doc_id, sections, passages FROM documents ORDER BY doc_id")
        return {doc_id: (json.loads(sections), count) for doc_id, sections, count in rows}

    def acronyms(self) -> list[tuple[str, str]]:
        """``(short, long)`` definitions, document by document in doc id order (first wins)."""
        rows = self._all("SELECT acronyms FROM documents ORDER BY doc_id")
        return [(short, long) for (found,) in rows for short, long in json.loads(found)]

    def passages(self, ids: list[str]) -> dict[str, Document]:
        """The stored passages of ``ids`` (those not in the file are left out), by id."""
        found: dict[str, Document] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT id, text, metadata FROM passages WHERE id IN ({marks})", tuple(chunk)
            )
            found.update((str(doc.id), doc) for doc in rows_to_documents(rows))
        return found

    def sentences(self, doc_ids: list[str]) -> dict[str, tuple[StoredSentences, np.ndarray]]:
        """The stored sentences of ``doc_ids`` in text order, with their vectors, by doc id.

        Read per document on demand (nothing at start-up): each value is the sentences and a
        float32 array of shape ``(sentences, dimensions)``, rows in step. A document without
        sentences in the file (none stored, or not in the file) is left out.
        """
        found: dict[str, tuple[StoredSentences, np.ndarray]] = {}
        for start in range(0, len(doc_ids), _ID_CHUNK):
            chunk = doc_ids[start : start + _ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                "SELECT doc_id, count, dimensions, items, vectors FROM sentences "
                f"WHERE doc_id IN ({marks})",
                tuple(chunk),
            )
            for doc_id, count, dimensions, items, vectors in rows:
                found[doc_id] = sentence_row(count, dimensions, items, vectors)
        return found

    def passage_ids(self, doc_id: str | None = None) -> list[str]:
        """Every passage id (of ``doc_id`` if given), in (doc id, start) order."""
        if doc_id is None:
            rows = self._all("SELECT id FROM passages ORDER BY doc_id, start")
        else:
            rows = self._all("SELECT id FROM passages WHERE doc_id = ? ORDER BY start", (doc_id,))
        return [pid for (pid,) in rows]

    def has_word(self, word: str) -> bool:
        """Whether some document's title or text has ``word`` (casefolded)."""
        return bool(self._all("SELECT 1 FROM vocabulary WHERE word = ?", (word,)))

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word of the corpus starts with ``prefix`` (casefolded)."""
        rows = self._all(
            "SELECT word FROM vocabulary WHERE word >= ? ORDER BY word LIMIT 1", (prefix,)
        )
        return bool(rows) and str(rows[0][0]).startswith(prefix)

    def words(self) -> list[str]:
        """Every word of the corpus, sorted."""
        return [word for (word,) in self._all("SELECT word FROM vocabulary ORDER BY word")]

    def word_documents(self, min_length: int) -> list[tuple[str, int]]:
        """Every word of at least ``min_length`` characters with how many documents have it."""
        return [
            (str(word), int(count))
            for word, count in self._all(
                "SELECT word, documents FROM vocabulary WHERE length(word) >= ?", (min_length,)
            )
        ]

    def word_count(self) -> int:
        """How many distinct words the corpus has."""
        return int(self._all("SELECT count(*) FROM vocabulary")[0][0])

    def search(
        self, tokens: list[str], k: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best passages for ``tokens`` by FTS5's BM25, as ``(id, score)``, best first.

        A passage matches when it holds any token; ``score`` is ``-bm25()`` (higher is better).
        Ties go to the earlier passage (doc id, then position), as the in-memory index did.
        ``allowed`` restricts the hits to those doc ids before ``k`` is counted.
        """
        if not tokens or (allowed is not None and not allowed):
            return []
        # Each token a quoted FTS5 string: stems are word characters, never query syntax.
        match = " OR ".join('"' + token.replace('"', '""') + '"' for token in tokens)
        where, params = "lexical MATCH ?", [match]
        if allowed is not None:
            where += " AND p.doc_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(sorted(allowed)))
        rows = self._all(
            "SELECT p.id, bm25(lexical) AS score FROM lexical "
            "JOIN passages p ON p.rowid = lexical.rowid "
            f"WHERE {where} ORDER BY score, p.doc_id, p.start LIMIT ?",
            (*params, k),
        )
        return [(pid, -float(score)) for pid, score in rows]

    def document_frequencies(self, tokens: list[str]) -> dict[str, int]:
        """How many passages hold each token (tokens no passage holds are left out)."""
        wanted = sorted(set(tokens))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._all(
            f"SELECT term, doc FROM lexical_terms WHERE term IN ({marks})", tuple(wanted)
        )
        return {term: int(count) for term, count in rows}

    def passage_count(self) -> int:
        """How many passages the file holds (counted once: a snapshot does not change)."""
        if self._total is None:
            self._total = int(self._all("SELECT count(*) FROM passages")[0][0])
        return self._total

    def idf_statistics(self) -> tuple[int, float, float]:
        """``(passages, mean idf, highest idf)`` over every term, with Okapi's idf.

        Read once per snapshot, on first use: it scans every term (about 50 ms at 14,000
        passages), and only words in more than half of the passages or in none need it.
        """
        if self._statistics is None:
            total = self.passage_count()
            frequencies = [int(n) for (n,) in self._all("SELECT doc FROM lexical_terms")]
            idfs = [okapi_idf(total, n) for n in frequencies]
            self._statistics = (
                total,
                math.fsum(idfs) / len(idfs) if idfs else 0.0,
                max(idfs, default=1.0),
            )
        return self._statistics


def okapi_idf(total: int, holding: int) -> float:
    """Okapi BM25's idf of a term ``holding`` of ``total`` passages hold (rank_bm25's formula).

    Example:
        >>> round(okapi_idf(4, 1), 3)
        0.847
    """
    return math.log((total - holding + 0.5) / (holding + 0.5))
