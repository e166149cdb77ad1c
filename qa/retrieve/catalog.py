"""The catalog: what retrieval keeps in memory about one index generation.

BM25 over every stored passage, each document's metadata (for filters), the corpus vocabulary
(for abstention), and the sentence and title vectors of documents already asked about. One
catalog per (index folder, build id, generation): an ingest by any process makes a new one.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from qa.index.store import PassageStore
from qa.retrieve.acronyms import FIELD_ACRONYMS, defined_acronyms
from qa.retrieve.filters import ALL_VERSIONS, PREVIOUS_VERSION, SearchFilters
from qa.retrieve.lexical import LexicalIndex
from qa.versions.series import Version, build_timelines, in_force, version_index

# Sentence vectors kept in memory before the cache starts over (about 150 MB at 384 dims).
SENTENCE_CACHE_LIMIT = 100_000
_WORD = re.compile(r"\w+")
# Formatting that does not change what a text says: markup characters, bullets, spacing.
_FORMATTING = re.compile(r"[\s*_#>|`\-–—•·]+")


def same_text_key(text: str) -> str:
    """A key equal for texts that differ only in case, spacing, bullets or Markdown markup.

    Example:
        >>> same_text_key("- We **never** sell data.") == same_text_key("We never  sell data.")
        True
    """
    return _FORMATTING.sub(" ", text.casefold()).strip()


def title_text(metadata: dict[str, Any]) -> str:
    """What a document's title vector embeds: its title and publisher."""
    parts = [str(metadata.get(name) or "") for name in ("title", "publisher")]
    return ". ".join(part for part in parts if part and part != "unknown")


def version_labels(version: Version | None) -> dict[str, Any]:
    """The metadata that says which version a passage is from and when it was in force."""
    if version is None:
        return {}
    return {
        "valid_from": version.valid_from,
        "valid_to": version.valid_to,
        "superseded": not version.current,
    }


@dataclass(frozen=True)
class ScoredSentence:
    """A stored sentence of a candidate document and its cosine to the question (-1..1)."""

    sentence: Document
    score: float


class Catalog:
    """The stored passages in memory: BM25, document metadata, and the corpus vocabulary."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self.by_id = {str(p.id): p for p in lexical.passages}
        by_doc: dict[str, list[Document]] = {}
        for passage in lexical.passages:
            by_doc.setdefault(passage.metadata["doc_id"], []).append(passage)
        self.documents: dict[str, dict[str, Any]] = {
            doc: ps[0].metadata for doc, ps in by_doc.items()
        }
        self.passages_of = by_doc
        # Series of more than one version; a document alone in its series is always current.
        every = build_timelines(self.documents)
        self.timelines = {key: versions for key, versions in every.items() if len(versions) > 1}
        # When each one-version document took effect ("" when unknown): asked as of a date
        # before it, the text was not yet in force, so it cannot answer.
        self.starts = {
            versions[0].doc_id: versions[0].valid_from
            for versions in every.values()
            if len(versions) == 1
        }
        self.versions: dict[str, Version] = version_index(self.timelines)
        for passage in lexical.passages:
            passage.metadata.update(version_labels(self.versions.get(passage.metadata["doc_id"])))
        # Every word of the corpus: a question naming something no document mentions is rarely
        # answerable from it.
        self.vocabulary = frozenset(
            word
            for p in lexical.passages
            for word in _WORD.findall(f"{p.metadata.get('title', '')} {p.page_content}".casefold())
        )
        # The field's acronyms, and those the corpus defines ("Long Form (LF)") on top.
        self.acronyms = {
            **FIELD_ACRONYMS,
            **defined_acronyms(p.page_content for p in lexical.passages),
        }
        self._sentences: dict[str, tuple[list[Document], np.ndarray]] = {}
        self._sentence_count = 0
        self._titles: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def allowed(self, filters: SearchFilters) -> set[str] | None:
        """The documents a question with ``filters`` may be answered from; ``None``: all.

        The current version of each series unless ``filters`` asks for other versions (see
        ``SearchFilters``), and only documents matching its other filters. As of a date, a
        document alone in its series counts only if it took effect by then.
        """
        docs = set(self.documents)
        if filters.restricts_documents:
            docs = {doc for doc in docs if filters.matches(self.documents[doc])}
        if filters.versions != ALL_VERSIONS:
            periods = filters.periods()
            for versions in self.timelines.values():
                if periods:
                    kept = in_force(versions, periods)
                elif filters.versions == PREVIOUS_VERSION:
                    kept = versions[-2:-1]
                else:
                    kept = versions[-1:]
                docs -= {v.doc_id for v in versions} - {v.doc_id for v in kept}
            if periods:
                last = max(end for _, end in periods)
                docs -= {doc for doc, start in self.starts.items() if start and start > last}
        return None if docs == set(self.documents) else docs

    def title_scores(
        self, embeddings: Embeddings, doc_ids: list[str], query: np.ndarray
    ) -> dict[str, float]:
        """The cosine of each document's title and publisher to ``query`` (-1..1), by doc id.

        Title vectors are embedded on first use and kept for the catalog's life: a question
        costs at most its candidates' new titles (a handful of short texts).
        """
        wanted = [doc for doc in dict.fromkeys(doc_ids) if doc in self.documents]
        with self._lock:
            missing = [doc for doc in wanted if doc not in self._titles]
        if missing:
            texts = [title_text(self.documents[doc]) or doc for doc in missing]
            vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
            with self._lock:
                self._titles.update(zip(missing, vectors, strict=True))
        return {doc: float(self._titles[doc] @ query) for doc in wanted}

    def sentences(
        self, store: PassageStore, doc_ids: list[str]
    ) -> list[tuple[list[Document], np.ndarray]]:
        """Stored sentences and their vectors for ``doc_ids``, cached per document.

        Fetching vectors from Chroma for every question cost more than everything else; the
        catalog lives as long as the index generation, so the cache can never go stale.
        """
        with self._lock:
            return self._cached_sentences(store, list(dict.fromkeys(doc_ids)))

    def _cached_sentences(
        self, store: PassageStore, doc_ids: list[str]
    ) -> list[tuple[list[Document], np.ndarray]]:
        missing = [doc for doc in doc_ids if doc not in self._sentences]
        if missing:
            if self._sentence_count > SENTENCE_CACHE_LIMIT:
                self._sentences.clear()
                self._sentence_count = 0
            sentences, vectors = store.sentences_of(missing)
            grouped: dict[str, list[int]] = {doc: [] for doc in missing}
            for i, sentence in enumerate(sentences):
                grouped[sentence.metadata["doc_id"]].append(i)
            matrix = np.asarray(vectors, dtype=np.float32)
            for doc, rows in grouped.items():
                rows.sort(key=lambda i: int(sentences[i].metadata["start"]))
                block = (
                    matrix[rows]
                    if rows
                    else np.zeros((0, matrix.shape[1] if matrix.ndim == 2 else 0))
                )
                self._sentences[doc] = ([sentences[i] for i in rows], block)
                self._sentence_count += len(rows)
        return [self._sentences[doc] for doc in doc_ids]


_CATALOGS: dict[tuple[str, str, int], Catalog] = {}
_CATALOG_LOCK = threading.Lock()


def catalog_of(store: PassageStore) -> Catalog:
    """The catalog of the store's current index build and generation, built once."""
    store.refresh()
    manifest = store.manifest
    key = (str(store.index_dir.resolve()), manifest.build_id, manifest.generation)
    with _CATALOG_LOCK:
        catalog = _CATALOGS.get(key)
        if catalog is None:
            # One index at a time is the common case; keep memory flat when it changes.
            _CATALOGS.clear()
            catalog = _CATALOGS[key] = Catalog(LexicalIndex(store.all_passages()))
        return catalog
