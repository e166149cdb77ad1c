"""The typed result of answering one question: what the chain returns and the UI shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Source(BaseModel):
    """Where a passage comes from, as a reader needs it to judge and find it."""

    doc_id: str
    title: str = ""
    publisher: str = ""
    kind: str = ""
    document_date: str = ""
    language: str = ""
    region: str = ""
    section: str = ""
    url: str = ""
    page: int | None = None
    # Versions (qa.versions): the series, the days this version was in force (``valid_to``
    # exclusive, empty while current), and whether a later version replaced it.
    series: str = ""
    valid_from: str = ""
    valid_to: str = ""
    superseded: bool = False

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Source:
        """Build from passage metadata (missing fields become empty)."""
        fields = {name: metadata.get(name) for name in cls.model_fields}
        clean = {k: v for k, v in fields.items() if v is not None}
        return cls(
            **{k: (v if k in _TYPED_FIELDS else str(v)) for k, v in clean.items()},
        )

    def in_force(self, language: str = "en") -> str:
        """When this version was in force, e.g. ``in force 2020-07-13 to 2020-07-20
        (superseded)``, in English or Indonesian (``"id"``); ``""`` for a document with no
        versions."""
        if not self.valid_from:
            return ""
        words = _IN_FORCE.get(language, _IN_FORCE["en"])
        if self.valid_to:
            return words[0].format(start=self.valid_from, end=self.valid_to)
        return words[1].format(start=self.valid_from)


_TYPED_FIELDS = ("page", "superseded")
# How a version's dates are said: (superseded, current).
_IN_FORCE = {
    "en": ("in force {start} to {end} (superseded)", "in force since {start} (current)"),
    "id": ("berlaku {start} s.d. {end} (sudah diganti)", "berlaku sejak {start} (versi kini)"),
}


class PassageView(BaseModel):
    """A retrieved passage: its text exactly as indexed, and how it ranked."""

    passage_id: str
    text: str
    start: int
    end: int
    rank: int
    score: float
    source: Source


class Citation(BaseModel):
    """One ``[n]`` marker: the passage it points to and the sentence quoted from it.

    ``quote_start``/``quote_end`` are offsets in the document text; ``passage_quote_start``/
    ``passage_quote_end`` the same sentence's offsets inside the passage text.
    """

    marker: int
    passage_id: str
    quote: str
    quote_start: int
    quote_end: int
    passage_quote_start: int
    passage_quote_end: int
    score: float
    source: Source


class Quote(BaseModel):
    """One statement quoted in an answer, once, with every ``[n]`` that says it.

    ``markers`` point to citations (several when copies, versions or templates say the same);
    ``versions`` lists the document dates when those sources are versions of one document.
    """

    text: str
    markers: list[int]
    doc_id: str
    versions: list[str] = Field(default_factory=list)


class AnswerResult(BaseModel):
    """Everything Fineprint says about one question."""

    question: str
    language: str = "en"
    answer: str = ""
    citations: list[Citation] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    lead: str = ""
    passages: list[PassageView] = Field(default_factory=list)
    abstained: bool = False
    invalid_input: bool = False
    mode: str = "extractive"
    signals: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def citation(self, marker: int) -> Citation | None:
        """The citation behind marker ``[marker]``, if there is one."""
        return next((c for c in self.citations if c.marker == marker), None)
