"""Start-up and warm latency: the side index beside the old in-memory catalog, in one run.

Usage:
    python evals/bench_startup.py --index DIR [--corpus DIR] [--questions 120] [--ask-runs 3]
        [--modes side memory]
    python evals/bench_startup.py --index DIR --build-from ../shared/ota/contrib-latest \
        --limit 150 --corpus /tmp/bench-corpus

``--build-from`` first copies the first ``--limit`` files of a folder to ``--corpus`` and
ingests them with stand-in vectors: the real loader, chunker and stores, but each text's
vector a hashed bag of its stems (384 numbers, like multilingual-e5-small's) instead of the
model's, so a few hundred documents index in minutes on a busy 2-core machine. The index
records multilingual-e5-small, so questions are embedded by the real model: timings are real,
rankings are not (use ``fineprint eval`` for those).

For each way of building the catalog (``side``: the persisted side index, ``memory``: every
passage read out of Chroma and BM25 rebuilt, as before; ``FINEPRINT_SIDE_INDEX=false``), in
fresh processes on the same index:

- ``first answer``: seconds from process start to the first answer (imports, model, catalog);
- ``warm p50/p95``: milliseconds per question over ``--questions`` questions from
  ``evals/questions`` (each file's questions, in turn, repeated until there are enough);
- ``fineprint ask``: wall seconds of the command from a cold process (median of ``--ask-runs``);
- ``page ready``: seconds from ``fineprint serve`` to the page answering HTTP 200 (with
  ``--corpus``, the folder the index was built from, so the start-up check finds it current).

Figures of 2026-11-29, stand-in vectors, 120 questions, 2 cores shared with other work. The
first 150 files of ``contrib-latest`` (148 documents, 7,533 passages, 27,663 sentences; load
average 6 to 9):

    catalog       first answer        warm p50        warm p95   fineprint ask      page ready
    side                3.27 s          136 ms          443 ms          4.59 s          8.73 s
    memory             10.02 s          259 ms         1249 ms         10.18 s          7.14 s

All of ``contrib-latest`` (858 documents indexed, 19 skipped; load average 3 to 7):

    catalog       first answer        warm p50        warm p95   fineprint ask      page ready
    side                6.38 s          777 ms         2234 ms          4.62 s          3.16 s
    memory             13.64 s          954 ms         3771 ms         22.08 s          5.74 s

Per stage on all of it (side index, 40 questions, p50/p95 ms): lexical 36/86, embed 28/81,
dense 15/27, sentences 582/2237 (the sentence vectors of candidate documents, fetched from
Chroma; the cache of 100,000 sentences starts over every few questions at this size), evidence
75/145. On 148 documents lexical was 4.9/17 ms of 195/652 ms. A cold ``fineprint ask`` on all of
it (6.5 s wall): imports 0.7 s, store and catalog 0.4 s, then the question 5.3 s, of which the
candidates' sentence vectors from Chroma 4.8 s, dense 0.24 s, lexical 0.13 s (cold pages).

Since the side index holds sentences and their vectors (read per document from SQLite instead of
Chroma), on ``evals/bench_scale.py --limit 300``'s index (297 documents, 14,293 passages, 59,275
sentences, real vectors; two runs each, load average 2 to 3.5; ``before`` is the code just before):

    catalog       first answer        warm p50        warm p95   fineprint ask
    side before   2.21 / 2.31 s   189 / 280 ms    426 / 737 ms   3.88 / 4.10 s
    side after    1.38 / 1.36 s   119 / 106 ms    306 / 278 ms   1.88 / 1.89 s
    memory        4.56-8.34 s     204-264 ms      477-680 ms     6.18-9.47 s

Reading 20 random documents' sentences: Chroma p50/p95 417/824 ms, the side file 22/109 ms.
The sentences stage's remaining spikes are the cyclic garbage collector walking the cached
sentence objects: over 82 questions its p95 is 163 ms, 37 ms with ``gc.disable()``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
MODES = {"side": "true", "memory": "false"}
SERVE_TIMEOUT_SECONDS = 300.0
# multilingual-e5-small's vector size: the stand-in vectors must fit the model's questions.
E5_DIMENSIONS = 384


class StandInEmbeddings(Embeddings):
    """A hashed bag of stems per text, normalised (for building a timing index only)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        from qa.retrieve.lexical import tokenize

        vectors = np.zeros((len(texts), E5_DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                vectors[row, zlib.crc32(token.encode()) % E5_DIMENSIONS] += 1.0
            # A little noise of its own per text: Chroma's embedded HNSW was seen to lose
            # track of passages whose vectors were exactly equal ("Error finding id").
            noise = np.random.default_rng(zlib.crc32(text.encode()))
            vectors[row] += noise.random(E5_DIMENSIONS, dtype=np.float32) * 1e-2
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return self.embed_documents([text])[0]


def build(source: Path, limit: int, corpus: Path, index: Path) -> None:
    """Copy the first ``limit`` files of ``source`` to ``corpus`` and index them (stand-ins)."""
    import qa.index.ingest as ingest_module
    from qa.settings import load_settings

    files = sorted(path for path in source.rglob("*") if path.is_file())[:limit]
    for path in files:
        target = corpus / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    ingest_module.get_embeddings = lambda model: StandInEmbeddings()
    clock = time.perf_counter()
    report = ingest_module.ingest(load_settings(corpus_dir=corpus, index_dir=index))
    print(f"built {index} in {time.perf_counter() - clock:.0f} s: {report.summary()}")


def questions(count: int) -> list[str]:
    """``count`` questions from every question file, repeated in turn when there are fewer."""
    found = [
        json.loads(line)["question"]
        for path in sorted(QUESTIONS_DIR.rglob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [found[i % len(found)] for i in range(count)]


def worker(index: Path, count: int) -> None:
    """In a fresh process: the first answer's time since start, then warm per-question times."""
    started = float(os.environ["BENCH_STARTED"])
    from qa.answer.chain import AnswerChain
    from qa.settings import load_settings

    chain = AnswerChain.from_settings(load_settings(index_dir=index))
    asked = questions(count + 1)
    chain.invoke(asked[0])
    first = time.time() - started
    times = []
    for question in asked[1:]:
        clock = time.perf_counter()
        chain.invoke(question)
        times.append((time.perf_counter() - clock) * 1000)
    print(json.dumps({"first": first, "times": times}))


def environment(mode: str) -> dict[str, str]:
    env = dict(os.environ, FINEPRINT_SIDE_INDEX=MODES[mode], HF_HUB_OFFLINE="1")
    env.update(TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    return env


def run_worker(mode: str, index: Path, count: int) -> dict[str, object]:
    env = environment(mode)
    env["BENCH_STARTED"] = repr(time.time())
    command = [sys.executable, __file__, "--worker", "--index", str(index)]
    out = subprocess.run(
        [*command, "--questions", str(count)], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def ask_seconds(mode: str, index: Path, runs: int) -> float:
    """Median wall seconds of ``fineprint ask`` from a cold process."""
    command = [sys.executable, "-m", "qa.cli", "ask", "--index", str(index)]
    seconds = []
    for question in questions(runs):
        clock = time.perf_counter()
        subprocess.run([*command, question], env=environment(mode), capture_output=True, check=True)
        seconds.append(time.perf_counter() - clock)
    return statistics.median(seconds)


def page_seconds(mode: str, index: Path, corpus: Path) -> float:
    """Seconds from ``fineprint serve`` to its page answering 200."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, "-m", "qa.cli", "serve", "--index", str(index)]
    command += ["--corpus", str(corpus), "--port", str(port), "--host", "127.0.0.1"]
    clock = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment(mode), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - clock < SERVE_TIMEOUT_SECONDS:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    if page.status == 200:
                        return time.perf_counter() - clock
            except OSError:
                time.sleep(0.1)
        return float("nan")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    """Print both modes' figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--ask-runs", type=int, default=3)
    parser.add_argument("--build-from", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=150)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.index, args.questions)
        return
    if args.build_from is not None:
        if args.corpus is None:
            parser.error("--build-from needs --corpus, the folder to copy the documents to")
        build(args.build_from, args.limit, args.corpus, args.index)
    rows: dict[str, list[str]] = {}
    for mode in args.modes:
        result = run_worker(mode, args.index, args.questions)
        times = [float(t) for t in result["times"]]  # type: ignore[union-attr]
        p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
        figures = [f"{float(result['first']):.2f} s", f"{p50:.0f} ms", f"{p95:.0f} ms"]
        figures.append(f"{ask_seconds(mode, args.index, args.ask_runs):.2f} s")
        if args.corpus is not None:
            figures.append(f"{page_seconds(mode, args.index, args.corpus):.2f} s")
        rows[mode] = figures
    heads = ["first answer", "warm p50", "warm p95", "fineprint ask"]
    heads += ["page ready"] if args.corpus is not None else []
    print(f"{args.questions} warm questions; index {args.index}")
    print(f"{'catalog':<10}" + "".join(f"{head:>16}" for head in heads))
    for mode, figures in rows.items():
        print(f"{mode:<10}" + "".join(f"{figure:>16}" for figure in figures))


if __name__ == "__main__":
    main()
