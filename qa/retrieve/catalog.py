"""The catalog: what retrieval knows about one index generation.

BM25, each document's metadata (for filters) and versions, the corpus vocabulary (for
abstention) and acronyms, read from the side index (``qa.index.side``) through one snapshot:
per-document rows at once, passages and the candidates' sentences with their vectors when a
question needs them. The sentence and title vectors of documents already asked about are kept.
One catalog per (index, build id, generation): an ingest by any process makes a new one.
"""

from __future__ import annotations

import bisect
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from qa.index.sentence_rows import StoredSentences
from qa.index.side import section_names
from qa.index.store import PassageStore
from qa.retrieve.acronyms import FIELD_ACRONYMS, defined_acronyms
from qa.retrieve.filters import ALL_VERSIONS, PREVIOUS_VERSION, SearchFilters
from qa.retrieve.fts import PersistedLexicalIndex
from qa.retrieve.lexical import LexicalIndex
from qa.retrieve.snapshot import SideSnapshot
from qa.versions.series import Version, build_timelines, in_force, version_index

_LOG = logging.getLogger(__name__)
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


class SentencesByPlace:
    """Scored sentences grouped by document and sorted by start, to find those in a passage.

    Finding a passage's sentences by scanning every sentence of every candidate document cost
    a question tens of milliseconds at a few hundred documents; a bisection per passage does
    not grow with the documents' length.
    """

    def __init__(self, sentences: Iterable[ScoredSentence]) -> None:
        grouped: dict[str, list[ScoredSentence]] = {}
        for item in sentences:
            grouped.setdefault(item.sentence.metadata["doc_id"], []).append(item)
        self._items: dict[str, list[ScoredSentence]] = {}
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for doc, items in grouped.items():
            # A stable sort keeps the given order among sentences that start together.
            items.sort(key=lambda item: int(item.sentence.metadata["start"]))
            self._items[doc] = items
            self._starts[doc] = [int(item.sentence.metadata["start"]) for item in items]
            self._ends[doc] = [int(item.sentence.metadata["end"]) for item in items]

    def within(self, doc_id: str, start: int, end: int) -> Iterator[ScoredSentence]:
        """The sentences of ``doc_id`` lying wholly in characters ``start``..``end`` (both
        bounds inclusive), in text order (given order among equal starts); none for a document
        it was not given."""
        items = self._items.get(doc_id, [])
        ends = self._ends.get(doc_id, [])
        for row in rows_within(self._starts.get(doc_id, []), ends.__getitem__, start, end):
            yield items[row]


def rows_within(
    starts: list[int], end_of: Callable[[int], int], start: int, end: int
) -> Iterator[int]:
    """Rows of sentences sorted by their start offsets ``starts`` (with ``end_of(row)`` their
    end offsets) lying wholly in characters ``start``..``end``, both bounds inclusive, in
    order."""
    for row in range(bisect.bisect_left(starts, start), len(starts)):
        if starts[row] > end:
            return
        if end_of(row) <= end:
            yield row


class _Lazy(Mapping[str, Any]):
    """A read-only mapping whose values are loaded on first use and kept."""

    def __init__(
        self, load: Callable[[list[str]], dict[str, Any]], keys: Callable[[], list[str]]
    ) -> None:
        self._load = load
        self._keys = keys
        self._cache: dict[str, Any] = {}
        self._missing: set[str] = set()
        self._lock = threading.Lock()

    def many(self, keys: list[str]) -> dict[str, Any]:
        """The values of those ``keys`` that exist, loaded in one go."""
        with self._lock:
            wanted = [k for k in keys if k not in self._cache and k not in self._missing]
        if wanted:
            found = self._load(wanted)
            with self._lock:
                self._cache.update(found)
                self._missing.update(k for k in wanted if k not in found)
        return {k: self._cache[k] for k in keys if k in self._cache}

    def __getitem__(self, key: str) -> Any:
        found = self.many([key])
        if key not in found:
            raise KeyError(key)
        return found[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.many([key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


class Vocabulary(AbstractSet[str]):
    """The corpus's words (casefolded), looked up in the side index instead of held in memory."""

    def __init__(self, snapshot: SideSnapshot) -> None:
        self._snapshot = snapshot

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._snapshot.has_word(word)

    def __iter__(self) -> Iterator[str]:
        return iter(self._snapshot.words())

    def __len__(self) -> int:
        return self._snapshot.word_count()

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word starts with ``prefix`` (one index lookup)."""
        return self._snapshot.has_prefix(prefix)

    def counts(self, min_length: int) -> list[tuple[str, int]]:
        """Words of at least ``min_length`` characters with their document counts."""
        return self._snapshot.word_documents(min_length)


class Catalog:
    """What retrieval knows about one index generation: BM25, documents, versions, words.

    Built from the side index (``from_side``: a few small rows per document, passages read
    when asked for) or, for comparison, from every passage in memory (``from_passages``, the
    way it was before the side index).
    """

    def __init__(
        self,
        documents: dict[str, dict[str, Any]],
        vocabulary: AbstractSet[str],
        acronyms: Iterable[tuple[str, str]],
        outlines: dict[str, tuple[list[str], int]],
    ) -> None:
        """Use ``from_side`` or ``from_passages``, which add the passages and BM25."""
        self.documents = documents
        # Each document's section headings (most passages first) and passage count.
        self.outlines = outlines
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
        # Series recorded once: no history, but a question can still name one.
        self.singles = {key: versions for key, versions in every.items() if len(versions) == 1}
        self.versions: dict[str, Version] = version_index(self.timelines)
        for doc_id, metadata in documents.items():
            metadata.update(version_labels(self.versions.get(doc_id)))
        # Every word of the corpus: a question naming something no document mentions is rarely
        # answerable from it.
        self.vocabulary = vocabulary
        # The field's acronyms, and those the corpus defines ("Long Form (LF)") on top.
        defined: dict[str, str] = {}
        for short, long in acronyms:
            defined.setdefault(short, long)
        self.acronyms = {**FIELD_ACRONYMS, **defined}
        self.lexical: LexicalIndex | PersistedLexicalIndex
        self.by_id: Mapping[str, Document]
        self.passages_of: Mapping[str, list[Document]]
        self.snapshot: SideSnapshot | None = None
        self._sentences: dict[str, tuple[StoredSentences, np.ndarray]] = {}
        self._sentence_count = 0
        self._titles: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_side(cls, snapshot: SideSnapshot) -> Catalog:
        """The catalog of a side-index snapshot: per-document rows now, passages on first use."""
        catalog = cls(
            snapshot.documents(), Vocabulary(snapshot), snapshot.acronyms(), snapshot.outlines()
        )

        # The loaders hold the catalog's parts, never the catalog: no reference cycle, so a
        # catalog let go of is freed at once and its snapshot ends (WAL can checkpoint).
        versions, documents = catalog.versions, catalog.documents

        def passages(ids: list[str]) -> dict[str, Document]:
            found = snapshot.passages(ids)
            for passage in found.values():
                passage.metadata.update(version_labels(versions.get(passage.metadata["doc_id"])))
            return found

        by_id = _Lazy(passages, snapshot.passage_ids)

        def of_documents(doc_ids: list[str]) -> dict[str, list[Document]]:
            # The same objects as ``by_id`` holds: a passage is labelled and loaded once.
            return {
                doc: list(by_id.many(snapshot.passage_ids(doc)).values())
                for doc in doc_ids
                if doc in documents
            }

        catalog.by_id = by_id
        catalog.passages_of = _Lazy(of_documents, lambda: list(documents))
        catalog.lexical = PersistedLexicalIndex(snapshot, by_id.many)
        catalog.snapshot = snapshot
        return catalog

    @classmethod
    def from_passages(cls, passages: list[Document]) -> Catalog:
        """The catalog of every passage, in memory with rank_bm25 (the old way, to compare).

        ``passages`` in (doc id, start) order, as ``PassageStore.all_passages`` returns them.
        """
        by_doc: dict[str, list[Document]] = {}
        for passage in passages:
            by_doc.setdefault(passage.metadata["doc_id"], []).append(passage)
        vocabulary = frozenset(
            word
            for p in passages
            for word in _WORD.findall(f"{p.metadata.get('title', '')} {p.page_content}".casefold())
        )
        outlines = {doc: (section_names(ps), len(ps)) for doc, ps in by_doc.items()}
        catalog = cls(
            {doc: ps[0].metadata for doc, ps in by_doc.items()},
            vocabulary,
            defined_acronyms(p.page_content for p in passages).items(),
            outlines,
        )
        for passage in passages:
            catalog._label(passage)
        catalog.lexical = LexicalIndex(passages)
        catalog.by_id = {str(p.id): p for p in passages}
        catalog.passages_of = by_doc
        return catalog

    def passages(self, ids: list[str]) -> dict[str, Document]:
        """The passages of ``ids`` that exist, by id (one read for those not loaded yet)."""
        if isinstance(self.by_id, _Lazy):
            return self.by_id.many(ids)
        return {pid: self.by_id[pid] for pid in ids if pid in self.by_id}

    def _label(self, passage: Document) -> Document:
        """``passage`` with the version labels of its document (``version_labels``)."""
        passage.metadata.update(version_labels(self.versions.get(passage.metadata["doc_id"])))
        return passage

    def series_versions(self, key: str) -> list[Version]:
        """The versions of series ``key``, oldest first: one for a series recorded once, none
        for an unknown key."""
        return self.timelines.get(key) or self.singles.get(key, [])

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
    ) -> list[tuple[StoredSentences, np.ndarray]]:
        """Stored sentences and their vectors for ``doc_ids``, cached per document.

        Read from the side index (the catalog's snapshot) when there is one, else from
        Chroma: fetching vectors from Chroma for every question cost more than everything
        else (582 of 777 ms p50 at 877 documents). The catalog lives as long as the index
        generation, so the cache can never go stale.

        Returns:
            One ``(sentences in text order, float32 array of shape (sentences, dimensions))``
            per distinct doc id, in the order given; a document without stored sentences
            gets no sentences and an array of shape ``(0, 0)``.

        Raises:
            IndexChangingError: Read from Chroma, while another process kept changing it.
            IndexUnreachableError: Read from a Chroma server that does not answer.
        """
        with self._lock:
            return self._cached_sentences(store, list(dict.fromkeys(doc_ids)))

    def _cached_sentences(
        self, store: PassageStore, doc_ids: list[str]
    ) -> list[tuple[StoredSentences, np.ndarray]]:
        missing = [doc for doc in doc_ids if doc not in self._sentences]
        if missing:
            if self._sentence_count > SENTENCE_CACHE_LIMIT:
                self._sentences.clear()
                self._sentence_count = 0
                # Starting over drops documents this call asked for too: fetch them all.
                missing = list(doc_ids)
            found = (
                self.snapshot.sentences(missing)
                if self.snapshot is not None
                else _sentences_from_chroma(store, missing)
            )
            empty = np.zeros((0, 0), dtype=np.float32)
            for doc in missing:
                self._sentences[doc] = found.get(doc, (StoredSentences([]), empty))
                self._sentence_count += len(self._sentences[doc][0])
        return [self._sentences[doc] for doc in doc_ids]


def _sentences_from_chroma(
    store: PassageStore, doc_ids: list[str]
) -> dict[str, tuple[StoredSentences, np.ndarray]]:
    """The sentences of ``doc_ids`` (those that have any) read from Chroma, in text order."""
    sentences, matrix = store.sentence_matrix(doc_ids)
    grouped: dict[str, list[int]] = {}
    for i, sentence in enumerate(sentences):
        grouped.setdefault(sentence.metadata["doc_id"], []).append(i)
    found: dict[str, tuple[StoredSentences, np.ndarray]] = {}
    for doc, rows in grouped.items():
        rows.sort(key=lambda i: int(sentences[i].metadata["start"]))
        found[doc] = (StoredSentences.of(sentences[i] for i in rows), matrix[rows])
    return found


_CATALOGS: dict[tuple[str, str, str, int], Catalog] = {}
_CATALOG_LOCK = threading.Lock()


def catalog_of(store: PassageStore) -> Catalog:
    """The catalog of the store's current index build and generation, built once.

    From the side index (brought up to date from Chroma first if an ingest has not already);
    from every passage in memory when the store keeps none (``Settings.side_index``).

    Raises:
        IndexChangingError: Another process kept changing the index while it was read.
        IndexUnreachableError: The Chroma server does not answer.
    """
    store.refresh()
    manifest = store.manifest
    key = (str(store.index_dir.resolve()), store.where, manifest.build_id, manifest.generation)
    with _CATALOG_LOCK:
        catalog = _CATALOGS.get(key)
        if catalog is None:
            # One index at a time is the common case; keep memory flat when it changes. A
            # catalog still answering a question keeps its snapshot until it is let go.
            _CATALOGS.clear()
            catalog = _CATALOGS[key] = _build(store)
        return catalog


def _build(store: PassageStore) -> Catalog:
    if store.side is None:
        return Catalog.from_passages(store.all_passages())
    try:
        store.sync_side()
        return Catalog.from_side(SideSnapshot(store.side.path))
    except sqlite3.Error as exc:
        # A read-only index folder, a full disk, a damaged file: answer the slow way, not fail.
        _LOG.warning("side index %s unusable (%s); reading every passage", store.side.path, exc)
        return Catalog.from_passages(store.all_passages())
