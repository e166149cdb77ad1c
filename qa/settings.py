"""One typed settings object: defaults, overridden by ``FINEPRINT_*`` variables, then CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CORPUS_DIR = Path("../shared/corpus")
DEFAULT_INDEX_DIR = Path(".fineprint/index")
DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
# Chosen on the evaluation questions (evals/README.md, "The chosen configuration").
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_CHUNK_OVERLAP = 1
DEFAULT_K = 6
DEFAULT_FETCH_K = 30
DEFAULT_DENSE_WEIGHT = 1.0
DEFAULT_SENTENCE_WEIGHT = 0.5
DEFAULT_LEXICAL_WEIGHT = 0.08
DEFAULT_MAX_EVIDENCE_SENTENCES = 4


class Settings(BaseSettings):
    """Everything Fineprint can be configured with.

    Every field can be set with an environment variable named ``FINEPRINT_<FIELD>``,
    e.g. ``FINEPRINT_CHUNK_SIZE=600``; the CLI's flags override both.

    Example:
        >>> Settings(chunk_size=600).chunk_size
        600
    """

    model_config = SettingsConfigDict(env_prefix="FINEPRINT_", extra="ignore")

    # Where documents come from and where the index lives.
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path = DEFAULT_INDEX_DIR

    # Embedding and chunking; the index records these and refuses to mix them.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chunk_size: int = Field(
        default=DEFAULT_CHUNK_SIZE, ge=100, le=8000, description="Max characters per passage."
    )
    chunk_overlap: int = Field(
        default=DEFAULT_CHUNK_OVERLAP, ge=0, le=5, description="Sentences shared by neighbours."
    )

    # Retrieval and answering.
    k: int = Field(
        default=DEFAULT_K, ge=1, le=50, description="Passages handed to the answer step."
    )
    fetch_k: int = Field(
        default=DEFAULT_FETCH_K, ge=1, le=200, description="Candidates per retriever."
    )
    # Fusion weights: passage cosine, best-sentence cosine, BM25 relative to the best hit.
    dense_weight: float = Field(default=DEFAULT_DENSE_WEIGHT, ge=0.0)
    sentence_weight: float = Field(default=DEFAULT_SENTENCE_WEIGHT, ge=0.0)
    lexical_weight: float = Field(default=DEFAULT_LEXICAL_WEIGHT, ge=0.0)
    max_evidence_sentences: int = Field(default=DEFAULT_MAX_EVIDENCE_SENTENCES, ge=1, le=20)
    max_question_chars: int = Field(default=500, ge=20, le=20000)

    # Optional generative answers through any OpenAI-compatible endpoint; off unless set.
    llm_base_url: str | None = None
    llm_model: str = "local"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 400
    # Extra JSON fields for every request, e.g. a llama.cpp grammar or vLLM guided decoding.
    llm_extra_body: dict[str, Any] | None = None

    # The web chat.
    host: str = "127.0.0.1"
    port: int = 7860
    concurrency: int = Field(default=2, ge=1, le=32)
    auth_user: str | None = None
    auth_password: SecretStr | None = None

    def override(self, **changes: object) -> Settings:
        """Return a copy with the non-``None`` ``changes`` applied (how CLI flags win).

        Example:
            >>> Settings().override(k=3, corpus_dir=None).k
            3
        """
        given = {key: value for key, value in changes.items() if value is not None}
        return self.model_validate({**self.model_dump(), **given})
