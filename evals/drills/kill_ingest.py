"""Drill: ``kill -9`` an ingest at random moments, then check that nothing was lost or doubled.

A copy of the corpus is ingested again and again; each run is killed with SIGKILL after a random
delay between the moment an ingest starts writing (measured: the time an ingest that has nothing
to do takes) and the time a clean ingest takes, until ``--kills`` runs have died mid-way. A last
run is let finish. The index must then hold exactly what one clean ingest of the same corpus
holds: the same passage ids, none twice, and a manifest that lists every document. The figures
say how many kills landed while the index was being written (its manifest still marked "in
progress"), which is what the drill is for; a corpus that ingests in under a second or two is
too small to show anything.

Example:
    python evals/drills/kill_ingest.py --kills 10
"""

from __future__ import annotations

import argparse
import json
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
SEED = 9


def in_progress(index: Path) -> bool:
    """Whether the index's manifest says an ingest was writing when it stopped."""
    manifest = index / "manifest.json"
    return manifest.exists() and bool(json.loads(manifest.read_text()).get("ingest_in_progress"))


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
        started = time.perf_counter()
        run_ingest(corpus, clean)  # nothing to do: start-up, scan and hash checks only
        idle_s = time.perf_counter() - started
        print(f"clean ingest: {clean_s:.1f} s; an ingest with nothing to do: {idle_s:.1f} s")
        if clean_s - idle_s < 1.0:
            print("warning: the corpus ingests too fast for kills to land while it writes")
        kills = finished_early = mid_write = 0
        while kills < args.kills:
            delay = rng.uniform(idle_s, max(idle_s + 0.1, clean_s))
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
                landed = in_progress(killed)
                mid_write += landed
                where = "while writing" if landed else "before writing began"
                print(f"  kill {kills}/{args.kills} after {delay:.1f} s, {where}", flush=True)
        final = run_ingest(corpus, killed)
        ids, documents = stored(killed)
        clean_ids, clean_documents = stored(clean)
    doubled = sum(count - 1 for count in Counter(ids).values() if count > 1)
    lost = len(set(clean_ids) - set(ids))
    extra = len(set(ids) - set(clean_ids))
    consistent = final.returncode in (0, 3) and not (doubled or lost or extra)
    print(
        f"{args.kills} kills, {mid_write} of them while the index was being written "
        f"(runs that finished before their kill: {finished_early}); "
        f"index after the last run {'matches' if consistent else 'DOES NOT match'} a clean ingest"
    )
    print(
        f"passages: {len(ids)} after the kills, {len(clean_ids)} from a clean ingest; "
        f"lost {lost}, doubled {doubled}, extra {extra}; documents listed "
        f"{len(documents)}/{len(clean_documents)}"
    )
    return 0 if consistent and documents == clean_documents else 1


if __name__ == "__main__":
    sys.exit(main())
