"""The three systems PolicyQA scores, each ranking one website's paragraphs for a question.

- ``fineprint`` (``FineprintSystem``): each website becomes one Markdown document
  (``qa.evaluate.policyqa.corpus``), indexed by ``qa.index.ingest.ingest`` with
  ``chunk_size=CHUNK_SIZE`` so every paragraph is one passage; questions go through the answer
  chain's ``HybridRetriever.retrieve`` restricted to the website by its unique ``publisher``
  tag, and the best sentence is ``EvidenceSelector``'s first over the ``settings.k`` passages
  the answer step would read.
- ``baseline`` (``BaselineSystem``): the simple recipe's store (``qa.evaluate.baseline``),
  all-MiniLM-L6-v2 in Chroma, one document per paragraph with ``website`` metadata, top-k
  similarity search filtered to the website; the best sentence is the top paragraph's sentence
  closest to the question under the same model.
- ``random`` (``RandomSystem``): the website's paragraphs shuffled with a seed per question; a
  random sentence of the first one.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from qa.answer.evidence import EvidenceSelector
from qa.errors import EvaluationError
from qa.evaluate.baseline import BASELINE_MODEL, ChromaBaseline
from qa.evaluate.policyqa.corpus import heading_starts, publisher_tag, write_corpus
from qa.evaluate.policyqa.data import (
    RANK_DEPTH,
    Benchmark,
    Output,
    Paragraph,
    Progress,
    Question,
    Sentence,
    locate,
)
from qa.index.sentences import sentence_spans
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings

# Characters per Fineprint passage: above the longest PolicyQA paragraph (1,986 in test), so every
# paragraph stays one passage; a longer one would be split and map back by its start offset.
CHUNK_SIZE = 2000
RANDOM_SEED = 2020


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def embed_queries(embeddings: Embeddings, texts: Sequence[str]) -> list[list[float]]:
    """The vectors ``embeddings.embed_query`` gives ``texts``, in batches where the model can.

    Fineprint's two embedding classes batch (``embed_queries``); any other ``Embeddings`` is
    asked one text at a time.

    Returns:
        One vector per text, in order.
    """
    from qa.index.embeddings import E5Embeddings, SentenceTransformerEmbeddings

    texts = list(texts)
    if isinstance(embeddings, E5Embeddings | SentenceTransformerEmbeddings):
        return embeddings.embed_queries(texts)
    return [embeddings.embed_query(text) for text in texts]


class PrecomputedQueries(Embeddings):
    """An ``Embeddings`` whose query vectors for known questions were computed up front.

    Only a speed-up: the vectors are the wrapped model's own, so retrieval is unchanged.
    """

    def __init__(self, base: Embeddings, questions: Sequence[str]) -> None:
        """Embed the distinct ``questions`` with ``base`` in batches."""
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
        """Index the benchmark under ``work_dir`` (``corpus/``, ``index/``); embed ``questions``.

        An index cached there with other settings is rebuilt; an up-to-date one is reused.

        Args:
            benchmark: The split.
            questions: The questions that will be asked (their vectors are computed now).
            work_dir: Fineprint's corpus and index for the benchmark.
            settings: Fineprint's settings; corpus, index and chunk size are overridden.
            progress: Called with one-line status messages.

        Raises:
            EvaluationError: When ``work_dir/corpus`` holds files this command did not write,
                two websites map to one file name, Fineprint could not index a website, or a
                paragraph's block cannot be found again in its loaded document.
            FineprintError: Other errors of ingest or of loading the model or the index.
        """
        from qa.errors import IndexMismatchError
        from qa.index.embeddings import get_embeddings
        from qa.index.ingest import index_config, ingest
        from qa.index.store import PassageStore
        from qa.load import load_file
        from qa.retrieve.hybrid import HybridRetriever

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
            raise EvaluationError(msg)
        self.store = PassageStore.open(self.settings.index_dir, index_config(self.settings))
        # The retriever the answering chain builds (same k, fetch_k and fusion weights as the
        # app), with the questions' vectors computed in batches beforehand.
        embeddings = get_embeddings(self.settings.embedding_model)
        self.retriever = HybridRetriever.from_settings(
            self.store,
            self.settings,
            PrecomputedQueries(embeddings, [q.text for q in questions]),
        )
        self._heading_starts: dict[str, list[int]] = {}
        for website, doc_id in self.doc_ids.items():
            starts = heading_starts(
                load_file(self.settings.corpus_dir / doc_id, doc_id).page_content
            )
            count = len(benchmark.websites[website])
            if len(starts) != count:
                msg = (
                    f"{doc_id}: found {len(starts)} paragraph headings for {count} paragraphs; "
                    "a paragraph starting with '# ' would cause this"
                )
                raise EvaluationError(msg)
            self._heading_starts[doc_id] = starts

    def _paragraph_at(self, doc_id: str, offset: int) -> Paragraph:
        website = self.website_of[doc_id]
        index = max(0, bisect.bisect_right(self._heading_starts[doc_id], offset) - 1)
        return self.benchmark.websites[website][index]

    def rank(self, question: Question) -> Output:
        """Hybrid retrieval within the question's website, then ``EvidenceSelector``.

        Returns:
            Up to ``RANK_DEPTH`` distinct paragraph ids, and the best sentence of the passages
            the answer step would read (``None`` when none scores).
        """
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


def paragraph_sentences(paragraph: Paragraph) -> list[Sentence]:
    """The paragraph's sentences (Fineprint's splitter), each with its start offset."""
    return [
        Sentence(paragraph.pid, paragraph.text[a:b], a) for a, b in sentence_spans(paragraph.text)
    ]


class BaselineSystem:
    """The simple recipe: MiniLM vectors in Chroma, one document per paragraph, filtered search."""

    name = "baseline"

    def __init__(self, benchmark: Benchmark, questions: Sequence[Question]) -> None:
        """Embed every paragraph into a fresh in-memory Chroma collection, and the questions.

        Call ``close`` when done, to drop the collection.

        Raises:
            ModelError: When all-MiniLM-L6-v2 cannot be loaded.
        """
        self.benchmark = benchmark
        self.paragraphs = benchmark.paragraphs
        self.store = ChromaBaseline(BASELINE_MODEL, name="policyqa-baseline")
        paragraphs = list(self.paragraphs.values())
        self.store.add(
            [
                Document(page_content=p.text, metadata={"website": p.website, "pid": p.pid})
                for p in paragraphs
            ],
            [p.pid for p in paragraphs],
        )
        vectors = self.store.embed_questions([q.text for q in questions])
        self._query_vectors = {q.qid: v for q, v in zip(questions, vectors, strict=True)}
        self._sentences: dict[str, tuple[list[Sentence], np.ndarray]] = {}

    def _sentence_vectors(self, pid: str) -> tuple[list[Sentence], np.ndarray]:
        if pid not in self._sentences:
            sentences = paragraph_sentences(self.paragraphs[pid])
            vectors = self.store.embed_passages([s.text for s in sentences])
            self._sentences[pid] = (sentences, np.asarray(vectors, dtype=np.float32))
        return self._sentences[pid]

    def rank(self, question: Question) -> Output:
        """Top paragraphs of the website by similarity; the top one's closest sentence.

        Returns:
            Up to ``RANK_DEPTH`` paragraph ids, and the sentence of the first one whose vector
            has the largest dot product with the question's (``None`` for an empty ranking).
        """
        vector = (
            self._query_vectors.get(question.qid) or self.store.embed_questions([question.text])[0]
        )
        hits = self.store.search_by_vector(vector, RANK_DEPTH, {"website": question.website})
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
        self.store.close()


class RandomSystem:
    """Random order of the website's paragraphs; a random sentence of the first."""

    name = "random"

    def __init__(self, benchmark: Benchmark, seed: int = RANDOM_SEED) -> None:
        """Seeded per question, so a question's ranking does not depend on ``--limit``."""
        self.benchmark = benchmark
        self.seed = seed

    def rank(self, question: Question) -> Output:
        """A shuffled ranking (at most ``RANK_DEPTH``) and a random sentence of its first."""
        rng = random.Random(f"{self.seed}:{question.qid}")
        paragraphs = list(self.benchmark.websites[question.website])
        rng.shuffle(paragraphs)
        sentences = paragraph_sentences(paragraphs[0]) if paragraphs else []
        sentence = rng.choice(sentences) if sentences else None
        return Output([p.pid for p in paragraphs[:RANK_DEPTH]], sentence)
