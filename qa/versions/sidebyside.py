"""Two versions side by side: every sentence of both, row by row, grouped by section.

Built on ``align`` (``qa.versions.changes``), so the page shows exactly the changes the CLI and
the answers report: formatting-only differences are no change, an edited sentence is one
modified pair (with the words that changed), a sentence that moved is unchanged. Rows follow
the text: unchanged sentences pair up, and inside a changed block a modified pair shares a row
while a removal or an addition has a row to itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from qa.versions.changes import ADDED, MODIFIED, REMOVED, Change, align, format_key
from qa.versions.series import Version

SAME = "same"
# Words, single punctuation marks and runs of spacing: the units a modified sentence is
# compared in, so "30 days" -> "60 days" highlights "30" and "60", not whole sentences.
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")
# Typographic and straight quotation marks, and any spacing, compare equal inside a sentence:
# they are formatting, as for whole sentences (``format_key``).
_SAME_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side view: an older sentence, a newer one, or both.

    ``kind`` is ``SAME``, ``ADDED``, ``REMOVED`` or ``MODIFIED``. A modified sentence whose
    other side sits elsewhere in the text (it was edited and moved) has a row of its own with
    that other side in ``partner``; ``moved`` marks it, and an unchanged sentence that moved.
    """

    kind: str
    old: str | None = None
    new: str | None = None
    partner: str | None = None
    moved: bool = False


@dataclass
class Section:
    """The consecutive rows of one section (its heading path as the newer version has it)."""

    heading: str
    rows: list[Row] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any sentence of this section was added, removed or modified."""
        return any(row.kind != SAME for row in self.rows)

    def counts(self) -> dict[str, int]:
        """Rows of each kind (a modified sentence counts once, even when split over two rows)."""
        counts = {kind: 0 for kind in (SAME, ADDED, REMOVED, MODIFIED)}
        for row in self.rows:
            counts[row.kind] += 1 if row.kind != MODIFIED or row.new is not None else 0
        return counts


@dataclass
class SideBySide:
    """The sections of two versions of one series, with what changed between them."""

    series: str
    old: Version
    new: Version
    sections: list[Section]
    changes: list[Change]
    unchanged: int
    # Some unchanged sentence is written differently (a link, a bullet, quotation marks).
    formatting_differs: bool = False

    @property
    def formatting_only(self) -> bool:
        """Whether the versions differ, but only in formatting: no sentence changed."""
        return not self.changes and self.formatting_differs

    def counts(self) -> dict[str, int]:
        """Sentences added, removed and modified, and sentences unchanged."""
        counts = {kind: sum(c.kind == kind for c in self.changes) for kind in (ADDED, REMOVED)}
        counts[MODIFIED] = sum(c.kind == MODIFIED for c in self.changes)
        counts[SAME] = self.unchanged
        return counts


SectionOf = Callable[[Document], str]


def side_by_side(
    series: str,
    old: Version,
    new: Version,
    old_sentences: list[Document],
    new_sentences: list[Document],
    section_of: SectionOf,
) -> SideBySide:
    """Both versions' sentences (each in text order) as rows grouped by section.

    Args:
        section_of: The section path of a sentence (from its passage); a removed sentence
            stays with the rows around it when its section is theirs in the older version.
    """
    changes, unchanged = align(old_sentences, new_sentences)
    by_sentence: dict[int, Change] = {}
    for change in changes:
        for side in (change.old, change.new):
            if side is not None:
                by_sentence[id(side)] = change
    olds = [s for s in old_sentences if format_key(s.page_content)]
    news = [s for s in new_sentences if format_key(s.page_content)]
    matcher = difflib.SequenceMatcher(
        None,
        [format_key(s.page_content) for s in olds],
        [format_key(s.page_content) for s in news],
        autojunk=False,
    )
    rows: list[tuple[Row, Document | None, Document | None]] = []
    differs = False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(olds[i1:i2], news[j1:j2], strict=True):
                differs = differs or _spaced(a.page_content) != _spaced(b.page_content)
                rows.append((Row(SAME, a.page_content, b.page_content), a, b))
            continue
        rows.extend(_block_rows(olds[i1:i2], news[j1:j2], by_sentence))
    sections = _sections(rows, section_of)
    return SideBySide(series, old, new, sections, changes, unchanged, differs)


def _spaced(text: str) -> str:
    return " ".join(text.split())


def _block_rows(
    olds: list[Document], news: list[Document], by_sentence: dict[int, Change]
) -> list[tuple[Row, Document | None, Document | None]]:
    """The rows of one changed block, in the order of both texts.

    A modified pair whose two sides are both in the block shares a row; every other sentence
    has its own row, the older side's first where the order is open.
    """
    rows: list[tuple[Row, Document | None, Document | None]] = []
    i = j = 0
    while i < len(olds) or j < len(news):
        a = olds[i] if i < len(olds) else None
        b = news[j] if j < len(news) else None
        change_a = by_sentence.get(id(a)) if a is not None else None
        change_b = by_sentence.get(id(b)) if b is not None else None
        if a is not None and b is not None and change_a is not None and change_a is change_b:
            rows.append((Row(MODIFIED, a.page_content, b.page_content), a, b))
            i, j = i + 1, j + 1
        elif a is not None and not _partner_ahead(change_a, news[j:], new_side=True):
            rows.append((_alone(a, change_a, old_side=True), a, None))
            i += 1
        elif b is not None and not _partner_ahead(change_b, olds[i:], new_side=False):
            rows.append((_alone(b, change_b, old_side=False), None, b))
            j += 1
        else:
            # Both wait for partners further on (a crossing): the older side goes first.
            rows.append((_alone(a, change_a, old_side=True), a, None))  # type: ignore[arg-type]
            i += 1
    return rows


def _partner_ahead(change: Change | None, rest: list[Document], *, new_side: bool) -> bool:
    if change is None or change.kind != MODIFIED:
        return False
    partner = change.new if new_side else change.old
    return any(doc is partner for doc in rest)


def _alone(doc: Document, change: Change | None, *, old_side: bool) -> Row:
    """A sentence with a row to itself: removed, added, or modified/unchanged and moved."""
    text = doc.page_content
    if change is None:
        # In a changed block but not a change: the same sentence stands elsewhere (it moved).
        # It is shown once, on the newer side (its old place would repeat it).
        return Row(SAME, text if old_side else None, None if old_side else text, moved=True)
    if change.kind == MODIFIED:
        partner = change.new if old_side else change.old
        other = partner.page_content if partner is not None else None
        if old_side:
            return Row(MODIFIED, old=text, partner=other, moved=True)
        return Row(MODIFIED, new=text, partner=other, moved=True)
    return Row(change.kind, old=text) if old_side else Row(change.kind, new=text)


def _sections(
    rows: list[tuple[Row, Document | None, Document | None]], section_of: SectionOf
) -> list[Section]:
    sections: list[Section] = []
    last_old = ""
    for row, old, new in rows:
        if row.moved and row.kind == SAME and row.old is not None:
            continue  # shown on the newer side, where it stands now
        if new is not None:
            heading = section_of(new)
        else:
            old_section = section_of(old) if old is not None else ""
            # A removal stays with its neighbours when they shared its section before.
            heading = sections[-1].heading if sections and old_section == last_old else old_section
        if old is not None:
            last_old = section_of(old)
        if not sections or sections[-1].heading != heading:
            sections.append(Section(heading))
        sections[-1].rows.append(row)
    return sections


def word_diff(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The two sides of an edited sentence as runs of ``(text, changed)``.

    Spacing between two changed words counts as changed, so an edit reads as one stretch.

    Example:
        >>> word_diff("We keep it 30 days.", "We keep it 60 days.")
        ([('We keep it ', False), ('30', True), (' days.', False)], \
[('We keep it ', False), ('60', True), (' days.', False)])
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    old_flags: list[bool] = [False] * len(a)
    new_flags: list[bool] = [False] * len(b)
    matcher = difflib.SequenceMatcher(None, _keys(a), _keys(b), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_flags[i1:i2] = [True] * (i2 - i1)
        new_flags[j1:j2] = [True] * (j2 - j1)
    return _runs(a, old_flags), _runs(b, new_flags)


def _keys(tokens: list[str]) -> list[str]:
    return [" " if token.isspace() else token.translate(_SAME_MARKS) for token in tokens]


def _runs(tokens: list[str], flags: list[bool]) -> list[tuple[str, bool]]:
    for index in range(1, len(tokens) - 1):
        if tokens[index].isspace() and flags[index - 1] and flags[index + 1]:
            flags[index] = True
    runs: list[tuple[str, bool]] = []
    for token, flag in zip(tokens, flags, strict=True):
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + token, flag)
        else:
            runs.append((token, flag))
    return runs
