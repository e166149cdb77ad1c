"""One typed settings object: defaults, overridden by ``FINEPRINT_*`` variables, then CLI flags.

Every tuned number lives here with what it was tuned on. "The question set" means the project's
80 questions over ``../shared/corpus`` before they were split (2026-11-29) into a fitting half
(``evals/questions/fit``) and a reporting half (``evals/questions/report``); numbers fitted since
use the fitting half and the fitting corpora only (``evals/README.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa.errors import SettingsError

DEFAULT_CORPUS_DIR = Path("../shared/corpus")
DEFAULT_INDEX_DIR = Path(".fineprint/index")
# The name an index takes on a Chroma server: its collections are "<name>-passages" and so on.
DEFAULT_CHROMA_INDEX = "fineprint"
# Where a machine caches what it builds from an index on a Chroma server (its side index).
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "fineprint"
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
# How vectors are made at ingest, chosen on 2026-11-29 (evals/README.md, "Ingest cost"). Before,
# every passage (with its title and section line) and every sentence was embedded, so each token
# went through the model twice.
# Passage vectors (``Settings.passage_vectors``): "embedded", each passage's text on its own;
# or "pooled", the normalised, length-weighted mean of its sentences' vectors and its title and
# section line's (qa/index/pooling.py), which embeds only sentences but lost 0.06 hit@1 on the
# fitting questions (0.09 on the reporting ones): not the default.
PASSAGE_VECTORS_EMBEDDED = "embedded"
PASSAGE_VECTORS_POOLED = "pooled"
PASSAGE_VECTOR_MODES = (PASSAGE_VECTORS_EMBEDDED, PASSAGE_VECTORS_POOLED)
DEFAULT_PASSAGE_VECTORS = PASSAGE_VECTORS_EMBEDDED
# Sentence vectors (``Settings.sentence_vectors``): "indexed", every sentence embedded at ingest;
# or "lazy", the sentences of each question's best DEFAULT_LAZY_SENTENCE_PASSAGES candidates
# (by the fused score with stand-ins) embedded at question time and kept in memory by text hash,
# the index storing each sentence with its passage's vector as a stand-in
# (qa/retrieve/sentence_vectors.py). Lazy gave the same hit@1, citation recall and abstentions
# as indexed on the fitting questions, the reporting ones and sapa-dokter, with about 0.6 of the
# ingest's embedding; 10 candidates was set, not tuned (k is 6). Indexed stays the default: lazy
# moves the cost to questions (first-pass p50/p95 about 1.1/4.4 s against 0.6/1.1 s on the sample
# corpus, measured under load) until question-time vectors are kept across processes.
SENTENCE_VECTORS_INDEXED = "indexed"
SENTENCE_VECTORS_LAZY = "lazy"
SENTENCE_VECTOR_MODES = (SENTENCE_VECTORS_INDEXED, SENTENCE_VECTORS_LAZY)
DEFAULT_SENTENCE_VECTORS = SENTENCE_VECTORS_INDEXED
DEFAULT_LAZY_SENTENCE_PASSAGES = 10
_VECTOR_MODES = {"passage_vectors": PASSAGE_VECTOR_MODES, "sentence_vectors": SENTENCE_VECTOR_MODES}
# Texts (passages, sentences) of several documents gathered before they are embedded in one run
# (qa/index/ingest.py): small documents share the engine's batches, a large one is a batch of its
# own. 0 embeds each document alone, as ingest did before 2026-11-29 (evals/bench_ingest.py runs
# both). Not tuned: a few seconds of embedding per batch keeps progress moving.
DEFAULT_INGEST_BATCH_TEXTS = 512
DEFAULT_K = 6
DEFAULT_FETCH_K = 30
# Score fusion (qa/retrieve/hybrid.py): the candidate features, and their weights in the fused
# score. `python evals/fit_ranking.py` fits them by pairwise logistic regression (scikit-learn)
# on the fitting questions, the three fitting corpora and 400 PolicyQA dev questions. The fitted
# weights did not beat these (hit@1 held out per set: invented corpora 0.824/0.667/0.588 fitted
# against 0.824/0.667/0.647 here, PolicyQA dev 0.145 against 0.152), so the earlier weights
# (grid-searched on the project's questions in an earlier session) stay, the new features at 0.
FUSION_FEATURES = (
    "dense",
    "sentence",
    "lexical",
    "dense_rank",
    "lexical_rank",
    "title",
    "title_words",
    "section_words",
)
DEFAULT_FUSION_WEIGHTS: dict[str, float] = {
    "dense": 1.0,
    "sentence": 0.5,
    "lexical": 0.08,
    "dense_rank": 0.0,
    "lexical_rank": 0.0,
    "title": 0.0,
    "title_words": 0.0,
    "section_words": 0.0,
}
# Sentences shorter than this are headings or labels ("Contacts."): they match any question on
# their one word. Set by reading the question set's misranked sentences, not by a grid.
DEFAULT_MIN_SENTENCE_CHARS = 25

# Evidence sentences, chosen on the question set before the split: quote up to four sentences,
# one per passage (raised precision 0.26 -> 0.35 and recall 0.60 -> 0.66 over several per
# passage). A sentence's score (the order retrieval's evidence is reported in) gains up to 0.04
# for repeating the question's words and loses 0.02 per rank of its passage.
DEFAULT_MAX_EVIDENCE_SENTENCES = 4
# The evidence rule (qa/answer/evidence.py): log-odds that a candidate sentence holds a gold
# quote, over EVIDENCE_FEATURES, fitted by `python evals/fit_evidence.py` (scikit-learn logistic
# regression) on the fitting half and the three fitting corpora; the threshold for quoting more
# than the best sentence is the one with the best mean citation F1 over those sets.
DEFAULT_EVIDENCE_WEIGHTS: dict[str, float] = {
    "cosine_gap": -5.2272,
    "overlap": 2.301,
    "rare_overlap": 1.9559,
    "rank": -0.7124,
    "passage_gap": -3.1886,
    "log_chars": 0.0526,
}
DEFAULT_EVIDENCE_BIAS = 0.845
DEFAULT_EVIDENCE_THRESHOLD = 0.5
DEFAULT_EVIDENCE_PER_PASSAGE = 1
DEFAULT_EVIDENCE_WORD_BONUS = 0.04
DEFAULT_EVIDENCE_RANK_PENALTY = 0.02


class AbstentionRule(BaseModel):
    """When to abstain, for one embedding model: a linear rule over the abstention signals.

    ``margin = bias + sum(weights[name] * signal[name])`` (``qa.answer.abstention``): the
    log-odds that the retrieved passages answer the question, less those of the decision
    threshold; negative means abstain. Cosines differ between models, so each model has its
    own rule.

    Example:
        >>> DEFAULT_ABSTENTION_RULES[MINILM_MODEL].weights["top_dense"]
        1.0
    """

    model_config = ConfigDict(frozen=True)

    weights: dict[str, float] = Field(description="Weight per signal (qa.answer.abstention).")
    bias: float = Field(description="The margin when every signal is 0.")


# E5: fitted by `python evals/fit_abstention.py --max-false 0.1` (scikit-learn logistic
# regression) on the fitting questions only: evals/questions/fit/fineprint.jsonl and the three
# fitting corpora of evals/corpora (ironpeak-fitness, ojekita, lumenhaus); the threshold keeps
# false abstentions at most 10 % there. Refitted after the Indonesian-English glossary
# (qa/retrieve/bilingual.py) raised word coverage for cross-lingual answers. A refit on
# 2026-11-29 (after the larger glossary and spelling correction) was not kept: on the same
# fitting runs its leave-one-corpus-out abstention recall minus false abstentions averaged 0.09
# against 0.22 for this rule (evals/README.md). These signals
# separate answerable from unanswerable questions only weakly (AUC 0.54 to 0.87 per signal and
# corpus), so recall is low; see evals/README.md. MiniLM is English-only and keeps its
# earlier hand rule in linear form: a cosine floor of 0.58 (0.10 for Indonesian questions,
# which barely match anything) and 0.5 per unknown name share.
DEFAULT_ABSTENTION_RULES: dict[str, AbstentionRule] = {
    E5_MODEL: AbstentionRule(
        weights={
            "top_dense": 1.6156,
            "top_sentence": 2.7292,
            "evidence": 2.1153,
            "coverage": 2.5798,
            "evidence_coverage": 0.9762,
            "rare_coverage": 1.5016,
            "cross_lingual": -0.8793,
            "unknown_names": -0.5020,
            "indonesian": 0.4643,
        },
        bias=-7.5958,
    ),
    MINILM_MODEL: AbstentionRule(
        weights={"top_dense": 1.0, "unknown_names": -0.5, "indonesian": 0.48}, bias=-0.58
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
    # This machine's cache of a server index's side index (qa/index/side.py).
    cache_dir: Path = DEFAULT_CACHE_DIR
    # False: no side index; every process reads every passage into memory and rebuilds BM25,
    # as before it existed. Only for comparing the two (evals/bench_startup.py).
    side_index: bool = True

    # Embedding and chunking; the index records these and refuses to mix them.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chunk_size: int = Field(
        default=DEFAULT_CHUNK_SIZE, ge=100, le=8000, description="Max characters per passage."
    )
    chunk_overlap: int = Field(
        default=DEFAULT_CHUNK_OVERLAP, ge=0, le=5, description="Sentences shared by neighbours."
    )
    passage_vectors: str = Field(
        default=DEFAULT_PASSAGE_VECTORS,
        description="'embedded' (passages embedded on their own) or 'pooled' (from sentences).",
    )
    sentence_vectors: str = Field(
        default=DEFAULT_SENTENCE_VECTORS,
        description="'indexed' (embedded at ingest) or 'lazy' (at question time, best candidates).",
    )
    lazy_sentence_passages: int = Field(
        default=DEFAULT_LAZY_SENTENCE_PASSAGES,
        ge=1,
        le=200,
        description="With lazy sentence vectors: candidates whose sentences are embedded.",
    )
    ingest_batch_texts: int = Field(
        default=DEFAULT_INGEST_BATCH_TEXTS,
        ge=0,
        le=100_000,
        description="Texts of several documents embedded together; 0: each document alone.",
    )

    # Retrieval and answering.
    k: int = Field(
        default=DEFAULT_K, ge=1, le=50, description="Passages handed to the answer step."
    )
    fetch_k: int = Field(
        default=DEFAULT_FETCH_K, ge=1, le=200, description="Candidates per retriever."
    )
    # Fusion weights by feature name (qa/retrieve/hybrid.py, ``FUSION_FEATURES``).
    fusion_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_FUSION_WEIGHTS))
    min_sentence_chars: int = Field(
        default=DEFAULT_MIN_SENTENCE_CHARS,
        ge=0,
        le=500,
        description="Shorter stored sentences never score or get quoted.",
    )

    # Evidence sentences quoted in an answer (qa/answer/evidence.py).
    max_evidence_sentences: int = Field(default=DEFAULT_MAX_EVIDENCE_SENTENCES, ge=1, le=20)
    evidence_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_EVIDENCE_WEIGHTS)
    )
    evidence_bias: float = DEFAULT_EVIDENCE_BIAS
    evidence_threshold: float = Field(
        default=DEFAULT_EVIDENCE_THRESHOLD, description="Log-odds to quote beyond the best."
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
    # Correct misspelled question words to the corpus's words (qa/retrieve/spelling.py).
    spelling_correction: bool = True

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

    @field_validator("fusion_weights")
    @classmethod
    def _known_features(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(FUSION_FEATURES))
        if unknown:
            msg = f"unknown fusion features {unknown}; known: {', '.join(FUSION_FEATURES)}"
            raise ValueError(msg)
        return weights

    @field_validator("passage_vectors", "sentence_vectors")
    @classmethod
    def _known_vector_mode(cls, value: str, info: ValidationInfo) -> str:
        known = _VECTOR_MODES[str(info.field_name)]
        if value not in known:
            msg = f"unknown {info.field_name} {value!r}; known: {', '.join(known)}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _pooled_needs_sentences(self) -> Settings:
        if (
            self.passage_vectors == PASSAGE_VECTORS_POOLED
            and self.sentence_vectors == SENTENCE_VECTORS_LAZY
        ):
            msg = (
                "passage_vectors 'pooled' is made from sentence vectors, so it needs "
                "sentence_vectors 'indexed'"
            )
            raise ValueError(msg)
        return self

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
            >>> Settings().abstention_rule("all-MiniLM-L6-v2").bias
            -0.58
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
