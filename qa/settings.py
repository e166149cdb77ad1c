"""One typed settings object: defaults, overridden by ``FINEPRINT_*`` variables, then CLI flags.

Every tuned number lives here with what it was tuned on. "Fitted on the question set" means
``evals/questions/fineprint.jsonl`` (80 questions over ``../shared/corpus``): the same questions
the evaluation reports on, so those figures are optimistic (``evals/README.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa.errors import SettingsError

DEFAULT_CORPUS_DIR = Path("../shared/corpus")
DEFAULT_INDEX_DIR = Path(".fineprint/index")
# The name an index takes on a Chroma server: its collections are "<name>-passages" and so on.
DEFAULT_CHROMA_INDEX = "fineprint"
# The PolicyQA benchmark (fineprint eval-policyqa) and where its figures go.
POLICYQA_DATA_DIR = Path("../shared/benchmarks/policyqa")
POLICYQA_OUT_DIR = Path("evals/out/policyqa")
POLICYQA_SPLITS = ("test", "dev")
E5_MODEL = "multilingual-e5-small"
MINILM_MODEL = "all-MiniLM-L6-v2"
DEFAULT_EMBEDDING_MODEL = E5_MODEL
# The document kinds corpus/FORMAT.md names (front matter ``kind``); others are allowed too.
DOCUMENT_KINDS = ("policy", "terms", "news", "statement")

# Chunking and retrieval: chosen on the question set (evals/README.md, "The chosen
# configuration"): 1,000-character passages beat 400 and 700 on hit@1 and citation recall.
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_CHUNK_OVERLAP = 1
DEFAULT_K = 6
DEFAULT_FETCH_K = 30
# Score fusion, grid-searched on the question set; flat between 0.5 and 1.0 for the sentence
# weight and 0.05 and 0.1 for the lexical one.
DEFAULT_DENSE_WEIGHT = 1.0
DEFAULT_SENTENCE_WEIGHT = 0.5
DEFAULT_LEXICAL_WEIGHT = 0.08
# Sentences shorter than this are headings or labels ("Contacts."): they match any question on
# their one word. Set by reading the question set's misranked sentences, not by a grid.
DEFAULT_MIN_SENTENCE_CHARS = 25

# Evidence sentences, fitted on the question set's citation precision and recall: quote up to
# four sentences, each within 0.05 cosine of the best, one per passage (raised precision 0.26 ->
# 0.35 and recall 0.60 -> 0.66 over several per passage); a sentence gains up to 0.04 for
# repeating the question's words and loses 0.02 per rank of its passage.
DEFAULT_MAX_EVIDENCE_SENTENCES = 4
DEFAULT_EVIDENCE_MARGIN = 0.05
DEFAULT_EVIDENCE_PER_PASSAGE = 1
DEFAULT_EVIDENCE_WORD_BONUS = 0.04
DEFAULT_EVIDENCE_RANK_PENALTY = 0.02


class AbstentionRule(BaseModel):
    """When to abstain, for one embedding model: cosine floors and the unknown-name penalty.

    Abstain when the best passage's cosine is below ``floor(language)`` plus
    ``unknown_name_penalty`` times the share of the question's names no document contains.
    Cosines differ between models, so each model has its own rule.

    Example:
        >>> DEFAULT_ABSTENTION_RULES[E5_MODEL].floor("id")
        0.8
    """

    model_config = ConfigDict(frozen=True)

    floors: dict[str, float] = Field(description="Cosine floor by question language (ISO 639-1).")
    default_floor: float = Field(ge=-1.0, le=1.0, description="Floor for other languages.")
    unknown_name_penalty: float = Field(ge=0.0, description="Added to the floor, times 0..1.")

    def floor(self, language: str) -> float:
        """The cosine floor for a question in ``language``, in -1..1."""
        return self.floors.get(language, self.default_floor)


# Fitted by evals/calibrate_abstention.py on the question set: 74/80 decisions right in-sample,
# 72 to 73/80 leave-one-out. On that set any Indonesian floor from 0.10 to 0.80 makes the same
# decisions (the script's grid reports the lowest, 0.10); 0.80 is kept, the cautious end of the
# tie. MiniLM is English-only: Indonesian questions barely match anything, so its floor for them
# is near zero. A model without a rule gets the default model's.
DEFAULT_ABSTENTION_RULES: dict[str, AbstentionRule] = {
    E5_MODEL: AbstentionRule(
        floors={"en": 0.85, "id": 0.80}, default_floor=0.80, unknown_name_penalty=0.1
    ),
    MINILM_MODEL: AbstentionRule(
        floors={"en": 0.58, "id": 0.10}, default_floor=0.58, unknown_name_penalty=0.5
    ),
}
DEFAULT_ABSTENTION_RULE = DEFAULT_ABSTENTION_RULES[E5_MODEL]


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
    # A Chroma server (``chroma run``) holding the index instead of ``index_dir``, so that
    # processes on several machines share it; ``chroma_index`` names the index there.
    chroma_url: str | None = None
    chroma_index: str = DEFAULT_CHROMA_INDEX

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
    # Fusion weights (qa/retrieve/hybrid.py): passage cosine, best-sentence cosine, BM25
    # relative to the best hit.
    dense_weight: float = Field(default=DEFAULT_DENSE_WEIGHT, ge=0.0)
    sentence_weight: float = Field(default=DEFAULT_SENTENCE_WEIGHT, ge=0.0)
    lexical_weight: float = Field(default=DEFAULT_LEXICAL_WEIGHT, ge=0.0)
    min_sentence_chars: int = Field(
        default=DEFAULT_MIN_SENTENCE_CHARS,
        ge=0,
        le=500,
        description="Shorter stored sentences never score or get quoted.",
    )

    # Evidence sentences quoted in an answer (qa/answer/evidence.py).
    max_evidence_sentences: int = Field(default=DEFAULT_MAX_EVIDENCE_SENTENCES, ge=1, le=20)
    evidence_margin: float = Field(
        default=DEFAULT_EVIDENCE_MARGIN, ge=0.0, le=2.0, description="Cosine below the best."
    )
    evidence_per_passage: int = Field(default=DEFAULT_EVIDENCE_PER_PASSAGE, ge=1, le=20)
    evidence_word_bonus: float = Field(default=DEFAULT_EVIDENCE_WORD_BONUS, ge=0.0, le=1.0)
    evidence_rank_penalty: float = Field(default=DEFAULT_EVIDENCE_RANK_PENALTY, ge=0.0, le=1.0)

    # Abstention (qa/answer/abstention.py), one rule per embedding model.
    abstention_rules: dict[str, AbstentionRule] = Field(
        default_factory=lambda: dict(DEFAULT_ABSTENTION_RULES)
    )

    # Questions.
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
    port: int = Field(default=7860, ge=1, le=65535)
    concurrency: int = Field(default=2, ge=1, le=32)
    auth_user: str | None = None
    auth_password: SecretStr | None = None

    @field_validator("chroma_url")
    @classmethod
    def _check_chroma_url(cls, value: str | None) -> str | None:
        from qa.index.location import parse_chroma_url

        if value is None or not value.strip():
            return None
        return parse_chroma_url(value).url

    @field_validator("chroma_index")
    @classmethod
    def _check_chroma_index(cls, value: str) -> str:
        from qa.index.location import check_index_name

        return check_index_name(value)

    def override(self, **changes: object) -> Settings:
        """Return a copy with the non-``None`` ``changes`` applied (how CLI flags win).

        Example:
            >>> Settings().override(k=3, corpus_dir=None).k
            3
        """
        given = {key: value for key, value in changes.items() if value is not None}
        return self.model_validate({**self.model_dump(), **given})

    def abstention_rule(self, model: str) -> AbstentionRule:
        """The abstention rule for ``model`` (a canonical name); the default model's if none.

        Example:
            >>> Settings().abstention_rule("all-MiniLM-L6-v2").floor("en")
            0.58
        """
        rules = self.abstention_rules
        return rules.get(model) or rules.get(E5_MODEL) or DEFAULT_ABSTENTION_RULE


def load_settings(base: Settings | None = None, **overrides: object) -> Settings:
    """Settings from the environment (or ``base``) with the non-``None`` ``overrides`` applied.

    Raises:
        SettingsError: A ``FINEPRINT_*`` variable or an override has a bad value; the message
            names each field and what is wrong with it.

    Example:
        >>> load_settings(k=0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qa.errors.SettingsError: invalid setting: k (FINEPRINT_K): Input should be ... to 1
    """
    try:
        return (base or Settings()).override(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        msg = f"invalid setting: {problems}"
        raise SettingsError(msg) from exc


def _describe(error: Any) -> str:
    """One validation error with the field's variable name, e.g. ``k (FINEPRINT_K): ...``."""
    location = [str(part) for part in error["loc"]]
    field = location[0] if location else "?"
    return f"{field} (FINEPRINT_{field.upper()}): {error['msg']}"
