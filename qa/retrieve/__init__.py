"""Retrieval: the passages a question is answered from.

- ``lexical``: stemmed BM25 (English and Indonesian).
- ``filters``: publisher, kind, language, region and date filters, validated in one place.
- ``catalog``: what retrieval keeps in memory per index generation.
- ``hybrid``: dense passage + best sentence + BM25, fused by weighted scores.
"""
