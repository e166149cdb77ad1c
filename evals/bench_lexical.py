"""Lexical engines side by side: SQLite FTS5, bm25s and rank_bm25 on the same passages.

Usage:
    pip install bm25s     # not a dependency: only this comparison uses it
    python evals/bench_lexical.py [--corpus ../shared/ota/contrib-latest] [--documents 300]

The first ``--documents`` files are loaded and chunked as ingest does (no embedding), tokenised
with ``qa.retrieve.lexical.tokenize``, and indexed by each engine: build time, time from opening
a persisted index to its first answer, and query latency over the question files' questions
(top 30, the retriever's ``fetch_k``). Figures of 2026-11-29 (2 cores, 300 documents, 14,284
passages, 290 queries; p50/p95):

    rank_bm25  build 0.14 s   open -        query 13.4/25.3 ms   (in memory only)
    FTS5       build 0.19 s   open 0.7 ms   query 3.2/13.0 ms
    bm25s      build 0.35 s   open 3.2 ms   query 0.7/1.0 ms     (build includes saving)

A first run on a busier machine: FTS5 0.45 s / 1.1 ms / 12.8/51.5 ms, bm25s 1.04 s / 9.9 ms /
1.6/11.8 ms, rank_bm25 0.34 s / 60.8 ms mean.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from qa.errors import LoadError
from qa.index.chunking import chunk_document
from qa.load import load_file
from qa.retrieve.lexical import searchable, tokenize

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
TOP_K = 30


def percentiles(values: list[float]) -> str:
    """``p50/p95`` of ``values`` in ms."""
    return f"{statistics.median(values):.1f}/{statistics.quantiles(values, n=20)[-1]:.1f} ms"


def main() -> None:
    """Print build, open and query figures for each engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/ota/contrib-latest"))
    parser.add_argument("--documents", type=int, default=300)
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.rglob("*") if p.is_file())[: args.documents]
    passages = []
    for path in files:
        try:
            document = load_file(path, str(path.relative_to(args.corpus)))
        except LoadError:
            continue
        passages.extend(chunk_document(document))
    tokens = [tokenize(searchable(p), p.metadata.get("language", "en")) for p in passages]
    queries = [
        tokenize(json.loads(line)["question"])
        for path in sorted(QUESTIONS_DIR.rglob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    queries = [q for q in queries if q]
    print(f"{len(files)} documents, {len(passages)} passages, {len(queries)} queries")
    folder = Path(tempfile.mkdtemp())

    from rank_bm25 import BM25Okapi

    clock = time.perf_counter()
    okapi = BM25Okapi(tokens)
    built = time.perf_counter() - clock
    times = []
    for query in queries:
        clock = time.perf_counter()
        scores = okapi.get_scores(query)
        sorted(range(len(scores)), key=lambda i: -scores[i])[:TOP_K]
        times.append((time.perf_counter() - clock) * 1000)
    print(f"rank_bm25  build {built:.2f} s   open -        query {percentiles(times)}")

    path = folder / "fts.sqlite"
    clock = time.perf_counter()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE VIRTUAL TABLE f USING fts5(tokens, tokenize=\"unicode61 tokenchars '_'\")"
        )
        conn.executemany(
            "INSERT INTO f (rowid, tokens) VALUES (?, ?)", enumerate(map(" ".join, tokens))
        )
    built = time.perf_counter() - clock
    clock = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("SELECT rowid FROM f WHERE f MATCH 'privaci' LIMIT 1").fetchall()
    opened = (time.perf_counter() - clock) * 1000
    times = []
    for query in queries:
        match = " OR ".join(f'"{token}"' for token in query)
        clock = time.perf_counter()
        sql = "SELECT rowid, bm25(f) FROM f WHERE f MATCH ? ORDER BY rank LIMIT ?"
        conn.execute(sql, (match, TOP_K)).fetchall()
        times.append((time.perf_counter() - clock) * 1000)
    print(f"FTS5       build {built:.2f} s   open {opened:.1f} ms   query {percentiles(times)}")

    import bm25s

    clock = time.perf_counter()
    vocabulary: dict[str, int] = {}
    ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in row] for row in tokens]
    engine = bm25s.BM25(k1=1.5, b=0.75, method="robertson")
    engine.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
    engine.save(folder / "bm25s")
    built = time.perf_counter() - clock
    clock = time.perf_counter()
    loaded = bm25s.BM25.load(folder / "bm25s", mmap=True)
    opened = (time.perf_counter() - clock) * 1000
    times = []
    for query in queries:
        clock = time.perf_counter()
        known = [[vocabulary[t] for t in query if t in vocabulary]]
        if known[0]:
            asked = bm25s.tokenization.Tokenized(ids=known, vocab=vocabulary)
            loaded.retrieve(asked, k=TOP_K, show_progress=False, n_threads=1)
        times.append((time.perf_counter() - clock) * 1000)
    print(f"bm25s      build {built:.2f} s   open {opened:.1f} ms   query {percentiles(times)}")


if __name__ == "__main__":
    main()
