"""Retrieval: the passages a question is answered from.

- ``lexical``: stemming tokeniser (English and Indonesian) and the in-memory BM25 (rank_bm25).
- ``snapshot``: one reader's snapshot of the side index (``qa.index.side``).
- ``fts``: BM25 over that snapshot (SQLite FTS5), with rank_bm25's term weights.
- ``filters``: publisher, kind, language, region and date filters, validated in one place.
- ``catalog``: what retrieval knows per index generation, from the side index.
- ``hybrid``: dense passage + best sentence + BM25, fused by weighted scores.
"""
