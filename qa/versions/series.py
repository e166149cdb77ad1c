"""Document series: the versions of one document over time, and the dates each was in force.

A version belongs to a series (service, terms type, region where known). In the Open Terms
Archive layout ``<service>/<terms type>/<YYYY-MM-DDTHH-MM-SSZ>.md`` the folders name the series
and the file the recording time; elsewhere the front matter does (``series``, else title, kind
and region). A version took effect on the date its text states ("Last modified", "Effective")
when that date falls after the previous version was seen, else when it was recorded (or on its
``document_date``); it ends when the next version starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

# "2020-07-08T17-30-23Z.md": Open Terms Archive's name for a version, the time it was recorded.
_OTA_STEM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z$")
# Terms types Open Terms Archive names, mapped to Fineprint's kinds.
_OTA_KINDS = {"privacy policy": "policy", "terms of service": "terms"}
# Where a document states its own date; only the first part of a text is searched, since a
# date further down is about something else (a law, an event).
_STATED_DATE = re.compile(
    r"(?:last\s+(?:modified|updated|revised)|effective(?:\s+date)?(?:\s+as\s+of)?|"
    r"(?:terakhir\s+)?(?:diperbarui|diubah|berlaku(?:\s+(?:sejak|mulai))?)(?:\s+pada)?|"
    r"date\s+of\s+last\s+revision)\s*(?:on|:|-|—)?\s*"
    r"(?P<date>[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-z]+\.?,?\s+\d{4}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
STATED_DATE_WINDOW = 4000
# Metadata a series version carries (strings, so Chroma can store them).
SERIES_FIELD = "series"
RECORDED_FIELD = "recorded"
STATED_FIELD = "stated_date"


@dataclass(frozen=True)
class Version:
    """One version of a series: its document and the days it was in force.

    ``valid_to`` is the day the next version took effect (exclusive); ``""`` for the current.
    """

    doc_id: str
    series: str
    valid_from: str
    valid_to: str
    recorded: str = ""

    @property
    def current(self) -> bool:
        """Whether no later version replaced this one."""
        return not self.valid_to

    def in_force(self, start: str, end: str) -> bool:
        """Whether this version was in force on some day of ``[start, end]`` (ISO dates)."""
        return self.valid_from <= end and (not self.valid_to or self.valid_to > start)


def ota_metadata(doc_id: str) -> dict[str, str]:
    """Series metadata read from an Open Terms Archive path; ``{}`` for any other path.

    Example:
        >>> ota_metadata("WhatsApp/Privacy Policy/2020-07-08T17-30-23Z.md")["series"]
        'WhatsApp/Privacy Policy'
        >>> ota_metadata("policies/whatsapp.md")
        {}
    """
    path = PurePosixPath(doc_id)
    match = _OTA_STEM.match(path.stem)
    if match is None or len(path.parts) < 3:
        return {}
    service, terms_type = path.parts[-3], path.parts[-2]
    year, month, day, hour, minute, second = match.groups()
    return {
        "publisher": service,
        "kind": _OTA_KINDS.get(terms_type.casefold(), terms_type.casefold()),
        "title": f"{service} {terms_type}",
        SERIES_FIELD: f"{service}/{terms_type}",
        RECORDED_FIELD: f"{year}-{month}-{day}T{hour}:{minute}:{second}Z",
    }


def stated_date(text: str) -> str:
    """The date a text says it was last modified or took effect, ISO; ``""`` when none.

    Only the first ``STATED_DATE_WINDOW`` characters are read. English and Indonesian month
    names are understood (dateparser).

    Example:
        >>> stated_date("WhatsApp Privacy Policy\\nLast modified: December 19, 2019 (archived)")
        '2019-12-19'
        >>> stated_date("Terakhir diperbarui: 4 Januari 2021")
        '2021-01-04'
    """
    for match in _STATED_DATE.finditer(text[:STATED_DATE_WINDOW]):
        parsed = parse_day(match.group("date"))
        if parsed:
            return parsed
    return ""


def parse_day(value: str) -> str:
    """``value`` ("April 24, 2018", "4 Januari 2021", "2021-01-04") as ISO; ``""`` if not a day."""
    import dateparser

    parsed = dateparser.parse(
        value,
        languages=["en", "id"],
        settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    return parsed.date().isoformat() if isinstance(parsed, datetime) else ""


def series_key(metadata: Mapping[str, Any]) -> str:
    """The series a document belongs to: its ``series`` field, else title, kind and region.

    The publisher is left out: a company renamed between versions ("WhatsApp Inc." became
    "WhatsApp LLC") publishes the same document. Example:
        >>> series_key({"title": "WhatsApp Privacy Policy", "kind": "policy", "region": "EU"})
        'WhatsApp Privacy Policy | policy | EU'
    """
    explicit = str(metadata.get(SERIES_FIELD) or "").strip()
    if explicit:
        return explicit
    parts = [str(metadata.get(name) or "").strip() for name in ("title", "kind", "region")]
    return " | ".join(part for part in parts if part and part != "unknown")


def series_name(key: str) -> str:
    """A series key as a reader names it: the title, then the region.

    Example:
        >>> series_name("WhatsApp Privacy Policy | policy | outside the European Region")
        'WhatsApp Privacy Policy, outside the European Region'
        >>> series_name("WhatsApp/Terms of Service")
        'WhatsApp Terms of Service'
    """
    if " | " in key:
        title, *rest = key.split(" | ")
        # The kind (second part) repeats what the title says.
        return ", ".join([title, *rest[1:]])
    return key.replace("/", " ")


def _day(value: str) -> str:
    return value[:10]


def build_timelines(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Version]]:
    """Every series of ``documents`` (doc id -> metadata) as its versions, oldest first.

    A version is ordered by its recording time, else its document date. It takes effect on its
    stated date when that lies after the previous version's start and after that version was
    seen (a date it cannot have been replaced on before), else on the day it was recorded, else
    on its ``document_date``. Documents with none of these dates cannot be placed in time and
    are left out. A document in another language than its series (English when any version is,
    else the most common) forms a series of its own, keyed ``"<series> (<language>)"``.
    """
    grouped: dict[str, list[tuple[str, str, str, str]]] = {}
    languages = _series_languages(documents)
    for doc_id, meta in documents.items():
        key = series_key(meta)
        language = str(meta.get("language") or "")
        if key and language and languages.get(key, language) != language:
            # A capture in another language than the rest of its series (Facebook's policy
            # recorded in French) is a version of another series, not a rewrite of this one.
            key = f"{key} ({language})"
        recorded = str(meta.get(RECORDED_FIELD) or "")
        dated = str(meta.get("document_date") or "")
        stated = str(meta.get(STATED_FIELD) or "")
        order = recorded or dated or stated
        if not key or not order:
            continue
        grouped.setdefault(key, []).append((order, doc_id, recorded or dated, stated))
    timelines: dict[str, list[Version]] = {}
    for key, rows in grouped.items():
        rows.sort()
        starts: list[str] = []
        previous_seen = ""
        for _, _doc_id, seen, stated in rows:
            floor = max([*starts[-1:], _day(previous_seen)], default="")
            if stated and (not seen or stated <= _day(seen)) and stated > floor:
                start = stated
            else:
                start = _day(seen) or stated
            # Two versions cannot start on the same day in the wrong order.
            starts.append(max(start, starts[-1]) if starts else start)
            previous_seen = seen
        versions = []
        for index, (_, doc_id, seen, _) in enumerate(rows):
            end = starts[index + 1] if index + 1 < len(rows) else ""
            versions.append(Version(doc_id, key, starts[index], end, seen))
        timelines[key] = versions
    return timelines


def _series_languages(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    # Each series' language: English when any version is (a recorder abroad got some pages in
    # the local language: Facebook's policy is mostly French captures), else the most common.
    counts: dict[str, dict[str, int]] = {}
    for meta in documents.values():
        key, language = series_key(meta), str(meta.get("language") or "")
        if key and language:
            tally = counts.setdefault(key, {})
            tally[language] = tally.get(language, 0) + 1
    return {
        key: "en" if "en" in tally else min(tally, key=lambda lang: (-tally[lang], lang))
        for key, tally in counts.items()
    }


def version_index(timelines: Mapping[str, list[Version]]) -> dict[str, Version]:
    """Each document's ``Version`` by doc id."""
    return {v.doc_id: v for versions in timelines.values() for v in versions}


def period(value: str) -> tuple[str, str]:
    """The first and last day of ``value``: ``2020``, ``2020-12`` or ``2020-12-01``.

    Raises:
        ValueError: ``value`` is none of these.

    Example:
        >>> period("2020-02")
        ('2020-02-01', '2020-02-29')
    """
    text = value.strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01", f"{text}-12-31"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        first = date.fromisoformat(f"{text}-01")
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first.isoformat(), date.fromordinal(following.toordinal() - 1).isoformat()
    day = date.fromisoformat(text).isoformat()
    return day, day


def in_force(versions: Iterable[Version], periods: Iterable[tuple[str, str]]) -> list[Version]:
    """The versions in force on some day of any of ``periods`` (``(first, last)`` ISO days)."""
    spans = list(periods)
    return [v for v in versions if any(v.in_force(a, b) for a, b in spans)]
