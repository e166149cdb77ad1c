"""How far the server's own indexing is, for the page to show while it runs.

``serve`` starts the page at once and indexes in a background thread; that thread reports each
document and each embedded batch here, and the page reads documents and passages done and an
estimate of the time left. The estimate weighs documents by their size in bytes: the first start
embeds every document, and embedding time grows with the text.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from qa.index.manifest import Manifest

# Too little done to extrapolate from: small documents cost more per byte than large ones
# (measured on the sample corpus: its 7 news items are 3% of the bytes and of the time).
MIN_FRACTION_FOR_ESTIMATE = 0.10


@dataclass
class IndexStatus:
    """The state of the server's indexing, shared by the indexing thread and the page.

    ``answerable`` is true once questions can be answered: at once when an index existed before
    the start (it is answered from while being brought up to date), else when indexing is done.
    """

    index_dir: Path
    had_index: bool = False
    phase: str = "checking"  # checking, indexing, ready, failed
    done: int = 0
    total: int = 0
    passages: int = 0
    problem: str = ""
    unreachable: bool = False
    sizes: dict[str, int] = field(default_factory=dict)
    _bytes_finished: float = 0.0
    _bytes_partial: float = 0.0
    # The rate is measured from the first reported work on: loading the model comes before it.
    _clock: float | None = None
    _bytes_at_clock: float = 0.0
    _finished: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def answerable(self) -> bool:
        """Whether questions can be answered now."""
        return self.phase == "ready" or (self.had_index and self.phase != "failed")

    @property
    def finished(self) -> bool:
        """Whether indexing has ended, well or not."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until indexing has ended; whether it did within ``timeout`` seconds."""
        return self._finished.wait(timeout)

    def start(self, sizes: dict[str, int]) -> None:
        """Indexing begins over documents of these sizes (document id -> bytes)."""
        with self._lock:
            self.sizes = dict(sizes)
            self.total = len(sizes)
            self.phase = "indexing"

    def file_done(self, done: int, total: int, doc_id: str) -> None:
        """A document is indexed (or found unchanged, or skipped)."""
        manifest = Manifest.read(self.index_dir)
        with self._lock:
            self.done, self.total = done, total
            self._bytes_finished += self.sizes.get(doc_id, 0)
            self._bytes_partial = 0.0
            self._start_clock()
            if manifest is not None:
                self.passages = sum(entry.passages for entry in manifest.documents.values())

    def batch_embedded(self, done: int, total: int, doc_id: str) -> None:
        """``done`` of ``total`` texts of ``doc_id`` are embedded: part of its share is done."""
        with self._lock:
            self._bytes_partial = self.sizes.get(doc_id, 0) * (done / total if total else 1.0)
            self._start_clock()

    def _start_clock(self) -> None:
        if self._clock is None:
            self._clock = time.monotonic()
            self._bytes_at_clock = self._bytes_finished + self._bytes_partial

    def ready(self) -> None:
        """Indexing ended well."""
        with self._lock:
            self.phase = "ready"
            self.done = self.total
        self._finished.set()

    def failed(self, problem: str, unreachable: bool = False) -> None:
        """Indexing stopped with ``problem`` (a message for the reader).

        ``unreachable``: because the index's Chroma server did not answer.
        """
        with self._lock:
            self.phase = "failed"
            self.problem = problem
            self.unreachable = unreachable
        self._finished.set()

    def fraction(self) -> float:
        """How much of the indexing is done, 0..1, by bytes (by documents without sizes)."""
        with self._lock:
            total = sum(self.sizes.values())
            if total > 0:
                return min(1.0, (self._bytes_finished + self._bytes_partial) / total)
            return self.done / self.total if self.total else 0.0

    def seconds_left(self) -> float | None:
        """Seconds until indexing ends, by the bytes done so far; ``None`` before a guess."""
        with self._lock:
            total = sum(self.sizes.values())
            if self.phase != "indexing" or total <= 0:
                return None
            done = self._bytes_finished + self._bytes_partial
            if done / total < MIN_FRACTION_FOR_ESTIMATE or self._clock is None:
                return None
            measured = done - self._bytes_at_clock
            elapsed = time.monotonic() - self._clock
            if measured <= 0 or elapsed <= 0:
                return None
            return max(0.0, (total - done) * elapsed / measured)
