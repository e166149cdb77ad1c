"""Ingest benchmark: cold run and unchanged re-run on a corpus, with peak memory.

Usage:
    python evals/bench_ingest.py [--corpus ../shared/corpus] [--index /tmp/fp-bench-index]

Prints documents, passages, sentences embedded, passages per second, seconds for the cold run
and for an unchanged re-run, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from qa.index.ingest import ingest
from qa.index.store import PassageStore
from qa.settings import Settings


def main() -> None:
    """Run both ingests and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--index", type=Path, default=Path("/tmp/fp-bench-index"))
    args = parser.parse_args()
    shutil.rmtree(args.index, ignore_errors=True)
    settings = Settings(corpus_dir=args.corpus, index_dir=args.index)

    started = time.perf_counter()
    cold = ingest(settings)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    warm = ingest(settings)
    warm_s = time.perf_counter() - started
    store = PassageStore.open(args.index)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"documents            {len(cold.added)} added, {len(cold.skipped)} skipped")
    print(f"passages             {store.count()}")
    print(
        f"cold run             {cold_s:.1f} s ({cold.passages_embedded / cold_s:.1f} passages/s, "
        "sentences embedded too)"
    )
    print(
        f"unchanged re-run     {warm_s:.2f} s ({len(warm.unchanged)} unchanged, "
        f"{warm.passages_embedded} embedded) = {warm_s / cold_s:.3f} of the cold run"
    )
    print(f"peak memory          {peak_mb:.0f} MB")
    print(f"index size           {store.size_on_disk() / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
