"""The simple recipe most retrieval tutorials start from: the one baseline Fineprint is compared to.

all-MiniLM-L6-v2 vectors in an in-memory Chroma collection through ``langchain_chroma``
(``ChromaBaseline``). Two evaluations use it:

- ``simple_recipe_scores`` (``fineprint eval --baseline``): raw file text, split by LangChain's
  ``RecursiveCharacterTextSplitter`` into 1,000-character chunks with 200 characters of overlap
  (``recipe_chunks``), top 4 by similarity. Its ranking is judged with the same support rule and
  the same ir_measures code as Fineprint's, so the two rows compare directly.
- the PolicyQA benchmark's ``baseline`` system (``qa.evaluate.policyqa.systems``): one document
  per paragraph, search filtered to the question's website.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from langchain_core.documents import Document

from qa.evaluate.metrics import (
    Outcome,
    RankedPassage,
    mean_scores,
    retrieval_per_question,
)
from qa.evaluate.questions import Question
from qa.evaluate.support import supports
from qa.load import find_files
from qa.settings import MINILM_MODEL

BASELINE_MODEL = MINILM_MODEL
RECIPE_CHUNK_SIZE = 1000
RECIPE_CHUNK_OVERLAP = 200
RECIPE_K = 4
RECIPE_MEASURES = ("hit@1", "hit@3", "mrr@10")
RECIPE_DIGITS = 4
# Hex digits of the random suffix that keeps collection names apart: every ``EphemeralClient`` of
# a process shares one in-memory Chroma, so two stores with one name would share a collection.
_NAME_SUFFIX_DIGITS = 12


class ChromaBaseline:
    """An in-memory Chroma collection of MiniLM vectors, through ``langchain_chroma.Chroma``.

    The collection has a name of its own, so several stores can live in one process; ``close``
    (or leaving a ``with`` block) deletes it.

    Example:
        >>> with ChromaBaseline() as store:
        ...     store.add([Document("We keep logs for ninety days.", metadata={"site": "a"}),
        ...                Document("We sell nothing.", metadata={"site": "b"})], ["p1", "p2"])
        ...     [hit.id for hit in store.search("How long are logs kept?", k=2)]
        ['p1', 'p2']
    """

    def __init__(self, model: str = BASELINE_MODEL, name: str = "baseline") -> None:
        """Load ``model`` and create an empty collection called ``<name>-<random hex>``.

        Raises:
            ModelError: When the model cannot be loaded.
        """
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        from qa.index.embeddings import get_embeddings

        self.embeddings = get_embeddings(model)
        self.collection_name = f"{name}-{uuid.uuid4().hex[:_NAME_SUFFIX_DIGITS]}"
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self._store = Chroma(
            collection_name=self.collection_name,
            embedding_function=self.embeddings,
            client=client,
        )

    def add(self, documents: Sequence[Document], ids: Sequence[str]) -> None:
        """Embed ``documents`` (their ``page_content``) and store them, with their metadata.

        Args:
            documents: The documents; metadata values must be str, int, float or bool.
            ids: One unique id per document, returned as ``Document.id`` by searches.
        """
        self._store.add_documents(list(documents), ids=list(ids))

    def search(
        self, question: str, k: int, where: Mapping[str, str] | None = None
    ) -> list[Document]:
        """The ``k`` documents closest to ``question`` (embedded alone), best first.

        Args:
            question: The question text.
            k: How many documents to return at most.
            where: Chroma metadata filter, e.g. ``{"website": "ebay.com"}``.
        """
        return self._store.similarity_search(question, k=k, filter=_filter(where))

    def search_by_vector(
        self, vector: Sequence[float], k: int, where: Mapping[str, str] | None = None
    ) -> list[Document]:
        """The ``k`` documents closest to a question vector from ``embed_questions``, best first.

        Args:
            vector: The question's vector (384 floats for MiniLM).
            k: How many documents to return at most.
            where: Chroma metadata filter, e.g. ``{"website": "ebay.com"}``.
        """
        return self._store.similarity_search_by_vector(list(vector), k=k, filter=_filter(where))

    def embed_questions(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors ``search`` would give each question, computed in batches.

        Returns:
            One vector per text, in order.
        """
        from qa.index.embeddings import E5Embeddings, SentenceTransformerEmbeddings

        texts = list(texts)
        if isinstance(self.embeddings, E5Embeddings | SentenceTransformerEmbeddings):
            return self.embeddings.embed_queries(texts)
        return [self.embeddings.embed_query(text) for text in texts]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors the model gives texts stored as documents (normalised for MiniLM).

        Returns:
            One vector per text, in order.
        """
        return self.embeddings.embed_documents(list(texts))

    def close(self) -> None:
        """Delete the collection and everything in it."""
        self._store.delete_collection()

    def __enter__(self) -> ChromaBaseline:
        """The store itself; it is closed when the ``with`` block ends."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Delete the collection, whether or not the block raised."""
        self.close()


def _filter(where: Mapping[str, str] | None) -> dict[str, Any] | None:
    return dict(where) if where else None


def recipe_chunks(corpus_dir: Path) -> list[Document]:
    """The recipe's chunks of every file under ``corpus_dir`` it can read as UTF-8 text.

    The recipe has no loaders: a file's raw text (Markdown, HTML source) is split as it is, and
    a file that is not UTF-8 text (a PDF) is left out.

    Returns:
        Chunks of at most ``RECIPE_CHUNK_SIZE`` characters overlapping by up to
        ``RECIPE_CHUNK_OVERLAP``, each with its file's ``doc_id`` in the metadata.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=RECIPE_CHUNK_SIZE, chunk_overlap=RECIPE_CHUNK_OVERLAP
    )
    documents = []
    for doc_id, path in find_files(corpus_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        documents.append(Document(page_content=text, metadata={"doc_id": doc_id}))
    return splitter.split_documents(documents)


def simple_recipe_scores(corpus_dir: Path, questions: Sequence[Question]) -> dict[str, float]:
    """Retrieval figures of the simple recipe over ``corpus_dir`` for the answerable questions.

    Returns:
        ``{"hit@1", "hit@3", "mrr@10", "chunks"}``: the measures in [0, 1] rounded to 4 digits
        (0.0 without answerable questions), and the number of chunks. With 4 passages
        retrieved, ``mrr@10`` is the reciprocal rank within the top 4.

    Raises:
        ModelError: When all-MiniLM-L6-v2 cannot be loaded.
    """
    chunks = recipe_chunks(corpus_dir)
    outcomes = []
    with ChromaBaseline(name="simple-recipe") as store:
        store.add(chunks, [f"chunk-{i}" for i in range(len(chunks))])
        for question in questions:
            if not question.answerable:
                continue
            hits = store.search(question.question, k=RECIPE_K)
            ranked = tuple(
                RankedPassage(
                    f"{hit.id}",
                    hit.metadata["doc_id"],
                    rank,
                    supports(hit.page_content, hit.metadata["doc_id"], question.evidence),
                )
                for rank, hit in enumerate(hits, start=1)
            )
            outcomes.append(Outcome(question.id, True, False, ranked=ranked))
    means = mean_scores(retrieval_per_question(outcomes), RECIPE_MEASURES)
    figures: dict[str, float] = {name: round(value, RECIPE_DIGITS) for name, value in means.items()}
    figures["chunks"] = len(chunks)
    return figures
