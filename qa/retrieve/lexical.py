"""Lexical search: BM25 over the stored passages, rebuilt only when the index changes."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from langchain_core.documents import Document

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Function words of English and Indonesian: they match everywhere and rank nothing.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "about",
        "any",
        "all",
        "also",
        "more",
        "other",
        "such",
        "may",
        "should",
        "could",
        "shall",
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "dengan",
        "untuk",
        "pada",
        "adalah",
        "atau",
        "juga",
        "tidak",
        "akan",
        "saya",
        "anda",
        "kami",
        "kita",
        "apa",
        "apakah",
        "bagaimana",
        "siapa",
        "kapan",
        "mengapa",
        "dalam",
        "oleh",
        "sebagai",
        "bisa",
        "dapat",
        "ada",
        "sudah",
        "telah",
        "karena",
        "jika",
        "saat",
        "para",
        "tersebut",
        "lebih",
        "hal",
        "secara",
        "akan",
    ]
)


def tokenize(text: str, language: str = "en") -> list[str]:
    """Lower-cased, stemmed word tokens without stopwords.

    Snowball stemmers meet word forms halfway ("collected", "collection" -> "collect";
    "dibagikan", "membagikan" -> "bagi"): Indonesian text gets the Indonesian stemmer,
    everything else the English one.

    Example:
        >>> tokenize("Is my contact list shared with Facebook?")
        ['contact', 'list', 'share', 'facebook']
    """
    stem = _stemmer(language)
    return [
        stem(token)
        for token in _TOKEN.findall(text.casefold())
        if len(token) >= 2 and token not in STOPWORDS
    ]


@cache
def _stemmer(language: str) -> Callable[[str], str]:
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("indonesian" if language == "id" else "english")
    # A Snowball stemmer keeps state while it works: two threads at once corrupt each other.
    lock = threading.Lock()

    @cache
    def stem(word: str) -> str:
        with lock:
            return stemmer.stemWord(word)

    return stem


@dataclass(frozen=True)
class LexicalHit:
    """A passage's position in the lexical ranking."""

    passage: Document
    score: float


class LexicalIndex:
    """BM25 (Okapi) over a fixed list of passages.

    Example:
        >>> index = LexicalIndex([Document(page_content="We share contacts", id="a#0"),
        ...                       Document(page_content="We keep logs", id="b#0"),
        ...                       Document(page_content="Cookies", id="c#0")])
        >>> index.search("contacts", 1)[0].passage.id
        'a#0'
    """

    def __init__(self, passages: list[Document]) -> None:
        """Tokenise ``passages`` and build the BM25 statistics."""
        from rank_bm25 import BM25Okapi

        self.passages = passages
        corpus = [tokenize(searchable(p), p.metadata.get("language", "en")) for p in passages]
        self._bm25 = BM25Okapi(corpus) if passages else None

    def term_weights(self, query: str, language: str = "en") -> dict[str, float]:
        """Each query token's weight: 1 plus its BM25 idf (floored at 0), so a word every
        passage holds still counts once; a token no passage holds gets the highest idf (1..).

        Example:
            >>> index = LexicalIndex([Document(page_content="We share contacts", id="a#0"),
            ...                       Document(page_content="We keep logs", id="b#0"),
            ...                       Document(page_content="Cookies", id="c#0")])
            >>> weights = index.term_weights("share cookies or fingerprints")
            >>> weights["fingerprint"] == max(weights.values()) >= weights["share"] >= 1
            True
        """
        tokens = tokenize(query, language)
        idf = self._bm25.idf if self._bm25 is not None else {}
        unseen = max(idf.values(), default=1.0)
        return {token: 1.0 + max(0.0, idf.get(token, unseen)) for token in tokens}

    def search(
        self, query: str, k: int, allowed: set[str] | None = None, language: str = "en"
    ) -> list[LexicalHit]:
        """The ``k`` best passages for ``query``, restricted to ``allowed`` doc ids if given."""
        tokens = tokenize(query, language)
        if self._bm25 is None or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        hits: list[LexicalHit] = []
        for i in order:
            if scores[i] <= 0 or len(hits) >= k:
                break
            passage = self.passages[i]
            if allowed is not None and passage.metadata.get("doc_id") not in allowed:
                continue
            hits.append(LexicalHit(passage, float(scores[i])))
        return hits


def searchable(passage: Document) -> str:
    """The text BM25 indexes for a passage: its title, section and text."""
    # Titles and sections hold words ("Telegram", "Signal") a passage's body may never repeat.
    meta = passage.metadata
    return f"{meta.get('title', '')} {meta.get('section', '')} {passage.page_content}"
