"""The simple recipe most retrieval tutorials start from, scored on the same questions.

Raw file text, split by LangChain's ``RecursiveCharacterTextSplitter`` into 1,000-character
chunks with 200 characters of overlap, embedded with all-MiniLM-L6-v2 into an in-memory Chroma
through ``langchain_chroma``, top 4 by similarity. Its ranking is judged with the same support
rule and the same ir_measures code as Fineprint's, so the two rows compare directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langchain_core.documents import Document

from qa.evaluate.metrics import Outcome, RankedPassage, retrieval_per_question
from qa.evaluate.questions import Question
from qa.evaluate.support import supports
from qa.load import find_files

RECIPE_MODEL = "all-MiniLM-L6-v2"
RECIPE_CHUNK_SIZE = 1000
RECIPE_CHUNK_OVERLAP = 200
RECIPE_K = 4
RECIPE_MEASURES = ("hit@1", "hit@3", "mrr@10")
_COLLECTION = "simple-recipe"


def _chunks(corpus_dir: Path) -> list[Document]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=RECIPE_CHUNK_SIZE, chunk_overlap=RECIPE_CHUNK_OVERLAP
    )
    documents = []
    for doc_id, path in find_files(corpus_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the recipe has no loaders; what it cannot read it never sees
        documents.append(Document(page_content=text, metadata={"doc_id": doc_id}))
    return splitter.split_documents(documents)


def simple_recipe_scores(corpus_dir: Path, questions: Sequence[Question]) -> dict[str, float]:
    """Retrieval figures of the simple recipe over ``corpus_dir`` for the answerable questions.

    Returns:
        ``{"hit@1", "hit@3", "mrr@10", "chunks"}``; with 4 passages retrieved, ``mrr@10`` is
        the reciprocal rank within the top 4.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from qa.index.embeddings import get_embeddings

    chunks = _chunks(corpus_dir)
    client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
    store = Chroma(
        collection_name=_COLLECTION, embedding_function=get_embeddings(RECIPE_MODEL), client=client
    )
    try:
        store.add_documents(chunks, ids=[f"chunk-{i}" for i in range(len(chunks))])
        outcomes = []
        for question in questions:
            if not question.answerable:
                continue
            hits = store.similarity_search(question.question, k=RECIPE_K)
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
    finally:
        client.delete_collection(_COLLECTION)
    per_question = retrieval_per_question(outcomes)
    count = len(per_question)
    figures = {
        name: round(sum(row[name] for row in per_question.values()) / count, 4) if count else 0.0
        for name in RECIPE_MEASURES
    }
    figures["chunks"] = len(chunks)
    return figures
