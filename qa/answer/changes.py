"""Answers about versions: "what changed?" and "when did X first appear?", both sides cited.

A what-changed question names its series through retrieval (the best passage among all
versions) and its versions through its dates (``qa.versions.dates``): two periods compare the
version in force at the end of each; one period compares the first version that took effect in
it with the one before; none compares the current version with the one before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from langchain_core.documents import Document

from qa.answer.evidence import Evidence
from qa.answer.extractive import cite, describe_source
from qa.answer.result import AnswerResult, Citation
from qa.answer.statements import is_date_line, statement_problem
from qa.errors import VersionError
from qa.index.sentences import sentence_spans
from qa.retrieve.catalog import Catalog
from qa.retrieve.filters import SearchFilters
from qa.retrieve.lexical import tokenize
from qa.versions.changes import (
    ADDED,
    MODIFIED,
    REMOVED,
    Asked,
    Change,
    Comparison,
    compare,
    earlier_wording,
    first_appearance,
    kind_names_pattern,
)
from qa.versions.dates import MONTH_NAMES
from qa.versions.series import Version, series_name

# Changed sentences an answer quotes, most relevant first.
MAX_CHANGES = 6
# A change must be at least this close to the question to be quoted (when any is).
MIN_RELEVANCE = 0.78
_CHANGED = re.compile(
    r"\b(?:what(?:'s|\s+has|\s+have|\s+did)?\s+(?:\w+\s+){0,6}?chang\w*|what\s+changes|"
    r"how\s+did\s+(?:\w+\s+){0,8}?change|what\s+(?:is|was)\s+(?:new|different)|differences?\s+between|"
    r"apa\s+(?:saja\s+)?yang\s+(?:berubah|diubah|baru)|perubahan\s+apa|apa\s+(?:saja\s+)?perubahan|"
    r"apa\s+bedanya|perbedaan\s+antara|bagaimana\s+(?:\w+\s+){0,8}?(?:berubah|diubah)|"
    r"bagaimana\s+perubahan)",
    re.IGNORECASE,
)
_FIRST_SEEN = re.compile(
    # "first" after a determiner is an adjective: "When was the first payment made?" asks no
    # version question.
    r"\b(?:when\s+(?:did|was|were|has|have)\s+.+?\s+"
    r"(?:(?<!the )(?<!\ba )(?<!an )(?<!my )(?<!our )(?<!your )(?<!its )(?<!their )first|"
    r"start(?:ed)?\s+(?:to|saying))\b|"
    r"when\s+was\s+.+\s+(?:added|introduced)|first\s+(?:appeared|mentioned|said|stated)|"
    r"(?:since|from)\s+when|kapan\s+(?:pertama\s+kali|mulai)|sejak\s+kapan|"
    r"pertama\s+kali\s+(?:muncul|menyebut|menyatakan|dimuat))",
    re.IGNORECASE,
)
_LABELS = {
    "en": {
        ADDED: "Added",
        REMOVED: "Removed",
        MODIFIED: "Changed",
        "to": "became",
        "lead": "Between the version in force from {old} and the one in force from {new} "
        "({series}): {summary}.",
        "none": "No sentence changed between these versions, apart from formatting.",
        "top": "The changes closest to the question:",
        "unrelated": "No change is clearly about the question; the changes closest to it:",
        "all": "The changes, in the order of the text:",
        "unstated": "Only lines that state nothing (headings, labels, links) changed:",
        "first": "This first appears in the version in force from {start} ({series}):",
        "reworded": "In these words from the version in force from {start}:",
        "earliest": "It is already in the earliest recorded version.",
        "not_found": "No version of {series} says this.",
        "more": "… and {count} more changed sentences, not shown.",
        "sources": "Sources",
    },
    "id": {
        ADDED: "Ditambahkan",
        REMOVED: "Dihapus",
        MODIFIED: "Diubah",
        "to": "menjadi",
        "lead": "Antara versi yang berlaku sejak {old} dan versi yang berlaku sejak {new} "
        "({series}): {summary}.",
        "none": "Tidak ada kalimat yang berubah di antara kedua versi ini, selain format.",
        "top": "Perubahan yang paling terkait dengan pertanyaan:",
        "unrelated": "Tidak ada perubahan yang jelas terkait dengan pertanyaan; yang paling dekat:",
        "all": "Perubahan, sesuai urutan teks:",
        "unstated": "Hanya baris yang tidak menyatakan apa pun (judul, label, tautan) "
        "yang berubah:",
        "first": "Ini pertama kali muncul dalam versi yang berlaku sejak {start} ({series}):",
        "reworded": "Dengan kata-kata ini sejak versi yang berlaku sejak {start}:",
        "earliest": "Ini sudah ada dalam versi tercatat paling awal.",
        "not_found": "Tidak ada versi {series} yang menyatakan ini.",
        "more": "… dan {count} kalimat lain yang berubah, tidak ditampilkan.",
        "sources": "Sumber",
    },
}


def asks_what_changed(question: str) -> bool:
    """Whether ``question`` asks what changed between versions (English or Indonesian).

    Example:
        >>> asks_what_changed("What changed in WhatsApp's privacy policy in January 2021?")
        True
        >>> asks_what_changed("Apa saja yang berubah dalam kebijakan privasi WhatsApp?")
        True
        >>> asks_what_changed("Does WhatsApp share my contacts?")
        False
    """
    return bool(_CHANGED.search(question))


# Words that frame a what-changed question rather than say what it is about.
_FRAME_WORDS = frozenset(
    "how did does do what which has have was were changed change changes changing wording "
    "worded text version versions update updated between and from to in of the its their "
    "apa yang saja berubah diubah perubahan dalam pada antara dan dari ke versi isi kata "
    "kalimat bagaimana".split()
)


def change_topic(question: str, named: Sequence[str] = ()) -> str:
    """What a what-changed question asks about, without its framing, dates and the names of
    its documents; ``""`` when it names no topic.

    The closest changes are ranked against this: against the whole question, "How did the
    wording about handing over my address book change between WhatsApp's 2019 and 2021
    privacy policies?" ranked lines that mention WhatsApp and its policy first.

    Args:
        question: The question, dates already removed or not (digits are dropped).
        named: Names to leave out as well (publishers), any case; the names of document
            kinds (``KIND_NAMES``, singular or plural) always are.

    Example:
        >>> change_topic("How did the wording about my address book change in 2021?")
        'about my address book'
        >>> change_topic("What changed in Acme's privacy policies?", ["Acme"])
        ''
    """
    text = re.sub(rf"(?<!\w)(?:{kind_names_pattern()})(?!\w)", " ", question.casefold())
    for name in sorted(named, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name.casefold())}(?:['’]s)?", " ", text)
    words = [
        w for w in re.findall(r"[^\W\d_]+", text) if w not in _FRAME_WORDS and w not in MONTH_NAMES
    ]
    content = [w for w in words if tokenize(w)]
    return " ".join(words) if content else ""


def asks_first_seen(question: str) -> bool:
    """Whether ``question`` asks when something first appeared ("sejak kapan ...").

    Example:
        >>> asks_first_seen("When did the age requirement of 16 first appear?")
        True
    """
    return bool(_FIRST_SEEN.search(question))


def pick_versions(versions: list[Version], filters: SearchFilters) -> tuple[Version, Version]:
    """The two versions a what-changed question compares (see the module docstring).

    Raises:
        VersionError: The series has fewer than two versions, or its dates pick one.
    """
    if len(versions) < 2:
        msg = "this document has only one version"
        raise VersionError(msg)
    periods = filters.periods()
    if len(periods) >= 2:
        old = _latest_by(versions, periods[0][1])
        new = _latest_by(versions, periods[-1][1])
    elif periods:
        first, last = periods[0]
        starting = [v for v in versions if first <= v.valid_from <= last]
        new = starting[0] if starting else versions[-1]
        old = versions[max(versions.index(new) - 1, 0)] if starting else _latest_by(versions, first)
    else:
        old, new = versions[-2], versions[-1]
    if old is None or new is None or old == new:
        msg = "the question's dates pick one version, so there is nothing to compare"
        raise VersionError(msg)
    return old, new


def _latest_by(versions: list[Version], day: str) -> Version | None:
    kept = [v for v in versions if v.valid_from <= day]
    return kept[-1] if kept else None


def passage_of(catalog: Catalog, sentence: Document) -> Document | None:
    """The stored passage of the sentence's document that holds the whole sentence."""
    start, end = int(sentence.metadata["start"]), int(sentence.metadata["end"])
    for passage in catalog.passages_of.get(str(sentence.metadata["doc_id"]), []):
        if int(passage.metadata["start"]) <= start and end <= int(passage.metadata["end"]):
            return passage
    return None


def _evidence(catalog: Catalog, sentence: Document) -> Evidence | None:
    passage = passage_of(catalog, sentence)
    if passage is None:
        return None
    start, end = int(sentence.metadata["start"]), int(sentence.metadata["end"])
    return Evidence(passage, sentence.page_content, start, end, 1.0)


def cite_changes(
    catalog: Catalog, changes: list[Change], language: str
) -> tuple[list[Citation], list[str]]:
    """Citations for both sides of ``changes`` and one answer line per change.

    Each side is quoted from its own version with its own marker.
    """
    labels = _LABELS.get(language, _LABELS["en"])
    evidence: list[Evidence] = []
    sides: list[tuple[Change, list[int]]] = []
    for change in changes:
        items = [_evidence(catalog, doc) for doc in (change.old, change.new) if doc is not None]
        kept = [item for item in items if item is not None]
        if len(kept) != len(items):
            continue
        sides.append((change, list(range(len(evidence), len(evidence) + len(kept)))))
        evidence.extend(kept)
    citations, _ = cite(evidence)
    # ``cite`` groups citations by document: find each side's own citation by where it stands,
    # never by its position in ``evidence``.
    by_place = {(c.passage_id, c.quote_start): c for c in citations}
    own = [by_place[(str(item.passage.id), item.doc_start)] for item in evidence]
    lines = []
    for change, indexes in sides:
        quoted = [f"“{own[i].quote}” [{own[i].marker}]" for i in indexes]
        joined = f" {labels['to']} ".join(quoted)
        lines.append(f"- {labels[change.kind]}: {joined}")
    return citations, lines


def quotable_changes(changes: list[Change]) -> list[Change]:
    """The changes worth quoting: headings, labels and links change too, but state nothing.

    A new date line ("Last modified: ...") is quoted only when nothing else changed: beside
    the changes it dates, it tells the reader nothing new.
    """
    # A changed overview sentence ("This policy explains ...") is a change like any other.
    stated = [
        c
        for c in changes
        if all(
            statement_problem(s.page_content, overview=True) is None for s in (c.old, c.new) if s
        )
    ]
    substantive = [
        c for c in stated if not all(is_date_line(s.page_content) for s in (c.old, c.new) if s)
    ]
    return substantive or stated


def compose_changes(
    catalog: Catalog,
    comparison: Comparison,
    language: str,
    limit: int = MAX_CHANGES,
    quoted: list[Change] | None = None,
    heading: str = "all",
) -> tuple[str, list[Citation]]:
    """The answer text and citations: the comparison's counts, then the first ``limit`` of
    ``quoted`` (default: every change that states something), each quoted from its own
    version, under ``heading``: ``"all"`` (text order), ``"top"`` (closest to the question)
    or ``"unrelated"`` (none is clearly about it; the closest anyway). When only lines that
    state nothing changed, those are quoted under a heading that says so."""
    labels = _LABELS.get(language, _LABELS["en"])
    text = labels["lead"].format(
        old=comparison.old.valid_from,
        new=comparison.new.valid_from,
        series=series_name(comparison.series),
        summary=comparison.summary(language),
    )
    changes = quotable_changes(comparison.changes) if quoted is None else quoted
    if not changes and comparison.changes:
        # Saying "nothing changed" would be false: show the changed headings and labels.
        changes, heading = comparison.changes, "unstated"
    if not changes:
        return f"{text}\n{labels['none']}\n", []
    citations, lines = cite_changes(catalog, changes[:limit], language)
    if len(changes) > limit:
        lines.append(labels["more"].format(count=len(changes) - limit))
    body = "\n".join([text, "", labels[heading], *lines])
    return body + "\n" + _sources(citations, language), citations


def _sources(citations: list[Citation], language: str) -> str:
    labels = _LABELS.get(language, _LABELS["en"])
    lines = [f"\n{labels['sources']}:"]
    shown: set[int] = set()
    for citation in citations:
        if citation.marker in shown:
            continue
        shown.add(citation.marker)
        source = citation.source
        when = f" · {source.in_force(language)}" if source.in_force() else ""
        lines.append(f"[{citation.marker}] {describe_source(source, language)}{when}")
    return "\n".join(lines) + "\n"


def answer_changes(
    result: AnswerResult,
    catalog: Catalog,
    store: object,
    series: str,
    filters: SearchFilters,
    query: np.ndarray,
) -> AnswerResult:
    """Fill ``result`` with what changed in ``series`` between the versions ``filters`` name.

    Raises:
        VersionError: The series has one version, or the dates pick only one.
    """
    old, new = pick_versions(catalog.series_versions(series), filters)
    comparison = compare(catalog, store, series, old, new, about=query)
    quotable = quotable_changes(comparison.changes)
    relevant = [c for c in quotable if c.relevance >= MIN_RELEVANCE]
    result.answer, result.citations = compose_changes(
        catalog,
        comparison,
        result.language,
        quoted=relevant or quotable,
        heading="top" if relevant else "unrelated",
    )
    result.lead = result.answer.split("\n", 1)[0]
    return result


def _asked_line(statement: str, asked: set[str]) -> str:
    # Versions are compared line by line (``version_sentences``): of a lead-in with its list,
    # trace the sentence that shares most words with the question.
    lines = [line[a:b] for line in statement.split("\n") for a, b in sentence_spans(line)]
    if len(lines) < 2:
        return statement
    return max(lines, key=lambda line: len(asked & set(tokenize(line))))


def answer_first_seen(
    result: AnswerResult,
    catalog: Catalog,
    store: object,
    series: str,
    statement: str,
    alternatives: Sequence[str] = (),
) -> AnswerResult:
    """Fill ``result`` with the first version of ``series`` that says ``statement`` (of a
    lead-in with its list, the item the question asks about).

    The same may have been said first in other words: ``alternatives`` (other sentences of the
    series that matched the question) and the wordings ``statement`` replaced
    (``earlier_wording``) count when they still hold what the question and ``statement`` share
    (``_required``). The answer quotes the earliest such wording and, when it differs, then the
    one the question matched, each from its own version.
    """
    labels = _LABELS.get(result.language, _LABELS["en"])
    line = _asked_line(statement, set(tokenize(result.question)))
    found = first_appearance(catalog, store, series, line)
    if found is not None:
        asked = Asked.of(result.question, result.language, found[1].page_content)
        earliest = min(
            [found, *earlier_wording(catalog, store, series, found, asked)]
            + [
                other
                for text in alternatives
                if asked.said_by(text)
                and (other := first_appearance(catalog, store, series, text)) is not None
            ],
            key=lambda pair: pair[0].valid_from,
        )
        chosen = [earliest, found] if earliest[0].valid_from < found[0].valid_from else [found]
        items = [_evidence(catalog, sentence) for _, sentence in chosen]
    if found is None or any(item is None for item in items):
        result.abstained = True
        result.answer = labels["not_found"].format(series=series_name(series)) + "\n"
        return result
    kept = [item for item in items if item is not None]
    citations, _ = cite(kept)
    by_place = {(c.passage_id, c.quote_start): c for c in citations}
    own = [by_place[(str(item.passage.id), item.doc_start)] for item in kept]
    first_version = chosen[0][0]
    lines = [
        labels["first"].format(start=first_version.valid_from, series=series_name(series)),
        "",
        f"“{own[0].quote}” [{own[0].marker}]",
    ]
    if len(own) > 1:
        lines += ["", labels["reworded"].format(start=chosen[1][0].valid_from)]
        lines += ["", f"“{own[1].quote}” [{own[1].marker}]"]
    if first_version == catalog.series_versions(series)[0]:
        lines += ["", labels["earliest"]]
    result.citations = citations
    result.lead = lines[0]
    result.answer = "\n".join(lines) + "\n" + _sources(citations, result.language)
    return result
