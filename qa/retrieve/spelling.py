"""Spelling correction of question words against the corpus's own words (SymSpell).

A misspelled word ("shrae", "contcts", "Facebok") matches nothing in BM25 and counts as a name
the corpus never mentions, so the abstention rule refuses a question the documents answer. Each
question word the corpus does not have is replaced by the corpus word closest to it in
Damerau-Levenshtein distance (ties: the word more documents use), through ``symspellpy``
(Wolf Garbe's symmetric-delete algorithm). Only words of at least ``MIN_WORD_CHARS`` letters are
corrected, by at most one edit below ``TWO_EDITS_FROM`` letters and two from it: a short word
is more often a real word the corpus lacks than a typo.

A word is never corrected when it is a word of the language rather than a typo: an English word
of symspellpy's bundled frequency dictionary (82,765 words: "uninstall" is not "install"), a
word whose stem the corpus or the Indonesian glossary has ("memberships", "ditangguhkan"), or a
capitalised name more than one edit from the corpus word ("Informatika" is not "Information").
A capitalised word is corrected only to a word of a document's title or publisher ("Facebok"
to "Facebook", never "Maret", March, to "Market") or to a month ("Decmber"), and month names in
either language are never corrected.
In a question not in English only names are corrected: no Indonesian word list ships offline,
and without one "bukan" (not) looked like a typo of "bulan" (month).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Set
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.retrieve.bilingual import GLOSSARY
from qa.retrieve.lexical import STOPWORDS, tokenize
from qa.versions.dates import MONTH_NAMES

if TYPE_CHECKING:
    from symspellpy import SymSpell

    from qa.retrieve.catalog import Catalog

# Shorter words are left alone: "fine" one edit from "find" is not a typo.
MIN_WORD_CHARS = 5
# Words this long may be two edits from the word meant ("privcy polcy").
TWO_EDITS_FROM = 8
# A correction goes to a word at least this many documents use. One: a small corpus (a
# company's three policies) has most words once, and the checks below keep real words.
MIN_DOCUMENTS = 1
# Letters only: "Turkey's" is "Turkey" and "s", so a possessive is never corrected away.
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Correction:
    """One corrected word: ``original`` as the question wrote it, ``corrected`` with its casing."""

    original: str
    corrected: str


class SpellingCorrector:
    """Corrects question words to the corpus's words; built once per index generation."""

    def __init__(self, words: Iterable[tuple[str, int]], names: Iterable[str] = ()) -> None:
        """``words``: (casefolded word, document count) pairs, e.g. the side index's vocabulary;
        ``names``: the words a capitalised question word may become (casefolded: the words of
        the documents' titles and publishers).

        Only alphabetic words used by at least ``MIN_DOCUMENTS`` documents can be suggested.
        """
        self._known: set[str] = set()
        self._suggestable: list[tuple[str, int]] = []
        for word, count in words:
            self._known.add(word)
            if count >= MIN_DOCUMENTS and word.isalpha():
                self._suggestable.append((word, count))
        self._symspell: SymSpell | None = None
        self._names = frozenset(name.casefold() for name in names)
        self._lock = threading.Lock()

    @property
    def index_built(self) -> bool:
        """Whether the suggestion index exists yet (built at the first word needing it)."""
        return self._symspell is not None

    def _lookup(self, folded: str, distance: int) -> str:
        """The suggested corpus word for ``folded`` within ``distance`` edits ("" for none).

        The symmetric-delete index is built at the first word that needs it: most questions
        have no unknown word, and on a few hundred documents building it took about a second,
        half of a cold ``fineprint ask``.
        """
        from symspellpy import SymSpell, Verbosity

        with self._lock:
            if self._symspell is None:
                # Filled before it is kept: an interrupted build is not left half done.
                built = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
                for word, count in self._suggestable:
                    built.create_dictionary_entry(word, count)
                self._symspell, self._suggestable = built, []
            found = self._symspell.lookup(folded, Verbosity.TOP, max_edit_distance=distance)
        return str(found[0].term) if found else ""

    @classmethod
    def from_vocabulary(cls, vocabulary: Set[str], names: Iterable[str] = ()) -> SpellingCorrector:
        """From a catalog's vocabulary: the side index's (with document counts) or a plain set
        (every word counted as used by ``MIN_DOCUMENTS`` documents); ``names`` as for the
        constructor."""
        counts = getattr(vocabulary, "counts", None)
        if counts is not None:
            return cls(counts(MIN_WORD_CHARS - 2), names)
        return cls(((word, MIN_DOCUMENTS) for word in vocabulary), names)

    def correct(
        self, question: str, known: Set[str] = frozenset(), language: str = "en"
    ) -> tuple[str, list[Correction]]:
        """``question`` with its misspelled words replaced, and the corrections made.

        A word is left as it is when the corpus has it, when ``known`` has it (casefolded: an
        acronym the corpus spells out, say), when it is a stopword, too short, a word of the
        language, or has no close enough corpus word; in a question whose ``language`` (ISO
        639-1) is not English, unless it is a capitalised name.

        Example: "Does WhatsApp shrae my contcts with Facebok?" becomes "Does WhatsApp share my
        contacts with Facebook?" on a corpus that has those three words.
        """
        corrections: list[Correction] = []

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            if language != "en" and not (word[:1].isupper() and not word.isupper()):
                return word
            fixed = self._word(word, known)
            if fixed is None:
                return word
            corrections.append(Correction(word, fixed))
            return fixed

        corrected = _WORD.sub(replace, question)
        return corrected, corrections

    def misspells_known(self, word: str) -> bool:
        """Whether ``word`` is one edit from a word the corpus uses and is itself neither a
        corpus word nor a word of the language: "Facebok" misspells "facebook", while "Apple"
        and "Stripe" are words of their own, not "apply" and "strive"."""
        folded = word.casefold()
        return (
            len(folded) >= MIN_WORD_CHARS
            and folded not in self._known
            and not self._is_word(folded)
            and bool(self._lookup(folded, 1))
        )

    def _word(self, word: str, known: Set[str]) -> str | None:
        folded = word.casefold()
        if (
            len(folded) < MIN_WORD_CHARS
            or folded in self._known
            or folded in known
            or folded in STOPWORDS
            or folded in MONTH_NAMES
            or self._is_word(folded)
        ):
            return None
        # Capitalised, not shouted: "Facebok" is a name, "CONTCTS" a word in capitals.
        name = word[:1].isupper() and not word.isupper()
        distance = 2 if len(folded) >= TWO_EDITS_FROM and not name else 1
        term = self._lookup(folded, distance)
        # A name becomes a name; a misspelled month ("Decmber 2020") its month.
        if not term or (name and term not in self._names and term not in MONTH_NAMES):
            return None
        return _cased(term, word)

    def _is_word(self, folded: str) -> bool:
        # A word of the language, spelled right, that the corpus happens not to use.
        if folded in _english_words():
            return True
        stems = {*tokenize(folded, "en"), *tokenize(folded, "id")}
        return any(stem in self._known or stem in GLOSSARY for stem in stems)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    from importlib.resources import files

    listing = files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt")
    return frozenset(line.split(" ", 1)[0] for line in listing.read_text().splitlines())


@lru_cache(maxsize=2)
def corrector_for(catalog: Catalog) -> SpellingCorrector:
    """The corrector of a catalog (one index generation), made on first use; its suggestion
    index waits for the first word that needs one."""
    names = {
        word
        for meta in catalog.documents.values()
        for field in ("title", "publisher")
        for word in _WORD.findall(str(meta.get(field) or "").casefold())
    }
    return SpellingCorrector.from_vocabulary(catalog.vocabulary, names)


def _cased(word: str, like: str) -> str:
    # "Facebok" -> "Facebook", "SHRAE" -> "SHARE": the user's casing, the corpus's letters.
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
