"""Drill: ``kill -9`` an ingest at random moments, then check that nothing was lost or doubled.

A copy of the corpus is ingested again and again; each run is killed with SIGKILL after a random
delay, until ``--kills`` runs have died mid-way. A last run is let finish. The index must then
hold exactly what one clean ingest of the same corpus holds: the same passage ids, none twice,
and a manifest that lists every document.

Example:
    python evals/drills/kill_ingest.py --kills 10
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import REPO, SHARED, fresh_copy, ingest_command, run_ingest

DEFAULT_KILLS = 10
DEFAULT_CORPUS = SHARED / "corpus"
# A kill lands between 1 s (imports done, work begun) and this many seconds after the start.
MAX_DELAY_S = 12.0
SEED = 9


def stored(index: Path) -> tuple[list[str], set[str]]:
    """The passage ids in the index's Chroma store, and the documents its manifest lists."""
    sys.path.insert(0, str(REPO))
    from qa.index.store import PassageStore

    with PassageStore.open(index) as store:
        ids = [str(p.id) for p in store.all_passages()]
        return ids, set(store.manifest.documents)


def main(argv: list[str] | None = None) -> int:
    """Kill ingests, finish one, compare with a clean ingest; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=DEFAULT_KILLS, help="Runs to kill.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="Corpus to copy.")
    parser.add_argument("--seed", type=int, default=SEED, help="Seed for the kill delays.")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="fp-kill-") as work:
        root = Path(work)
        corpus = fresh_copy(args.corpus, root / "corpus")
        clean, killed = root / "clean", root / "killed"
        started = time.perf_counter()
        reference = run_ingest(corpus, clean)
        if reference.returncode not in (0, 3):
            print(reference.stderr, file=sys.stderr)
            return 1
        clean_s = time.perf_counter() - started
        print(f"clean ingest: {clean_s:.1f} s")
        kills = finished_early = 0
        while kills < args.kills:
            delay = rng.uniform(1.0, min(MAX_DELAY_S, clean_s))
            process = subprocess.Popen(
                ingest_command(corpus, killed),
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                process.wait(timeout=delay)
                # Done before the kill: start over from scratch, so later kills hit real work.
                finished_early += 1
                shutil.rmtree(killed)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                print(f"  kill {kills}/{args.kills} after {delay:.1f} s", flush=True)
        final = run_ingest(corpus, killed)
        ids, documents = stored(killed)
        clean_ids, clean_documents = stored(clean)
    doubled = sum(count - 1 for count in Counter(ids).values() if count > 1)
    lost = len(set(clean_ids) - set(ids))
    extra = len(set(ids) - set(clean_ids))
    survived = final.returncode in (0, 3) and not (doubled or lost or extra)
    print(
        f"kills survived: {args.kills if survived else 0}/{args.kills} "
        f"(runs that finished before their kill: {finished_early})"
    )
    print(
        f"passages: {len(ids)} after the kills, {len(clean_ids)} from a clean ingest; "
        f"lost {lost}, doubled {doubled}, extra {extra}; documents listed "
        f"{len(documents)}/{len(clean_documents)}"
    )
    return 0 if survived and documents == clean_documents else 1


if __name__ == "__main__":
    sys.exit(main())
