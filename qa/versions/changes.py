"""What changed between two versions of a series, sentence by sentence.

Sentences are compared on a key that ignores formatting (case, spacing, bullets, Markdown marks,
typographic quotes, links and URLs), so a version that only moved a link or a bullet has no
changes. ``difflib`` aligns the two sequences: equal keys are unchanged sentences; inside a
changed block a removed and an added sentence this similar (``MODIFIED_RATIO``) are one modified
sentence; a sentence removed in one place and added unchanged in another has moved, not changed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from langchain_core.documents import Document

from qa.errors import VersionError
from qa.index.sentences import sentence_spans
from qa.retrieve.bilingual import counterpart
from qa.retrieve.catalog import Catalog, same_text_key
from qa.retrieve.lexical import tokenize
from qa.versions.series import Version, period

# Two sentences at least this similar (difflib's ratio of their keys) are one sentence edited.
MODIFIED_RATIO = 0.6
# A sentence a question quotes has at least this many words (fewer match by chance).
NAMED_MIN_WORDS = 3
# Marks and spacing a stored line may carry that its quote in a question drops ("**", bullets).
NAMED_SLACK_CHARS = 40
# Two sentences at least this similar say the same (for "when did X first appear?").
SAME_RATIO = 0.9
_URL = re.compile(r"(?:https?://|www\.)\S+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})
_PUNCTUATION = re.compile(r"[\s\"'()\[\].,;:!?]+")
ADDED, REMOVED, MODIFIED = "added", "removed", "modified"
_SUMMARY_WORDS = {
    "en": ("added", "removed", "modified", "unchanged"),
    "id": ("ditambahkan", "dihapus", "diubah", "tidak berubah"),
}
# Of the words a first-seen question shares with its sentence, the share an earlier wording must
# keep (``Asked``); set by hand on the tests' examples, not fitted.
ASKED_WORD_SHARE = 0.75
# Names as written: e-mail and web addresses, numbers and codes.
_IDENTIFIER = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+|\b\w*\d[\w.,-]*\w\b|\b\d\b"
)
# A capitalised word after the question's first ("WhatsApp LLC", "Premium", "EU").
_NAME = re.compile(r"(?<=\S )[A-Z][\w-]*")
# Words of a first-seen question that ask when, not what: an earlier wording need not hold them.
_ASKED_GENERIC = frozenset(
    [
        "when",
        "first",
        "say",
        "said",
        "appear",
        "mention",
        "announc",
        "start",
        "begin",
        "did",
        "since",
    ]
)


@lru_cache(maxsize=1 << 16)
def format_key(text: str) -> str:
    """A key equal for sentences that differ only in formatting: links, bullets, quotes, case.

    Cached: first-seen answers and ``history`` key the same versions' sentences many times.

    Example:
        >>> format_key("- See our [Terms](https://x.com) “here”.")
        'see our terms here'
        >>> format_key("See our Terms 'here'")
        'see our terms here'
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = _URL.sub(" ", text.translate(_QUOTES))
    return _PUNCTUATION.sub(" ", same_text_key(text)).strip()


@dataclass
class Change:
    """One changed sentence: ``old`` (removed or before), ``new`` (added or after), or both."""

    kind: str
    old: Document | None = None
    new: Document | None = None
    similarity: float = 0.0
    relevance: float = 0.0

    @property
    def position(self) -> int:
        """Where the change sits in the newer version (the older one for a removal)."""
        doc = self.new or self.old
        return int(doc.metadata.get("start", 0)) if doc is not None else 0


@dataclass
class Comparison:
    """Two versions of one series and the sentences that changed between them."""

    series: str
    old: Version
    new: Version
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        """How many sentences were added, removed and modified."""
        return {
            kind: sum(c.kind == kind for c in self.changes) for kind in (ADDED, REMOVED, MODIFIED)
        }

    def summary(self, language: str = "en") -> str:
        """One line, e.g. ``+3 added, -1 removed, ~2 modified, 120 unchanged``, in English or
        (``language`` "id") Indonesian."""
        counts = self.counts()
        words = _SUMMARY_WORDS.get(language, _SUMMARY_WORDS["en"])
        return (
            f"+{counts[ADDED]} {words[0]}, -{counts[REMOVED]} {words[1]}, "
            f"~{counts[MODIFIED]} {words[2]}, {self.unchanged} {words[3]}"
        )


def align(old: list[Document], new: list[Document]) -> tuple[list[Change], int]:
    """The changes between two versions' sentences (in text order), and how many are unchanged.

    Formatting-only differences are no change (``format_key``); sentences empty once formatting
    is removed (a lone bullet or link) are left out.
    """
    old = [s for s in old if format_key(s.page_content)]
    new = [s for s in new if format_key(s.page_content)]
    old_keys = [format_key(s.page_content) for s in old]
    new_keys = [format_key(s.page_content) for s in new]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    changes: list[Change] = []
    unchanged = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            unchanged += i2 - i1
            continue
        changes.extend(_pair(old[i1:i2], old_keys[i1:i2], new[j1:j2], new_keys[j1:j2]))
    return _across_blocks(_without_moves(changes)), unchanged


def _across_blocks(changes: list[Change]) -> list[Change]:
    """Pair a removal and an addition left in different changed blocks when they are similar.

    A reworded sentence that also moved ("We also explain …" becoming "It also explains …" a
    paragraph later) is one modification, not a removal and an addition.
    """
    removed = [c for c in changes if c.kind == REMOVED and c.old is not None]
    added = [c for c in changes if c.kind == ADDED and c.new is not None]
    if not removed or not added:
        return changes
    pairs = _pair(
        [c.old for c in removed],  # type: ignore[misc]
        [format_key(c.old.page_content) for c in removed],  # type: ignore[union-attr]
        [c.new for c in added],  # type: ignore[misc]
        [format_key(c.new.page_content) for c in added],  # type: ignore[union-attr]
    )
    modified = [c for c in pairs if c.kind == MODIFIED]
    if not modified:
        return changes
    paired = {id(c.old) for c in modified} | {id(c.new) for c in modified}
    kept = [c for c in changes if not (c.kind in (ADDED, REMOVED) and id(c.old or c.new) in paired)]
    return kept + modified


def _pair(
    old: list[Document], old_keys: list[str], new: list[Document], new_keys: list[str]
) -> list[Change]:
    """Pair removed and added sentences of one changed block by similarity, best pairs first.

    Only pairs at least ``MODIFIED_RATIO`` similar can pair, so a pair whose cheap upper bounds
    (``real_quick_ratio``, ``quick_ratio``) fall below it is never scored in full: a rewritten
    policy has blocks of hundreds of sentences on each side, and scoring every pair took
    seconds.
    """
    scored: list[tuple[float, int, int]] = []
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    old_words = [_content_words(a) for a in old_keys]
    for j, b in enumerate(new_keys):
        # The second sequence is the one difflib indexes: set once per added sentence.
        matcher.set_seq2(b)
        words = _content_words(b)
        for i, a in enumerate(old_keys):
            # Two wordings of one sentence share a word; a page that switched language
            # (hundreds of sentences a side) shares almost none, and scoring every pair of it
            # took most of a minute.
            if words and old_words[i] and not words & old_words[i]:
                continue
            matcher.set_seq1(a)
            if (
                matcher.real_quick_ratio() >= MODIFIED_RATIO
                and matcher.quick_ratio() >= MODIFIED_RATIO
                and (ratio := matcher.ratio()) >= MODIFIED_RATIO
            ):
                scored.append((ratio, i, j))
    scored.sort(reverse=True)
    paired_old: dict[int, tuple[int, float]] = {}
    used_new: set[int] = set()
    for ratio, i, j in scored:
        if ratio < MODIFIED_RATIO:
            break
        if i not in paired_old and j not in used_new:
            paired_old[i] = (j, ratio)
            used_new.add(j)
    changes = [
        Change(MODIFIED, old[i], new[j], similarity=ratio) for i, (j, ratio) in paired_old.items()
    ]
    changes += [Change(REMOVED, old=s) for i, s in enumerate(old) if i not in paired_old]
    changes += [Change(ADDED, new=s) for j, s in enumerate(new) if j not in used_new]
    return changes


def _content_words(key: str) -> frozenset[str]:
    # Words of four letters or more: short ones ("the", "les", "and") are shared by chance.
    return frozenset(word for word in key.split() if len(word) >= 4)


def _without_moves(changes: list[Change]) -> list[Change]:
    """Drop a removal and an addition of the same sentence: it moved, it did not change."""
    removed = {format_key(c.old.page_content) for c in changes if c.kind == REMOVED and c.old}
    added = {format_key(c.new.page_content) for c in changes if c.kind == ADDED and c.new}
    moved = removed & added
    return [
        c
        for c in changes
        if not (c.kind in (ADDED, REMOVED) and format_key((c.new or c.old).page_content) in moved)  # type: ignore[union-attr]
    ]


def find_series(catalog: Catalog, name: str) -> str:
    """The series ``name`` means: its exact key, else the one key containing it (any case);
    a document recorded once is a series of one version.

    Raises:
        VersionError: No series or several match; the message lists the candidates.
    """
    every = {**catalog.timelines, **catalog.singles}
    if name in every:
        return name
    # Separators do not matter: "WhatsApp/Privacy Policy" names "WhatsApp Privacy Policy | …".
    wanted = _plain(name)
    matches = [key for key in every if wanted in _plain(key)]
    exact = [key for key in matches if _plain(key) == wanted]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    known = ", ".join(sorted(catalog.timelines)) or "none: no document has two versions"
    if matches:
        msg = f"'{name}' names several series: {', '.join(sorted(matches))}"
    else:
        msg = f"no series '{name}' in the index; series with versions: {known}"
    raise VersionError(msg)


# What a question calls each kind of document, in English and Indonesian; the first one named
# wins ("When did WhatsApp's privacy policy first announce Our Updated Terms?" means the policy).
KIND_NAMES = {
    "policy": ("privacy policy", "privacy notice", "kebijakan privasi", "pemberitahuan privasi"),
    "terms": (
        "terms of service",
        "terms of use",
        "terms",
        "ketentuan layanan",
        "ketentuan",
        "syarat",
    ),
}


def kind_names_pattern() -> str:
    """A regex alternation of every kind name of ``KIND_NAMES``, singular and plural."""
    return _alternatives([name for names in KIND_NAMES.values() for name in names], plural=True)


def named_series(catalog: Catalog, question: str) -> list[str]:
    """The series whose publisher ``question`` names, narrowed to the kind it names first.

    Empty when the question names no publisher of a series; several when it names a publisher
    but no kind (or a kind the publisher has several series of).

    Example: "What changed in WhatsApp's privacy policy in November 2020?" names the series of
    WhatsApp's policy, not Instagram's, however close Instagram's passages are.
    """
    folded = question.casefold()
    named = [
        key
        for key, versions in {**catalog.timelines, **catalog.singles}.items()
        if _said_name(question, str(catalog.documents[versions[-1].doc_id].get("publisher") or ""))
    ]
    kind = _first_kind(folded)
    if kind is None:
        return named
    of_kind = [
        key
        for key in named
        if catalog.documents[catalog.series_versions(key)[-1].doc_id].get("kind") == kind
    ]
    return of_kind or named


@dataclass(frozen=True)
class Scope:
    """The documents a question names: one publisher's, of one kind."""

    # The publisher's name as the question uses it, casefolded ("whatsapp"): as a publisher
    # filter (a part of the name) it keeps every company form of it.
    publisher: str
    # That name as the question writes it ("WhatsApp"), for messages.
    label: str
    kind: str
    # The question without the words naming the documents: what to search for in them.
    topic: str


def named_scope(catalog: Catalog, question: str) -> Scope | None:
    """The documents ``question`` asks what they say ("What does Facebook's privacy policy say
    about ...", "According to Signal's terms, ...") when it names one publisher's documents of a
    kind the index holds; ``None`` otherwise.

    Example: "What does Facebook's privacy policy say about retention?" gives Facebook's
    policies on a corpus that also holds Instagram's; "Is my contact list shared with
    Facebook?" (no kind named) and "Does WhatsApp's privacy policy let Facebook see my
    messages?" (two publishers' policies) give ``None``.
    """
    folded = question.casefold()
    kind = _first_kind(folded)
    if kind is None:
        return None
    publishers = {
        str(meta.get("publisher") or "")
        for meta in catalog.documents.values()
        if meta.get("kind") == kind
    }
    # Publishers are told apart by the name the question uses: "WhatsApp" names WhatsApp LLC
    # and WhatsApp Ireland Limited alike, "WhatsApp ... Facebook" two publishers.
    said = {_said_name(question, name) for name in publishers} - {""}
    if len(said) != 1:
        return None
    publisher = re.escape(said.pop())
    document = _alternatives(list(KIND_NAMES[kind]), plural=True)
    naming = re.search(
        rf"(?<!\w)(?P<before>{publisher})(?:['’]s)?\s+(?:{document})(?!\w)"
        rf"|(?<!\w)(?:{document})\s+(?:of\s+)?(?P<after>{publisher})(?!\w)",
        question,
        flags=re.IGNORECASE,
    )
    # Only a question about what the document itself says is kept to it: "Which apps did
    # WhatsApp users move to after the privacy policy notice?" is answered by the news.
    if naming is None or not (
        _SAYS_BEFORE.search(question[: naming.start()])
        or _SAYS_AFTER.match(question[naming.end() :])
    ):
        return None
    # Once they choose the documents, the words naming them only pull passages that mention
    # Facebook or the policy above those about the topic ("Facebook Pay" later stays).
    topic = " ".join(f"{question[: naming.start()]} {question[naming.end() :]}".split())
    label = naming.group("before") or naming.group("after")
    return Scope(label.casefold(), label, kind, topic or question)


# Words around "<publisher>'s <kind>" that ask what the document says.
_SAYS_BEFORE = re.compile(
    r"(?<!\w)(?:according\s+to|under|in|menurut|berdasarkan|dalam|apa\s+kata)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_SAYS_AFTER = re.compile(
    r"\s*(?:say|says|said|state|states|mention|mentions|allow|allows|permit|permits|let|lets|"
    r"menyebut|mengatakan|menyatakan|mengizinkan|tentang)(?!\w)",
    re.IGNORECASE,
)


def _alternatives(phrases: list[str], *, plural: bool = False) -> str:
    """A regex alternation of ``phrases``, longest first; with ``plural``, each also in the
    plural ("policy", "policies")."""
    forms = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = re.escape(phrase)
        if plural:
            body = f"{re.escape(phrase[:-1])}(?:y|ies)" if phrase.endswith("y") else f"{body}s?"
        forms.append(body)
    return "|".join(forms)


def _first_kind(folded: str) -> str | None:
    """The kind of document (``KIND_NAMES``) a casefolded question names first, if any."""
    spots = {
        kind: min(
            (i for name in names if (i := _position(folded, name, plural=True)) >= 0),
            default=-1,
        )
        for kind, names in KIND_NAMES.items()
    }
    said = sorted((i, kind) for kind, i in spots.items() if i >= 0)
    return said[0][1] if said else None


def named_sentence(question: str, texts: Iterable[str]) -> str:
    """The longest of the sentence ``texts`` (at least ``NAMED_MIN_WORDS`` words) that
    ``question`` quotes word for word, formatting aside; ``""`` when it quotes none.

    Example:
        >>> named_sentence("When did it first say Updated May 25, 2018?",
        ...                ["Updated May 25, 2018", "We keep logs."])
        'Updated May 25, 2018'
    """
    asked = f" {format_key(question)} "
    # Every question runs this over its candidates' sentences: a line longer than the question
    # cannot be quoted in it, and skipping those spares most of the key building.
    found = [
        text
        for text in texts
        if len(text) <= len(question) + NAMED_SLACK_CHARS
        and len((key := format_key(text)).split()) >= NAMED_MIN_WORDS
        and f" {key} " in asked
    ]
    return max(found, key=len, default="")


# Company forms a question leaves out: "WhatsApp" names the publisher "WhatsApp LLC".
# Indonesian company forms come first: "PT Jalan Kita Nusantara", "CV Maju Jaya".
_COMPANY_PREFIX = re.compile(r"^(?:pt|cv|pd|ud)\.?\s+", re.IGNORECASE)
_COMPANY_FORMS = re.compile(
    r"[\s,]+(?:llc|inc\.?|ltd\.?|limited|plc|gmbh|corp\.?|corporation|co\.?|"
    r"ireland limited|platforms(?:,? inc\.?)?|messenger,? llc|pte\.? ltd\.?|pt|tbk)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=64)
def said_publishers(catalog: Catalog, question: str) -> frozenset[str]:
    """The forms of the indexed publishers' names that ``question`` uses, casefolded
    ("telegram" in "At what age can I use Telegram?"); empty when it names none.

    Cached: the answer step asks it of one question up to four times (about 1.4 ms each at
    877 documents), and a catalog's publishers never change.
    """
    return frozenset(form for name in _publishers(catalog) if (form := _said_name(question, name)))


@lru_cache(maxsize=8)
def _publishers(catalog: Catalog) -> frozenset[str]:
    # A catalog lives as long as its index generation; its publishers never change.
    return frozenset(str(meta.get("publisher") or "") for meta in catalog.documents.values())


def _said_name(question: str, name: str) -> str:
    """The longest form of publisher ``name`` that ``question`` uses, casefolded: the name,
    the name without its company form, or that form's first word when the question writes it
    as a name ("Telegram's" for "Telegram Messenger Inc."); ``""`` when it uses none."""
    folded = question.casefold()
    name = name.casefold().strip()
    if not name or name == "unknown":
        return ""
    short = _short_name(name)
    found = [form for form in {name, short} if form and _position(folded, form) >= 0]
    first = short.split()[0] if " " in short else ""
    # A first word alone is a common word as often as a name ("Kabar Tegal": "kabar" is
    # Indonesian for news): only capitalised, and not at the question's start.
    if len(first) >= 4 and re.search(rf"(?<=\w)\W+{re.escape(first.capitalize())}(?!\w)", question):
        found.append(first)
    return max(found, key=len, default="")


def _short_name(name: str) -> str:
    """A publisher's casefolded name without its company forms ("WhatsApp LLC": "whatsapp";
    "PT Tembang Musik Nusantara": "tembang musik nusantara")."""
    short = name.casefold().strip()
    while (shorter := _COMPANY_PREFIX.sub("", _COMPANY_FORMS.sub("", short)).strip()) != short:
        short = shorter
    return short


def _position(folded: str, phrase: str, *, plural: bool = False) -> int:
    # "WhatsApp's 2019 and 2021 privacy policies" names the kind as much as the singular does;
    # a publisher's name is matched as written ("Signal" is not "signals").
    match = re.search(rf"(?<!\w)(?:{_alternatives([phrase], plural=plural)})(?!\w)", folded)
    return match.start() if match else -1


def _plain(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def version_on(versions: list[Version], day: str) -> Version:
    """The version in force on ``day`` (a year or month means its last day).

    Raises:
        VersionError: ``day`` is not a date, or is before the first version.
    """
    try:
        last = period(day)[1]
    except ValueError as exc:
        msg = f"a date must look like 2020-10-28, 2020-10 or 2020, not {day!r}"
        raise VersionError(msg) from exc
    kept = [v for v in versions if v.valid_from <= last]
    if not kept:
        msg = (
            f"no version of {versions[0].series} was in force on {day}; the first recorded one "
            f"is in force from {versions[0].valid_from}"
        )
        raise VersionError(msg)
    return kept[-1]


def version_sentences(
    catalog: Catalog, store: object, doc_id: str
) -> tuple[list[Document], np.ndarray]:
    """A version's stored sentences in text order, with their vectors (rows in step).

    A stored lead-in with its list items is one sentence for quoting, but compared as its lines:
    otherwise one edited item makes the whole list "added" and hides the items that stayed
    ("If a message is still undelivered after 30 days, we delete it."). Each line keeps its
    exact offsets in the version's text and its sentence's vector.
    """
    sentences, vectors = catalog.sentences(store, [doc_id])[0]  # type: ignore[arg-type]
    pieces: list[Document] = []
    rows: list[int] = []
    for row, sentence in enumerate(sentences):
        parts = _lines_of(sentence)
        pieces.extend(parts)
        rows.extend([row] * len(parts))
    if len(pieces) == len(sentences):
        return pieces, vectors
    return pieces, (vectors[rows] if len(vectors) else vectors)


def _lines_of(sentence: Document) -> list[Document]:
    text = sentence.page_content
    if "\n" not in text:
        return [sentence]
    start = int(sentence.metadata.get("start", 0))
    parts: list[Document] = []
    offset = 0
    for line in text.split("\n"):
        for a, b in sentence_spans(line):
            meta = {**sentence.metadata, "start": start + offset + a, "end": start + offset + b}
            parts.append(Document(page_content=line[a:b], metadata=meta))
        offset += len(line) + 1
    return parts or [sentence]


def compare(
    catalog: Catalog,
    store: object,
    series: str,
    old: Version,
    new: Version,
    about: np.ndarray | None = None,
) -> Comparison:
    """Align two versions of ``series``; with ``about`` (a query vector), rank the changes by it.

    Changes come in text order, or most relevant first when ``about`` is given.
    """
    old_sentences, old_vectors = version_sentences(catalog, store, old.doc_id)
    new_sentences, new_vectors = version_sentences(catalog, store, new.doc_id)
    changes, unchanged = align(old_sentences, new_sentences)
    if about is not None:
        rows_old = {id(s): i for i, s in enumerate(old_sentences)}
        rows_new = {id(s): i for i, s in enumerate(new_sentences)}
        for change in changes:
            scores = []
            if change.old is not None and len(old_vectors):
                scores.append(float(old_vectors[rows_old[id(change.old)]] @ about))
            if change.new is not None and len(new_vectors):
                scores.append(float(new_vectors[rows_new[id(change.new)]] @ about))
            change.relevance = max(scores, default=0.0)
        changes.sort(key=lambda c: -c.relevance)
    else:
        changes.sort(key=lambda c: c.position)
    return Comparison(series, old, new, changes, unchanged)


def first_appearance(
    catalog: Catalog, store: object, series: str, text: str
) -> tuple[Version, Document] | None:
    """The first version of ``series`` with a sentence saying ``text``, and that sentence.

    A sentence with the same ``format_key`` wins; only when no version has one does a sentence
    at least ``SAME_RATIO`` similar count (so "WhatsApp LLC provides" is not found in the
    version that said "WhatsApp Inc. provides").
    """
    key = format_key(text)
    versions = catalog.series_versions(series)
    texts = [(v, version_sentences(catalog, store, v.doc_id)[0]) for v in versions]
    for version, sentences in texts:
        for sentence in sentences:
            if format_key(sentence.page_content) == key:
                return version, sentence
    for version, sentences in texts:
        for sentence in sentences:
            other = format_key(sentence.page_content)
            if other and difflib.SequenceMatcher(None, key, other).ratio() >= SAME_RATIO:
                return version, sentence
    return None


@dataclass(frozen=True)
class Asked:
    """What a first-seen question and the sentence found for it share: what an earlier
    wording must still say to count as saying the same.

    ``names`` (addresses, numbers, codes and capitalised names, case-folded) must all appear;
    of ``words`` (stemmed, ``tokenize``), at least ``ASKED_WORD_SHARE``, since rewording
    changes word forms ("keeps" becoming "kept").
    """

    names: frozenset[str]
    words: frozenset[str]

    @classmethod
    def of(cls, question: str, language: str, sentence: str) -> Asked:
        """What ``question`` (in ``language``, "en" or "id") and ``sentence`` share."""
        text = sentence.casefold()
        names = {
            m.casefold()
            for m in [*_IDENTIFIER.findall(question), *_NAME.findall(question)]
            if m.casefold() in text and m.casefold() not in _ASKED_GENERIC
        }
        asked = set(tokenize(question, language)) | set(tokenize(counterpart(question, language)))
        words = (asked & set(tokenize(sentence))) - _ASKED_GENERIC
        return cls(frozenset(names), frozenset(words))

    def said_by(self, text: str) -> bool:
        """Whether ``text`` still says it; never when there is nothing to say."""
        if not self.names and not self.words:
            return False
        folded = text.casefold()
        if not all(name in folded for name in self.names):
            return False
        if not self.words:
            return True
        shared = len(self.words & set(tokenize(text)))
        return shared >= ASKED_WORD_SHARE * len(self.words)


def earlier_wording(
    catalog: Catalog,
    store: object,
    series: str,
    found: tuple[Version, Document],
    asked: Asked,
) -> list[tuple[Version, Document]]:
    """The wordings ``found`` had before it, newest first, while each still says ``required``.

    ``found`` is the first version of ``series`` with a sentence (``first_appearance``). The
    version before it is searched for the sentence it reworded: one absent from ``found``'s
    version and at least ``MODIFIED_RATIO`` similar. The older wording continues the trace only
    if it still says what was ``asked``, so a fact is traced to where it was first said in
    other words, and not to a sentence that said something else in the same place
    ("support@whatsapp.com" before "support@support.whatsapp.com").

    Returns ``[]`` when the sentence has no earlier wording that says it.
    """
    versions = catalog.series_versions(series)
    traced: list[tuple[Version, Document]] = []
    version, sentence = found
    while (index := versions.index(version)) > 0:
        newer = {
            format_key(s.page_content) for s in version_sentences(catalog, store, version.doc_id)[0]
        }
        key = format_key(sentence.page_content)
        before = versions[index - 1]
        best: tuple[float, Document] | None = None
        for candidate in version_sentences(catalog, store, before.doc_id)[0]:
            other = format_key(candidate.page_content)
            if not other or other in newer:
                continue
            if not asked.said_by(candidate.page_content):
                continue
            ratio = difflib.SequenceMatcher(None, key, other, autojunk=False).ratio()
            if ratio >= MODIFIED_RATIO and (best is None or ratio > best[0]):
                best = (ratio, candidate)
        if best is None:
            break
        earliest = first_appearance(catalog, store, series, best[1].page_content)
        if earliest is None or earliest[0] in (v for v, _ in traced) or earliest[0] == version:
            break
        traced.append(earliest)
        version, sentence = earliest
    return traced


def history(
    catalog: Catalog, store: object, series: str
) -> list[tuple[Version, Comparison | None]]:
    """Every version of ``series``, oldest first, with what changed from the one before."""
    versions = catalog.series_versions(series)
    rows: list[tuple[Version, Comparison | None]] = []
    for index, version in enumerate(versions):
        before = versions[index - 1] if index else None
        rows.append((version, compare(catalog, store, series, before, version) if before else None))
    return rows
