"""The changes view: two versions of a document side by side, as the page's HTML.

Pure functions from a ``SideBySide`` (``qa.versions.sidebyside``) to HTML, like
``qa.ui.render``: every piece of document text is escaped, and nothing here builds a link,
a script or an event handler from it. Sections with a change are open; unchanged sections,
and long unchanged stretches inside an open one, are folded into ``<details>``. Labels are
English or Indonesian.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from qa.ui.render import ui_language
from qa.versions.captures import BROKEN, NOT_INDEXED, REPEATED, SkippedCapture
from qa.versions.changes import ADDED, MODIFIED, REMOVED
from qa.versions.series import Version
from qa.versions.sidebyside import SAME, Row, Section, SideBySide, word_diff

# Unchanged sentences kept in view on each side of a change inside an open section; a longer
# unchanged stretch between changes is folded.
CONTEXT_ROWS = 2
# The element the page's script focuses once a followed "See how this changed" has rendered.
VIEW_ID = "fp-changes-view"

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "tab": "Changes",
        "series": "Document",
        "older": "Older version",
        "newer": "Newer version",
        "pick": "Pick a document with more than one version, and two of its versions.",
        "none": "No indexed document has more than one version yet. Versions are files of an "
        "Open Terms Archive folder, or documents of one series (corpus/FORMAT.md).",
        "same_version": "Pick two different versions to compare.",
        "versions": "{count} versions",
        "since": "{start} to now (current)",
        "span": "{start} to {end}",
        "in_force_since": "in force since {start} (current)",
        "in_force": "in force {start} to {end}",
        "older_head": "Older version, {when}",
        "newer_head": "Newer version, {when}",
        "summary": "{added} added, {removed} removed, {modified} changed; {same} unchanged "
        "sentences.",
        "formatting_only": "These versions differ only in formatting (links, bullets, spacing, "
        "quotation marks): no sentence changed.",
        "identical": "These versions have the same sentences.",
        "start": "Start of the document",
        "section_changes": "{count} changed",
        "section_same": "{count} unchanged",
        "fold": "{count} unchanged sentences",
        "fold_one": "1 unchanged sentence",
        "removed": "Removed",
        "added": "Added",
        "before": "Before",
        "after": "After",
        "moved": "moved",
        "broken": "A capture recorded on {day} is not a version: it was a broken capture "
        "({size} bytes where the versions around it have about {expected}), skipped; the "
        "version before it stayed in force.",
        "broken_plain": "A capture recorded on {day} is not a version: it was a broken capture "
        "(only headings and links), skipped; the version before it stayed in force.",
        "broken_many": "{count} captures recorded on {day} are not versions: they were broken "
        "captures (at most {size} bytes where the versions around them have about "
        "{expected}), skipped; the version before them stayed in force.",
        "broken_plain_many": "{count} captures recorded on {day} are not versions: they were "
        "broken captures (only headings and links), skipped; the version before them stayed "
        "in force.",
        "not_indexed_many": "{count} captures recorded on {day} are not in the index yet (run "
        "fineprint ingest).",
        "repeated": "A capture recorded on {day} repeated the version before it.",
        "not_indexed": "A capture recorded on {day} is not in the index yet (run fineprint "
        "ingest).",
        "legend": "Removed sentences are marked on the older side, added ones on the newer "
        "side; in a changed sentence the words that changed are marked.",
        "unknown": "This document has no other version in the index now.",
        "comparing": "Comparing the versions…",
        "indexing": "The documents are still being indexed; open this tab again in a moment.",
        "failed": "Sorry, the versions could not be compared; the server's log has the details.",
    },
    "id": {
        "tab": "Perubahan",
        "series": "Dokumen",
        "older": "Versi lama",
        "newer": "Versi baru",
        "pick": "Pilih dokumen yang memiliki lebih dari satu versi, lalu dua versinya.",
        "none": "Belum ada dokumen terindeks yang memiliki lebih dari satu versi. Versi adalah "
        "berkas dari folder Open Terms Archive, atau dokumen dari satu seri (corpus/FORMAT.md).",
        "same_version": "Pilih dua versi yang berbeda untuk dibandingkan.",
        "versions": "{count} versi",
        "since": "{start} sampai sekarang (terkini)",
        "span": "{start} sampai {end}",
        "in_force_since": "berlaku sejak {start} (terkini)",
        "in_force": "berlaku {start} sampai {end}",
        "older_head": "Versi lama, {when}",
        "newer_head": "Versi baru, {when}",
        "summary": "{added} ditambahkan, {removed} dihapus, {modified} diubah; {same} kalimat "
        "tidak berubah.",
        "formatting_only": "Kedua versi ini hanya berbeda dalam format (tautan, butir, spasi, "
        "tanda kutip): tidak ada kalimat yang berubah.",
        "identical": "Kedua versi ini memiliki kalimat yang sama.",
        "start": "Awal dokumen",
        "section_changes": "{count} berubah",
        "section_same": "{count} tidak berubah",
        "fold": "{count} kalimat tidak berubah",
        "fold_one": "1 kalimat tidak berubah",
        "removed": "Dihapus",
        "added": "Ditambahkan",
        "before": "Sebelum",
        "after": "Sesudah",
        "moved": "dipindah",
        "broken": "Rekaman tanggal {day} bukan sebuah versi: rekamannya rusak ({size} byte, "
        "sedangkan versi di sekitarnya sekitar {expected}), dilewati; versi sebelumnya tetap "
        "berlaku.",
        "broken_plain": "Rekaman tanggal {day} bukan sebuah versi: rekamannya rusak (hanya "
        "judul dan tautan), dilewati; versi sebelumnya tetap berlaku.",
        "broken_many": "{count} rekaman tanggal {day} bukan versi: rekamannya rusak (paling "
        "banyak {size} byte, sedangkan versi di sekitarnya sekitar {expected}), dilewati; versi "
        "sebelumnya tetap berlaku.",
        "broken_plain_many": "{count} rekaman tanggal {day} bukan versi: rekamannya rusak "
        "(hanya judul dan tautan), dilewati; versi sebelumnya tetap berlaku.",
        "not_indexed_many": "{count} rekaman tanggal {day} belum diindeks (jalankan fineprint "
        "ingest).",
        "repeated": "Rekaman tanggal {day} mengulang versi sebelumnya.",
        "not_indexed": "Rekaman tanggal {day} belum diindeks (jalankan fineprint ingest).",
        "legend": "Kalimat yang dihapus ditandai di sisi versi lama, yang ditambahkan di sisi "
        "versi baru; dalam kalimat yang diubah, kata yang berubah ditandai.",
        "unknown": "Dokumen ini sekarang tidak memiliki versi lain di indeks.",
        "comparing": "Membandingkan versi…",
        "indexing": "Dokumen masih diindeks; buka tab ini lagi sebentar lagi.",
        "failed": "Maaf, versi tidak dapat dibandingkan; log server memuat rinciannya.",
    },
}


def words(language: str, key: str, **values: object) -> str:
    """The view's word ``key`` in ``language`` (English when unsupported), filled in.

    Example:
        >>> words("id", "older"), words("fr", "older")
        ('Versi lama', 'Older version')
    """
    return _WORDS[ui_language(language)][key].format(**values)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def version_choice(version: Version, language: str = "en") -> str:
    """A version as the drop-downs list it: the days it was in force.

    Example:
        >>> version_choice(Version("a.md", "S", "2019-12-19", "2021-01-04"))
        '2019-12-19 to 2021-01-04'
    """
    if version.current:
        return words(language, "since", start=version.valid_from)
    return words(language, "span", start=version.valid_from, end=version.valid_to)


def in_force(version: Version, language: str = "en") -> str:
    """When ``version`` was in force, for the view's column headings."""
    if version.current:
        return words(language, "in_force_since", start=version.valid_from)
    return words(language, "in_force", start=version.valid_from, end=version.valid_to)


def series_choice(title: str, count: int, language: str = "en") -> str:
    """A series as the drop-down lists it: its title and how many versions it has."""
    return f"{title} ({words(language, 'versions', count=count)})"


def render_message(text: str, language: str = "en", *, pending: bool = False) -> str:
    """The view holding only a sentence (nothing picked, nothing to compare, a problem);
    ``pending`` while a comparison is on its way."""
    state = ' data-pending="true" role="status"' if pending else ""
    return (
        f'<div class="fp-changes" lang="{ui_language(language)}"{state}>'
        f'<p class="fp-changes-message">{_esc(text)}</p></div>'
    )


def _capture_lines(skipped: Sequence[SkippedCapture], language: str) -> list[str]:
    """One line per day and reason: captures the index left out between the two versions.

    A capture repeating the version before it needs no word: that version simply continued.
    """
    groups: dict[tuple[str, str], list[SkippedCapture]] = {}
    for capture in skipped:
        if capture.why != REPEATED:
            groups.setdefault((capture.recorded[:10], capture.why), []).append(capture)
    lines = []
    for (day, why), captures in groups.items():
        many = "_many" if len(captures) > 1 else ""
        size = max(c.size for c in captures)
        expected = max(c.expected for c in captures)
        if why == BROKEN and expected and size < expected:
            key, values = "broken", {"size": f"{size:,}", "expected": f"{expected:,}"}
        elif why == BROKEN:
            key, values = "broken_plain", {}
        else:
            assert why == NOT_INDEXED
            key, values = "not_indexed", {}
        lines.append(words(language, key + many, day=day, count=len(captures), **values))
    return lines


def render_view(
    view: SideBySide,
    title: str,
    skipped: Sequence[SkippedCapture] = (),
    language: str = "en",
) -> str:
    """Both versions side by side: headings with their dates, then each section's rows.

    Args:
        title: The document's title, for the view's heading.
        skipped: Captures recorded between the two versions that are not versions.
    """
    language = ui_language(language)
    counts = view.counts()
    old_head = words(language, "older_head", when=in_force(view.old, language))
    new_head = words(language, "newer_head", when=in_force(view.new, language))
    parts = [
        f'<div class="fp-changes" lang="{language}" data-old="{_esc(view.old.doc_id)}" '
        f'data-new="{_esc(view.new.doc_id)}">',
        f'<h2 class="fp-changes-title" id="{VIEW_ID}" tabindex="-1">{_esc(title)}</h2>',
        '<p class="fp-changes-summary">'
        + _esc(
            words(
                language,
                "summary",
                added=counts[ADDED],
                removed=counts[REMOVED],
                modified=counts[MODIFIED],
                same=counts[SAME],
            )
        )
        + "</p>",
    ]
    notes = _capture_lines(skipped, language)
    if view.formatting_only:
        notes.insert(0, words(language, "formatting_only"))
    elif not view.changes:
        notes.insert(0, words(language, "identical"))
    else:
        parts.append(f'<p class="fp-changes-legend">{_esc(words(language, "legend"))}</p>')
    parts.extend(f'<p class="fp-changes-note">{_esc(note)}</p>' for note in notes)
    parts.append(
        '<div class="fp-diff-heads">'
        f'<h3 class="fp-diff-head fp-old">{_esc(old_head)}</h3>'
        f'<h3 class="fp-diff-head fp-new">{_esc(new_head)}</h3></div>'
    )
    parts.extend(_section(section, language) for section in view.sections)
    parts.append("</div>")
    return "".join(parts)


def _section(section: Section, language: str) -> str:
    counts = section.counts()
    heading = section.heading or words(language, "start")
    changed = counts[ADDED] + counts[REMOVED] + counts[MODIFIED]
    if section.changed:
        count = words(language, "section_changes", count=changed)
        body = _rows_folded(section.rows, language)
    else:
        count = words(language, "section_same", count=counts[SAME])
        body = "".join(_row(row, language) for row in section.rows)
    state = " open" if section.changed else ""
    css = "fp-section fp-section-changed" if section.changed else "fp-section"
    return (
        f'<details class="{css}"{state}><summary><span class="fp-section-name">'
        f'{_esc(heading)}</span> <span class="fp-section-count">{_esc(count)}</span></summary>'
        f'<div class="fp-rows">{body}</div></details>'
    )


def _rows_folded(rows: list[Row], language: str) -> str:
    """The rows of an open section, long unchanged stretches folded into ``<details>``."""
    out: list[str] = []
    index = 0
    while index < len(rows):
        if rows[index].kind != SAME:
            out.append(_row(rows[index], language))
            index += 1
            continue
        end = index
        while end < len(rows) and rows[end].kind == SAME:
            end += 1
        keep_before = CONTEXT_ROWS if index > 0 else 0
        keep_after = CONTEXT_ROWS if end < len(rows) else 0
        if end - index <= keep_before + keep_after + 1:
            out.extend(_row(row, language) for row in rows[index:end])
        else:
            folded = rows[index + keep_before : end - keep_after]
            out.extend(_row(row, language) for row in rows[index : index + keep_before])
            label = (
                words(language, "fold_one")
                if len(folded) == 1
                else words(language, "fold", count=len(folded))
            )
            out.append(
                f'<details class="fp-fold"><summary>{_esc(label)}</summary>'
                + "".join(_row(row, language) for row in folded)
                + "</details>"
            )
            out.extend(_row(row, language) for row in rows[end - keep_after : end])
        index = end
    return "".join(out)


def _tag(key: str, language: str) -> str:
    return f'<span class="fp-tag">{_esc(words(language, key))}</span> '


def _marked(runs: list[tuple[str, bool]], element: str) -> str:
    return "".join(
        f"<{element}>{_esc(text)}</{element}>" if changed else _esc(text) for text, changed in runs
    )


def _row(row: Row, language: str) -> str:
    moved = (
        f' <span class="fp-moved">({_esc(words(language, "moved"))})</span>' if row.moved else ""
    )
    if row.kind == SAME:
        old = _esc(row.old) if row.old is not None else ""
        new = _esc(row.new) + moved if row.new is not None else ""
        return _cells("fp-row fp-same", old, new)
    if row.kind == REMOVED:
        return _cells(
            "fp-row fp-removed", _tag("removed", language) + f"<del>{_esc(row.old)}</del>", ""
        )
    if row.kind == ADDED:
        return _cells(
            "fp-row fp-added", "", _tag("added", language) + f"<ins>{_esc(row.new)}</ins>"
        )
    old_text = row.old if row.old is not None else row.partner or ""
    new_text = row.new if row.new is not None else row.partner or ""
    old_runs, new_runs = word_diff(old_text, new_text)
    old = _tag("before", language) + _marked(old_runs, "del") + moved if row.old is not None else ""
    new = _tag("after", language) + _marked(new_runs, "ins") + moved if row.new is not None else ""
    return _cells("fp-row fp-modified", old, new)


def _cells(css: str, old: str, new: str) -> str:
    old_css = "fp-cell fp-old" + ("" if old else " fp-blank")
    new_css = "fp-cell fp-new" + ("" if new else " fp-blank")
    return (
        f'<div class="{css}"><div class="{old_css}">{old}</div>'
        f'<div class="{new_css}">{new}</div></div>'
    )
