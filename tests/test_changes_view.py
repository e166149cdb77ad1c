"""The changes view: rows and sections of two versions, word-level differences, the HTML (escaped,
added/removed/edited marked, unchanged sections folded, formatting-only said), skipped captures,
the "See how this changed" link on a source card, and the tab's handlers over a real index.

The view's logic runs on hand-made sentences; the handlers on a small Open Terms Archive series
ingested with the fake embedder (alignment needs no real model). HTML is parsed with
BeautifulSoup to prove document text stays text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from bs4 import BeautifulSoup
from conftest import FakeEmbeddings
from fake_answers import IMG, SCRIPT, fake_result, fake_source
from langchain_core.documents import Document

import qa.index.ingest as ingest_module
from qa.index.ingest import ingest
from qa.index.store import PassageStore
from qa.settings import Settings
from qa.ui.changes_page import ChangesPage
from qa.ui.changes_view import render_view, version_choice
from qa.ui.render import Turn, render_sources
from qa.versions.captures import BROKEN, REPEATED, skipped_captures
from qa.versions.changes import ADDED, MODIFIED, REMOVED
from qa.versions.series import Version
from qa.versions.sidebyside import SAME, side_by_side, word_diff

OLD = Version("v1.md", "S", "2020-07-01", "2021-01-04")
NEW = Version("v2.md", "S", "2021-01-04", "")
INJECTED = ("script", "img", "iframe", "b", "svg")


def _sentences(doc_id: str, items: list[tuple[str, str]]) -> list[Document]:
    """Sentences ``(section, text)`` in text order; the section rides in the metadata."""
    out, start = [], 0
    for section, text in items:
        out.append(Document(text, metadata={"doc_id": doc_id, "start": start, "section": section}))
        start += len(text) + 1
    return out


def _section(sentence: Document) -> str:
    return str(sentence.metadata["section"])


def _view(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> Any:
    return side_by_side("S", OLD, NEW, _sentences("v1.md", old), _sentences("v2.md", new), _section)


RETENTION = [
    ("Retention", "We keep undelivered messages for 30 days."),
    ("Retention", "Delivered messages are deleted from our servers."),
]
CONTACT = [("Contact", f"Write to us at address number {n}.") for n in range(1, 8)]


def test_rows_pair_unchanged_and_edited_sentences_and_mark_additions_and_removals() -> None:
    old = [*RETENTION, ("Sharing", "We share your number with partners."), *CONTACT]
    new = [
        ("Retention", "We keep undelivered messages for 60 days."),
        RETENTION[1],
        ("Sharing", "We now share your city with delivery partners to plan routes."),
        *CONTACT,
    ]
    view = _view(old, new)
    assert [s.heading for s in view.sections] == ["Retention", "Sharing", "Contact"]
    retention, sharing, contact = view.sections
    assert [(r.kind, r.old, r.new) for r in retention.rows] == [
        (MODIFIED, RETENTION[0][1], "We keep undelivered messages for 60 days."),
        (SAME, RETENTION[1][1], RETENTION[1][1]),
    ]
    assert [r.kind for r in sharing.rows] == [REMOVED, ADDED]
    assert sharing.rows[0].new is None and sharing.rows[1].old is None
    assert not contact.changed and contact.counts()[SAME] == len(CONTACT)
    assert view.counts() == {ADDED: 1, REMOVED: 1, MODIFIED: 1, SAME: 1 + len(CONTACT)}
    assert not view.formatting_only


def test_a_moved_sentence_is_shown_once_unchanged_where_it_stands_now() -> None:
    old = [("A", "We log IP addresses."), ("B", "Contact us by post."), ("B", "We sell nothing.")]
    new = [("B", "Contact us by post."), ("B", "We sell nothing."), ("C", "We log IP addresses.")]
    view = _view(old, new)
    assert view.changes == []
    rows = [row for section in view.sections for row in section.rows]
    moved = [row for row in rows if row.moved]
    assert [(r.kind, r.old, r.new) for r in moved] == [(SAME, None, "We log IP addresses.")]
    assert [s.heading for s in view.sections] == ["B", "C"]


def test_word_diff_marks_only_the_changed_words() -> None:
    old, new = word_diff("We keep it for 30 days, then delete it.", "We keep it for 60 days.")
    assert [text for text, changed in old if changed] == ["30", ", then delete it"]
    assert [text for text, changed in new if changed] == ["60"]
    assert "".join(text for text, _ in old) == "We keep it for 30 days, then delete it."
    # Quotation marks and spacing are formatting, inside a sentence too.
    old, new = word_diff(
        "Read our “Terms”, which describes it.", 'Read our "Terms",  which describe it.'
    )
    assert [text for text, changed in old if changed] == ["describes"]
    assert [text for text, changed in new if changed] == ["describe"]


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _assert_inert(soup: BeautifulSoup) -> None:
    assert soup.find_all(INJECTED) == []
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag
    assert soup.find_all("a") == []


def test_the_view_escapes_document_text_headings_and_title() -> None:
    hostile = f"We keep logs {SCRIPT} {IMG} for a year."
    old = [(f"Logs {IMG}", "We keep logs for a month."), *CONTACT]
    new = [
        (f"Logs {IMG}", hostile),
        ("Ads <b onmouseover=x()>", f"We show ads {SCRIPT}."),
        *CONTACT,
    ]
    html = render_view(_view(old, new), f"Acme {SCRIPT}")
    soup = _soup(html)
    _assert_inert(soup)
    text = soup.get_text()
    assert SCRIPT in text and IMG in text and "Ads <b onmouseover=x()>" in text
    assert soup.find("h2").get_text() == f"Acme {SCRIPT}"


def test_additions_removals_and_edited_words_are_highlighted_on_their_own_side() -> None:
    old = [*RETENTION, ("Sharing", "We share your number with partners."), *CONTACT]
    new = [
        ("Retention", "We keep undelivered messages for 60 days."),
        RETENTION[1],
        ("Sharing", "We now share your city with delivery partners to plan routes."),
        *CONTACT,
    ]
    soup = _soup(render_view(_view(old, new), "Acme Privacy Policy"))
    added = soup.select(".fp-row.fp-added")
    assert len(added) == 1
    assert added[0].select_one(".fp-new ins").get_text() == new[2][1]
    assert added[0].select_one(".fp-old").get_text() == ""
    assert added[0].select_one(".fp-tag").get_text() == "Added"
    removed = soup.select(".fp-row.fp-removed")
    assert removed[0].select_one(".fp-old del").get_text() == old[2][1]
    edited = soup.select_one(".fp-row.fp-modified")
    assert [d.get_text() for d in edited.select(".fp-old del")] == ["30"]
    assert [i.get_text() for i in edited.select(".fp-new ins")] == ["60"]
    assert (
        "1 added, 1 removed, 1 changed; 8 unchanged" in soup.select_one(".fp-changes-summary").text
    )
    # Both headings give the versions' dates.
    heads = [h.get_text() for h in soup.select(".fp-diff-head")]
    assert heads == [
        "Older version, in force 2020-07-01 to 2021-01-04",
        "Newer version, in force since 2021-01-04 (current)",
    ]


def test_changed_sections_are_open_and_unchanged_ones_folded_with_their_heading_and_count() -> None:
    old = [*RETENTION, *CONTACT]
    new = [("Retention", "We keep undelivered messages for 60 days."), RETENTION[1], *CONTACT]
    soup = _soup(render_view(_view(old, new), "Acme"))
    sections = soup.select("details.fp-section")
    assert [s.has_attr("open") for s in sections] == [True, False]
    assert sections[0].summary.get_text(" ", strip=True) == "Retention 1 changed"
    assert sections[1].summary.get_text(" ", strip=True) == "Contact 7 unchanged"


def test_a_long_unchanged_stretch_inside_a_changed_section_is_folded() -> None:
    body = [("", f"Unchanged sentence number {n} of the policy.") for n in range(12)]
    old = [*body, ("", "We keep logs for a month.")]
    new = [*body, ("", "We keep logs for a year.")]
    soup = _soup(render_view(_view(old, new), "Acme"))
    section = soup.select_one("details.fp-section")
    assert section.has_attr("open")
    assert "Start of the document" in section.summary.get_text()
    fold = section.select_one("details.fp-fold")
    assert fold is not None and not fold.has_attr("open")
    assert fold.summary.get_text() == "10 unchanged sentences"
    # Two sentences of context stay in view before the change.
    shown = [row for row in section.select(".fp-rows > .fp-row")]
    assert len(shown) == 3


def test_versions_differing_only_in_formatting_say_so() -> None:
    old = [
        ("A", "- See our [Terms](https://a.example/t) for “details”."),
        ("A", "We sell nothing."),
    ]
    new = [("A", "See our Terms for 'details'"), ("A", "*   We  sell **nothing**.")]
    view = _view(old, new)
    assert view.formatting_only
    soup = _soup(render_view(view, "Acme"))
    assert "differ only in formatting" in soup.select_one(".fp-changes-note").get_text()
    assert not any(s.has_attr("open") for s in soup.select("details.fp-section"))
    assert soup.select(".fp-added, .fp-removed, .fp-modified") == []


def test_labels_follow_the_language() -> None:
    old = [("A", "We keep logs for a month.")]
    new = [("A", "We keep logs for a year."), ("A", "We sell nothing at all.")]
    soup = _soup(render_view(_view(old, new), "Acme", language="id"))
    assert soup.select_one(".fp-changes")["lang"] == "id"
    assert soup.select_one(".fp-added .fp-tag").get_text() == "Ditambahkan"
    assert soup.select_one(".fp-diff-head").get_text().startswith("Versi lama, berlaku 2020-07-01")
    assert version_choice(NEW, "id") == "2021-01-04 sampai sekarang (terkini)"


# -- skipped captures ------------------------------------------------------------------------------

SERIES = "Acme/Privacy Policy"
PARAGRAPHS = [
    "## Retention\n\nWe keep undelivered messages for up to 30 days as we try to deliver them.",
    "## Sharing\n\nWe share your phone number with our payment partner to process refunds.",
    "## Contact\n\nWrite to our privacy team at privacy@acme.example with any question.",
]
BROKEN_TEXT = (
    "# Legal\n\n- [Terms](https://acme.example/terms)\n- [Privacy](https://acme.example/p)\n"
)


def _policy(stated: str, paragraphs: list[str]) -> str:
    return f"# Acme Privacy Policy\n\nLast modified: {stated}\n\n" + "\n\n".join(paragraphs) + "\n"


def test_a_broken_capture_between_two_versions_is_named(tmp_path: Path) -> None:
    folder = tmp_path / SERIES
    folder.mkdir(parents=True)
    files = {
        "2020-07-08T00-00-00Z": _policy("July 1, 2020", PARAGRAPHS),
        "2020-08-01T00-00-00Z": BROKEN_TEXT,
        "2021-02-01T00-00-00Z": _policy("January 4, 2021", PARAGRAPHS[:2]),
    }
    for stem, text in files.items():
        (folder / f"{stem}.md").write_text(text, encoding="utf-8")
    old = Version(f"{SERIES}/2020-07-08T00-00-00Z.md", SERIES, "2020-07-01", "2021-01-04",
                  "2020-07-08T00:00:00Z")  # fmt: skip
    new = Version(f"{SERIES}/2021-02-01T00-00-00Z.md", SERIES, "2021-01-04", "",
                  "2021-02-01T00:00:00Z")  # fmt: skip
    found = skipped_captures(tmp_path, [old, new], old, new)
    assert [(c.doc_id, c.why, c.recorded) for c in found] == [
        (f"{SERIES}/2020-08-01T00-00-00Z.md", BROKEN, "2020-08-01T00:00:00Z")
    ]
    assert skipped_captures(None, [old, new], old, new) == []
    view = side_by_side(SERIES, old, new, [], [], _section)
    note = _soup(render_view(view, "Acme", found)).select(".fp-changes-note")[-1].get_text()
    assert note.startswith("A capture recorded on 2020-08-01 is not a version: it was a broken")
    assert "skipped" in note


# -- the link on a source card ---------------------------------------------------------------------


def test_a_cited_version_of_a_series_gets_a_see_how_this_changed_link() -> None:
    versioned = fake_source(doc_id=f"{SERIES}/x.md {SCRIPT}", valid_from="2021-01-04")
    panel = _soup(render_sources([Turn(question="q", result=fake_result(source=versioned))]))
    link = panel.select_one("a.fp-see-changes")
    assert link.get_text() == "See how this changed"
    assert link["href"] == "#fp-changes" and link["data-doc"] == f"{SERIES}/x.md {SCRIPT}"
    assert panel.find_all("script") == []
    alone = _soup(render_sources([Turn(question="q", result=fake_result())]))
    assert alone.select("a.fp-see-changes") == []
    indonesian = fake_result(source=versioned, language="id")
    panel = _soup(render_sources([Turn(question="q", result=indonesian)]))
    assert panel.select_one("a.fp-see-changes").get_text() == "Lihat perubahannya"
    assert panel.select_one("a.fp-see-changes")["data-lang"] == "id"


# -- the tab's handlers over an index --------------------------------------------------------------


@pytest.fixture
def series_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_embeddings: FakeEmbeddings
) -> Iterator[SimpleNamespace]:
    """``SERIES`` in three captures (one broken) and a lone document, ingested (fake model);
    a stand-in for the page's ``ChainHolder`` over it."""
    real = ingest_module.get_embeddings
    monkeypatch.setattr(
        ingest_module,
        "get_embeddings",
        lambda model: fake_embeddings if model.startswith("fake-") else real(model),
    )
    corpus = tmp_path / "ota"
    folder = corpus / SERIES
    folder.mkdir(parents=True)
    changed = [PARAGRAPHS[0].replace("30 days", "60 days"), *PARAGRAPHS[1:]]
    files = {
        "2020-07-08T00-00-00Z": _policy("July 1, 2020", PARAGRAPHS),
        "2020-08-01T00-00-00Z": BROKEN_TEXT,
        "2021-02-01T00-00-00Z": _policy("January 4, 2021", changed),
    }
    for stem, text in files.items():
        (folder / f"{stem}.md").write_text(text, encoding="utf-8")
    (corpus / "other.md").write_text("# Other\n\nA lone document.\n", encoding="utf-8")
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", embedding_model="fake-e5"
    ).override(chunk_size=300)
    ingest(settings)
    with PassageStore.open(settings.index_dir) as store:
        chain = SimpleNamespace(store=store)
        yield SimpleNamespace(settings=settings, get=lambda: chain)


def test_the_tab_opens_on_the_previous_and_current_versions(series_index: SimpleNamespace) -> None:
    page = ChangesPage(series_index)
    series, older, newer, html = page.open_tab(None, None, None, "en")
    assert series["value"] == SERIES and series["choices"] == [
        ("Acme Privacy Policy (2 versions)", SERIES)
    ]
    assert older["value"].endswith("2020-07-08T00-00-00Z.md")
    assert newer["value"].endswith("2021-02-01T00-00-00Z.md")
    soup = _soup(html)
    # The "Last modified" line and the retention sentence were edited.
    edited = [i.get_text() for i in soup.select(".fp-modified .fp-new ins")]
    assert edited == ["January 4", "2021", "60"]
    assert "broken capture" in soup.get_text()
    # Picked the other way round, the earlier version still goes on the older side.
    again = _soup(page.compare(SERIES, newer["value"], older["value"], "en"))
    assert [i.get_text() for i in again.select(".fp-modified .fp-new ins")] == edited
    assert "two different versions" in page.compare(SERIES, older["value"], older["value"], "en")


def test_a_followed_link_opens_the_cited_version_and_its_neighbour(
    series_index: SimpleNamespace,
) -> None:
    page = ChangesPage(series_index)
    first = f"{SERIES}/2020-07-08T00-00-00Z.md"
    request = json.dumps({"doc": first, "lang": "id"})
    series, older, newer, html, language, following = page.follow(request)
    assert language == "id" and series["value"] == SERIES and following is False
    # The first version has no predecessor: it is compared with its successor.
    assert (older["value"], newer["value"]) == (first, f"{SERIES}/2021-02-01T00-00-00Z.md")
    assert older["label"] == "Versi lama"
    assert _soup(html).select_one(".fp-changes")["lang"] == "id"
    *_, unknown, _, _ = page.follow(json.dumps({"doc": "other.md"}))
    assert "no other version" in unknown
    # While the link opens the tab, the tab's own opening leaves the view to the link.
    tabs, pending, marked = page.opening(request)
    assert tabs.selected == "changes" and marked is True
    assert "Membandingkan versi" in pending and 'data-pending="true"' in pending
    assert page.open_tab(None, None, None, "en", following=True)[-1] == gr.skip()
    *_, garbage, _, _ = page.follow("not json <script>")
    assert "<script>" not in garbage
    assert REPEATED  # the third reason is covered by test_versions' repeated-capture ingest


def test_the_tab_says_why_it_shows_nothing(caplog: pytest.LogCaptureFixture) -> None:
    from qa.errors import IndexUnreachableError

    def unreachable() -> None:
        raise IndexUnreachableError("cannot reach the Chroma server at http://h:8000")

    def bug() -> None:
        raise RuntimeError("a bug")

    indexing = ChangesPage(SimpleNamespace(get=lambda: None, settings=None))
    assert "still being indexed" in indexing.open_tab(None, None, None, "en")[-1]
    down = ChangesPage(SimpleNamespace(get=unreachable, settings=None))
    assert "Cannot reach the Chroma server" in down.compare("S", "a", "b", "en")
    broken = ChangesPage(SimpleNamespace(get=bug, settings=None))
    assert "could not be compared" in broken.follow('{"doc": "a"}')[3]
    assert "a bug" in caplog.text  # the traceback goes to the server's log
