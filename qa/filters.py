"""Metadata filters: which documents a question may be answered from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class SearchFilters:
    """Restrict retrieval by publisher, kind, language, region and document date.

    Text filters match case-insensitively; ``publisher`` and ``region`` match a part of the
    value ("WhatsApp" matches "WhatsApp LLC"), ``kind`` and ``language`` the whole value.
    Dates are ISO strings (``YYYY-MM-DD``); documents without a date pass date filters only
    when no date filter is set.

    Example:
        >>> SearchFilters(language="id").matches({"language": "id"})
        True
    """

    publisher: str | None = None
    kind: str | None = None
    language: str | None = None
    region: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self) -> None:
        """Validate the dates so a typo fails loudly instead of filtering everything out."""
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value:
                try:
                    normalised = date.fromisoformat(value).isoformat()
                except ValueError as exc:
                    msg = f"{name} must be a date like 2021-01-04, got {value!r}"
                    raise ValueError(msg) from exc
                # Compared as strings with document dates: "20210104" must read "2021-01-04".
                object.__setattr__(self, name, normalised)

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(getattr(self, f) for f in self.__dataclass_fields__)

    def matches(self, metadata: dict[str, Any]) -> bool:
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
