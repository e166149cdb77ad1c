"""Loading: files on disk -> LangChain ``Document`` objects with metadata.

One loader per format. Each returns a single ``Document`` whose ``page_content`` is the text that
gets chunked and indexed; every offset Fineprint records points into that text.
"""

from qa.load.corpus import (
    CorpusScan,
    LoadReport,
    Skipped,
    find_files,
    load_corpus,
    load_file,
    scan_corpus,
)

__all__ = [
    "CorpusScan",
    "LoadReport",
    "Skipped",
    "find_files",
    "load_corpus",
    "load_file",
    "scan_corpus",
]
