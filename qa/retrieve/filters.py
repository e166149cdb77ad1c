"""Metadata filters: which documents a question may be answered from.

Every entry point (the page's form, ``fineprint ask``, the chain's dict input, the JSON API)
builds its filters here, so all of them accept and refuse the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from qa.errors import FilterError
from qa.versions.series import period

# What a form or API sends for "no filter" besides a blank value.
ANY_VALUE = "any"
# ``versions`` values: every version of every series, or the one before the current one.
ALL_VERSIONS = "all"
PREVIOUS_VERSION = "previous"
_VERSION_CHOICES = (ALL_VERSIONS, PREVIOUS_VERSION, "current")
# An ``as_of`` part "<2021-01" means the day before that period starts.
BEFORE = "<"


@dataclass(frozen=True)
class SearchFilters:
    """Restrict retrieval by publisher, kind, language, region and document date.

    Text filters match case-insensitively; ``publisher`` and ``region`` match a part of the
    value ("WhatsApp" matches "WhatsApp LLC"), ``kind`` and ``language`` the whole value.
    Dates are ISO strings (``YYYY-MM-DD``, normalised from any form ``date.fromisoformat``
    reads); documents without a date pass date filters only when no date filter is set.

    Versions (``qa.versions``): by default only the current version of each series is searched.
    ``as_of`` picks the versions in force on a day, month or year (``2020-07-15``, ``2020-12``,
    ``2019``; several joined by commas; ``<2021-01`` for the day before a period), and
    ``versions`` is ``all`` (every version), ``previous`` (the one before the current one) or
    ``current``. A document alone in its series is always searched.

    Raises:
        FilterError: A date is not a date, or the range ends before it starts.

    Example:
        >>> SearchFilters(language="id").matches({"language": "id"})
        True
        >>> SearchFilters(date_from="2021-02-01", date_to="2021-01-01")
        Traceback (most recent call last):
        ...
        qa.errors.FilterError: the date range ends (2021-01-01) before it starts (2021-02-01)
    """

    publisher: str | None = None
    kind: str | None = None
    language: str | None = None
    region: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    as_of: str | None = None
    versions: str | None = None

    def __post_init__(self) -> None:
        """Validate the dates so a typo fails loudly instead of filtering everything out."""
        if self.as_of:
            object.__setattr__(self, "as_of", _checked_as_of(str(self.as_of)))
        if self.versions:
            value = str(self.versions).strip().casefold()
            if value not in _VERSION_CHOICES:
                msg = f"versions must be one of {', '.join(_VERSION_CHOICES)}, not {value!r}"
                raise FilterError(msg)
            object.__setattr__(self, "versions", value)
        for name, label in (("date_from", "start date"), ("date_to", "end date")):
            value = getattr(self, name)
            if value:
                try:
                    normalised = date.fromisoformat(str(value).strip()).isoformat()
                except ValueError as exc:
                    msg = f"the {label} must be a date like 2021-01-04, not {value!r}"
                    raise FilterError(msg) from exc
                # Compared as strings with document dates: "20210104" must read "2021-01-04".
                object.__setattr__(self, name, normalised)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            msg = f"the date range ends ({self.date_to}) before it starts ({self.date_from})"
            raise FilterError(msg)

    def periods(self) -> list[tuple[str, str]]:
        """The ``(first, last)`` days of ``as_of``; ``[]`` when it is not set."""
        spans: list[tuple[str, str]] = []
        for part in (self.as_of or "").split(","):
            if part.startswith(BEFORE):
                first = date.fromisoformat(period(part[1:])[0])
                day = date.fromordinal(first.toordinal() - 1).isoformat()
                spans.append((day, day))
            elif part:
                spans.append(period(part))
        return spans

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The filter fields, in order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_values(cls, values: Mapping[str, Any] | None = None, **more: Any) -> SearchFilters:
        """Filters from loose input: blank values and "Any" mean no filter, text is stripped.

        Args:
            values: Field names to values, e.g. a form's or a JSON request's.
            more: More fields as keywords; they win over ``values``.

        Raises:
            FilterError: An unknown field, a bad date or a reversed range.

        Example:
            >>> SearchFilters.from_values({"kind": " policy ", "language": "Any"})
            SearchFilters(publisher=None, kind='policy', language=None, region=None, \
date_from=None, date_to=None, as_of=None, versions=None)
        """
        given = {**(values or {}), **more}
        unknown = sorted(set(given) - set(cls.names()))
        if unknown:
            msg = f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(cls.names())}"
            raise FilterError(msg)

        def clean(value: Any) -> str | None:
            text = "" if value is None else str(value).strip()
            return None if not text or text.casefold() == ANY_VALUE else text

        return cls(**{name: clean(value) for name, value in given.items()})

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(getattr(self, name) for name in self.names())

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Whether a document or passage with ``metadata`` passes every filter."""

        def has(field: str, wanted: str | None, *, partial: bool) -> bool:
            if not wanted:
                return True
            value = str(metadata.get(field) or "").casefold()
            wanted = wanted.casefold().strip()
            return wanted in value if partial else wanted == value

        if not (
            has("publisher", self.publisher, partial=True)
            and has("region", self.region, partial=True)
            and has("kind", self.kind, partial=False)
            and has("language", self.language, partial=False)
        ):
            return False
        when = str(metadata.get("document_date") or "")
        if self.date_from and (not when or when < self.date_from):
            return False
        return not (self.date_to and (not when or when[: len(self.date_to)] > self.date_to))

    @property
    def restricts_documents(self) -> bool:
        """Whether a filter other than the version choice is set."""
        return any(getattr(self, name) for name in self.names() if name not in _VERSION_FIELDS)


_VERSION_FIELDS = ("as_of", "versions")


def _checked_as_of(value: str) -> str:
    """``value`` with each period checked and normalised.

    Raises:
        FilterError: A part is not a year, month or day.
    """
    parts = []
    for raw in value.split(","):
        part = raw.strip()
        if not part:
            continue
        bare = part.removeprefix(BEFORE).strip()
        try:
            first, _last = period(bare)
        except ValueError as exc:
            msg = f"as-of must be a date like 2020-07-15, 2020-12 or 2019, not {part!r}"
            raise FilterError(msg) from exc
        normal = bare if len(bare) in (4, 7) else first
        parts.append(f"{BEFORE}{normal}" if part.startswith(BEFORE) else normal)
    return ",".join(parts)
