"""Loading files into Documents: every format, metadata, and every kind of bad input."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from langchain_core.documents import Document

from qa.errors import LoadError
from qa.load import find_files, load_corpus, load_file, scan_corpus
from qa.load.html import load_html
from qa.load.markdown import clean_markdown, load_markdown

if TYPE_CHECKING:
    from conftest import CorpusDocs, WriteFile


def _load(corpus: Path, doc_id: str) -> Document:
    return load_file(corpus / doc_id, doc_id)


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_front_matter_fields_become_metadata(corpus: Path, docs: CorpusDocs) -> None:
    meta = _load(corpus, docs.policy).metadata

    assert meta["title"] == "Acme Privacy Policy"
    assert meta["publisher"] == "Acme Corp"
    assert meta["kind"] == "policy"
    assert meta["region"] == "Worldwide"
    assert meta["url"] == "https://example.com/privacy"
    assert meta["language"] == "en"
    assert meta["format"] == "markdown"


def test_markdown_dates_become_iso_strings(corpus: Path, docs: CorpusDocs) -> None:
    meta = _load(corpus, docs.policy).metadata

    # YAML reads an unquoted date as a date and a timestamp as a datetime; both must be strings.
    assert meta["document_date"] == "2021-01-04"
    assert meta["captured"] == "2024-05-01"


def test_markdown_front_matter_is_not_indexed_text(corpus: Path, docs: CorpusDocs) -> None:
    text = _load(corpus, docs.policy).page_content

    assert "publisher:" not in text
    assert "---" not in text
    assert text.startswith("# Acme Privacy Policy\n")


def test_markdown_title_from_first_heading_without_front_matter(
    corpus: Path, docs: CorpusDocs
) -> None:
    meta = _load(corpus, docs.indonesian).metadata

    assert meta["title"] == "WhatsApp Tunda Pembaruan Kebijakan Privasi"


def test_markdown_title_from_file_name_without_heading(
    tmp_path: Path, write_file: WriteFile
) -> None:
    path = write_file(tmp_path / "data-sharing_faq.md", "We share nothing with advertisers.\n")

    assert load_file(path, "data-sharing_faq.md").metadata["title"] == "data sharing faq"


def test_markdown_headings_are_kept(corpus: Path, docs: CorpusDocs) -> None:
    lines = _load(corpus, docs.policy).page_content.split("\n")

    assert "## Information We Collect" in lines
    assert "### Information You Provide" in lines
    assert "## How We Share Information" in lines


def test_markdown_setext_heading_becomes_atx() -> None:
    text, meta = load_markdown("Data We Keep\n============\nWe keep logs for a week.\n")

    assert text == "# Data We Keep\nWe keep logs for a week.\n"
    assert meta["title"] == "Data We Keep"


def test_markdown_links_become_anchor_text(corpus: Path, docs: CorpusDocs) -> None:
    text = _load(corpus, docs.policy).page_content

    assert "Read the account guide to change them." in text
    assert "](" not in text
    assert "https://" not in text


@pytest.mark.parametrize(
    ("furniture", "gone"),
    [
        ("[Home](https://example.com/) | [Privacy](https://example.com/privacy)", "Home"),
        ("- [Next article](/next)", "Next article"),
        ("[](#)", "[]"),
        ('<a href="#top"></a>', "href"),
        ("Baca Juga: Kebijakan Baru WhatsApp Bikin Resah", "Kebijakan Baru"),
        ("**Baca juga:** [Jualan di Instagram](https://example.id/jualan)", "Jualan"),
        ("Read more: [Cookie settings](https://example.com/cookies)", "Cookie settings"),
        ("https://example.com/some/long/path", "example.com"),
        ("* * *", "*"),
    ],
)
def test_markdown_furniture_lines_are_removed(furniture: str, gone: str) -> None:
    body = f"We collect your name.\n\n{furniture}\n\nWe delete it on request.\n"

    text, _ = load_markdown(body)

    assert gone not in text
    assert text == "We collect your name.\n\nWe delete it on request.\n"


def test_markdown_furniture_phrase_inside_a_sentence_is_kept() -> None:
    text, _ = load_markdown("Baca juga kebijakan lengkap kami di aplikasi.\n")

    assert text == "Baca juga kebijakan lengkap kami di aplikasi.\n"


def test_markdown_empty_anchor_inside_a_sentence_goes() -> None:
    text, _ = load_markdown("We keep [](#) logs [for](#x) a week.\n")

    assert text == "We keep logs for a week.\n"


def test_markdown_site_menu_run_is_removed() -> None:
    body = "Kami tidak menjual data Anda.\n\nTags\n\nTerkini\n\nTerpopuler\n"

    text, _ = load_markdown(body)

    assert text == "Kami tidak menjual data Anda.\n"


def test_indonesian_markdown_furniture_gone_and_text_kept(corpus: Path, docs: CorpusDocs) -> None:
    text = _load(corpus, docs.indonesian).page_content

    assert "Baca" not in text
    assert "Jualan di Instagram" not in text
    assert '"Kami tidak membagikan daftar kontak Anda dengan Facebook," kata WhatsApp.' in text


# --- HTML, PDF, plain text ---------------------------------------------------------------------


def test_html_main_text_without_page_furniture(corpus: Path, docs: CorpusDocs) -> None:
    doc = _load(corpus, docs.cookies)
    text = doc.page_content

    assert "We use cookies to keep you signed in and to remember your language." in text
    assert "Analytics partners receive aggregated statistics only, never your name." in text
    for furniture in (
        "Home page",
        "About us",
        "script text",
        "console.log",
        "tracker",
        "Copyright",
        "footer",
        "tracking pixel",
    ):
        assert furniture not in text, furniture
    assert doc.metadata["format"] == "html"


def test_html_headings_kept_and_metadata_read(corpus: Path, docs: CorpusDocs) -> None:
    doc = _load(corpus, docs.cookies)
    lines = doc.page_content.split("\n")

    assert "# Cookie Notice" in lines
    assert "## Third parties" in lines
    assert doc.metadata["title"] == "Acme Cookie Notice"
    assert doc.metadata["language"] == "en"


def test_html_comments_never_become_text(tmp_path: Path, write_file: WriteFile) -> None:
    html = (
        "<html><body><!-- consent banner v2 --><div><p>We never sell your data.</p></div>"
        "</body></html>"
    )
    path = write_file(tmp_path / "page.html", html)

    assert load_file(path, "page.html").page_content == "We never sell your data.\n"


def test_pdf_text_and_page_starts(corpus: Path, docs: CorpusDocs) -> None:
    doc = _load(corpus, docs.report)
    text = doc.page_content
    starts = doc.metadata["page_starts"]

    assert len(starts) == 2
    assert starts[0] == 0
    assert text[starts[0] : starts[1]].startswith("Page one explains retention.")
    assert text[starts[1] :].startswith("Page two explains deletion.")
    assert "Page two" not in text[: starts[1]]
    assert doc.metadata["title"] == "Acme Retention Report"
    assert doc.metadata["format"] == "pdf"
    assert doc.metadata["language"] == "en"


def test_pdf_lines_wrapped_by_the_layout_are_joined(corpus: Path, docs: CorpusDocs) -> None:
    text = _load(corpus, docs.report).page_content

    # fpdf2 wraps each page's paragraph over two lines; the text must read as written.
    for page in docs.pdf_pages:
        assert page in text


def test_txt_text_and_title(corpus: Path, docs: CorpusDocs) -> None:
    doc = _load(corpus, docs.notes)

    assert doc.page_content == (corpus / docs.notes).read_text()
    assert doc.metadata["title"] == "Retention Notes"
    assert doc.metadata["format"] == "text"
    assert doc.metadata["language"] == "en"


def test_txt_without_title_line_uses_file_name(tmp_path: Path, write_file: WriteFile) -> None:
    path = write_file(tmp_path / "cookie_list.txt", "We set two cookies, both strictly needed.\n")

    assert load_file(path, "cookie_list.txt").metadata["title"] == "cookie list"


def test_windows_line_endings_are_normalised(tmp_path: Path, write_file: WriteFile) -> None:
    path = write_file(tmp_path / "crlf.txt", b"Title line\r\nWe keep logs.\r\n")

    assert load_file(path, "crlf.txt").page_content == "Title line\nWe keep logs.\n"


# --- ids, hashes, language ---------------------------------------------------------------------


def test_doc_id_is_the_relative_path_everywhere(corpus: Path, docs: CorpusDocs) -> None:
    report = load_corpus(corpus)

    assert [d.metadata["doc_id"] for d in report.documents] == docs.all
    assert [d.id for d in report.documents] == docs.all
    assert report.skipped == []


def test_doc_ids_and_hashes_are_stable_across_runs_and_folders(
    corpus: Path, tmp_path: Path
) -> None:
    first = load_corpus(corpus)
    moved = shutil.copytree(corpus, tmp_path / "elsewhere" / "copy")
    second = load_corpus(moved)

    def key(report) -> list[tuple[str, str]]:
        return [(d.metadata["doc_id"], d.metadata["content_hash"]) for d in report.documents]

    assert key(first) == key(second)
    assert key(first) == key(load_corpus(corpus))


def test_content_hash_is_sha256_of_the_file_bytes(corpus: Path, docs: CorpusDocs) -> None:
    for doc_id in docs.all:
        expected = hashlib.sha256((corpus / doc_id).read_bytes()).hexdigest()
        assert _load(corpus, doc_id).metadata["content_hash"] == expected


def test_content_hash_changes_when_the_file_changes(corpus: Path, docs: CorpusDocs) -> None:
    before = _load(corpus, docs.notes).metadata["content_hash"]
    path = corpus / docs.notes
    path.write_text(path.read_text().replace("two years", "five years"))

    assert _load(corpus, docs.notes).metadata["content_hash"] != before


def test_language_detected_for_indonesian_without_front_matter(
    corpus: Path, docs: CorpusDocs
) -> None:
    assert _load(corpus, docs.indonesian).metadata["language"] == "id"


def test_language_from_front_matter_wins_over_detection(
    tmp_path: Path, write_file: WriteFile
) -> None:
    body = "---\nlanguage: ID-id\n---\nWe never share your contacts with anyone at all.\n"
    path = write_file(tmp_path / "labelled.md", body)

    assert load_file(path, "labelled.md").metadata["language"] == "id"


def test_find_files_skips_hidden_files_and_folders(corpus: Path, write_file: WriteFile) -> None:
    write_file(corpus / ".DS_Store", b"\x00\x01junk")
    write_file(corpus / ".git" / "HEAD", "ref: refs/heads/main\n")
    write_file(corpus / "policies" / ".draft.md", "# Draft\nNot ready.\n")

    report = load_corpus(corpus)

    assert [doc_id for doc_id, _ in find_files(corpus)] == sorted(
        d.metadata["doc_id"] for d in report.documents
    )
    assert not any("/." in f"/{d.id}" for d in report.documents)
    assert report.skipped == []


def test_links_are_reported_not_followed_out_of_the_corpus(
    tmp_path: Path, write_file: WriteFile
) -> None:
    outside = write_file(tmp_path / "elsewhere" / "terms.md", "# Terms\nWe keep logs.\n").parent
    corpus = tmp_path / "corpus"
    write_file(corpus / "policy.md", "# Policy\nWe sell nothing.\n")
    (corpus / "linked").symlink_to(outside)
    (corpus / "outside.md").symlink_to(outside / "terms.md")
    (corpus / "inside.md").symlink_to(corpus / "policy.md")
    (corpus / "nested").mkdir()
    (corpus / "nested" / "up").symlink_to(corpus)
    (corpus / "nested" / "root").symlink_to("/")
    (corpus / "dangling.md").symlink_to(tmp_path / "missing.md")
    os.mkfifo(corpus / "pipe")

    scan = scan_corpus(corpus)

    # A link to a file inside the corpus is read (ingest then reports it as a copy).
    assert [doc_id for doc_id, _ in scan.files] == ["inside.md", "policy.md"]
    reasons = {item.doc_id: item.reason for item in scan.skipped}
    assert sorted(reasons) == [
        "dangling.md",
        "linked/",
        "nested/root/",
        "nested/up/",
        "outside.md",
        "pipe",
    ]
    assert reasons["nested/up/"] == f"symbolic link loop (it leads back to {corpus.resolve()})"
    assert reasons["nested/root/"].startswith("symbolic link loop")
    assert reasons["linked/"].startswith("symbolic link to a folder, not followed")
    assert reasons["outside.md"].startswith("symbolic link to a file outside the corpus")
    assert reasons["dangling.md"].startswith("broken symbolic link")
    assert reasons["pipe"] == "not a regular file"
    assert load_corpus(corpus).skipped[: len(scan.skipped)] == scan.skipped


# --- bad input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Makers:
    """What the ``BAD_FILES`` factories draw on: the conftest PDF factories."""

    make_pdf: Callable[..., bytes]
    broken_pdf: bytes

    def garbled_filter_pdf(self) -> bytes:
        """A real PDF whose stream filter name is damaged (pypdf: NotImplementedError)."""
        data = self.make_pdf(["Some text on a page."])
        assert b"/FlateDecode" in data
        return data.replace(b"/FlateDecode", b"/FlateDocode")


BadFile = tuple[str, Callable[[Makers], bytes], str]
BAD_FILES: list[BadFile] = [
    ("image.md", lambda m: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    ("empty.md", lambda m: b"", "empty file"),
    ("blank.txt", lambda m: b" \n\t\n", "empty file"),
    (
        "latin1.txt",
        lambda m: "Caf\u00e9 policy: we keep receipts.".encode("latin-1"),
        "not valid UTF-8",
    ),
    ("broken.pdf", lambda m: m.broken_pdf, "broken PDF"),
    ("garbled-filter.pdf", Makers.garbled_filter_pdf, "broken PDF"),
    ("scanned.pdf", lambda m: m.make_pdf(["", ""]), "no extractable text"),
    ("unclosed.md", lambda m: b"---\ntitle: Draft\nWe keep logs.\n", "no closing '---'"),
    (
        "invalid-yaml.md",
        lambda m: b"---\ntitle: [unclosed\n---\nWe keep logs.\n",
        "malformed front matter",
    ),
    (
        "list-front-matter.md",
        lambda m: b"---\n- a\n- b\n---\nWe keep logs.\n",
        "expected key: value pairs",
    ),
    ("only-front-matter.md", lambda m: b"---\ntitle: Nothing\n---\n", "no text after"),
    (
        "nav-only.html",
        lambda m: b"<html><body><nav>Home About</nav><script>x()</script></body></html>",
        "no visible text",
    ),
    ("report.docx", lambda m: b"PK\x03\x04 word document", "unsupported file type '.docx'"),
    ("Makefile", lambda m: b"all:\n\techo hi\n", "unsupported file type '(none)'"),
]


@pytest.fixture
def makers(make_pdf: Callable[..., bytes], broken_pdf: bytes) -> Makers:
    """The PDF factories the ``BAD_FILES`` entries need."""
    return Makers(make_pdf=make_pdf, broken_pdf=broken_pdf)


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_raises_load_error_with_reason(
    name: str,
    content: Callable[[Makers], bytes],
    reason: str,
    tmp_path: Path,
    write_file: WriteFile,
    makers: Makers,
) -> None:
    path = write_file(tmp_path / name, content(makers))

    with pytest.raises(LoadError) as caught:
        load_file(path, name)

    assert reason in str(caught.value)


def test_load_corpus_skips_bad_files_and_loads_the_rest(
    corpus: Path, docs: CorpusDocs, write_file: WriteFile, makers: Makers
) -> None:
    bad = {f"bad/{name}": (content(makers), reason) for name, content, reason in BAD_FILES}
    for doc_id, (data, _) in bad.items():
        write_file(corpus / doc_id, data)

    report = load_corpus(corpus)

    assert [d.id for d in report.documents] == docs.all
    reasons = {s.doc_id: s.reason for s in report.skipped}
    assert set(reasons) == set(bad)
    for doc_id, (_, reason) in bad.items():
        assert reason in reasons[doc_id], doc_id


# --- reading right: the neighbours of the shared cases -------------------------------------------


def _html(body: str) -> str:
    return (
        f"<html><head><title>T</title></head><body><main><h1>Policy</h1>{body}</main></body></html>"
    )


@pytest.mark.parametrize(
    "table",
    [
        # a header row of <th> cells, no <thead>
        "<table><tr><th>Record</th><th>Kept</th></tr><tr><td>Logs</td><td>30 days</td></tr>"
        "</table>",
        # <thead> and <tbody>
        "<table><thead><tr><th>Record</th><th>Kept</th></tr></thead>"
        "<tbody><tr><td>Logs</td><td>30 days</td></tr></tbody></table>",
    ],
)
def test_an_html_table_row_carries_its_headers(table: str) -> None:
    text, _ = load_html(_html(f"<p>Retention of our records.</p>{table}"))
    assert "- Logs — Kept: 30 days." in text.splitlines()


@pytest.mark.parametrize(
    "hidden",
    [
        '<p style="visibility: hidden">SECRET</p>',
        '<p style="display:none">SECRET</p>',
        '<p aria-hidden="true">SECRET</p>',
        "<p hidden>SECRET</p>",
        '<p style="opacity: 0">SECRET</p>',
        '<p style="font-size:0">SECRET</p>',
        '<p style="color: #ffffff; font-size: 1px">SECRET</p>',
        '<div class="newsletter-signup"><p>SECRET</p></div>',
        '<div id="cookie-banner" role="dialog"><p>SECRET</p></div>',
    ],
)
def test_what_a_reader_does_not_see_is_not_indexed(hidden: str) -> None:
    text, metadata = load_html(_html(f"<p>We keep logs for thirty days.</p>{hidden}"))
    assert "SECRET" not in text
    assert "We keep logs for thirty days." in text
    assert [body for _, body in metadata["removed"]] == ["SECRET"]


def test_a_cookie_policy_is_not_mistaken_for_a_cookie_banner() -> None:
    page = (
        '<html><body><div class="cookie-notice"><h1>Cookie notice</h1>'
        "<p>We set one cookie to keep you signed in.</p></div></body></html>"
    )
    text, _ = load_html(page)
    assert "We set one cookie to keep you signed in." in text


def test_html_lists_keep_their_items_and_nesting() -> None:
    text, _ = load_html(
        _html(
            "<p>We disclose your data to:</p><ul><li>Airlines<ul><li>Domestic</li>"
            "<li>International</li></ul></li><li>Hotels</li></ul><ol><li>One</li><li>Two</li></ol>"
        )
    )
    lines = text.splitlines()
    for item in ("- Airlines", "  - Domestic", "  - International", "- Hotels", "1. One", "2. Two"):
        assert item in lines


def test_short_numbered_items_are_list_items_not_menus() -> None:
    text = clean_markdown(
        "We share it with:\n\n1. Airlines\n2. Hotels\n3. Insurers\n\nThat is all.\n"
    )
    assert "1. Airlines\n2. Hotels\n3. Insurers" in text


def test_a_markdown_table_row_carries_its_headers() -> None:
    text = clean_markdown(
        "| Data | While open | After closing |\n|---|:---:|---|\n| Sleep | 12 months | 90 days |\n"
    )
    assert text == "- Sleep — While open: 12 months; After closing: 90 days.\n"


def test_a_markdown_paragraph_wrapped_over_lines_is_one_line() -> None:
    text = clean_markdown(
        "# Health\n\nHeart-rate data is deleted\n24 months after it was recorded.\n\n- item one\n"
        "- item two\n"
    )
    assert "Heart-rate data is deleted 24 months after it was recorded." in text.splitlines()
    assert "- item one" in text.splitlines() and "- item two" in text.splitlines()


def test_plain_text_wrapped_lines_are_joined(tmp_path: Path, write_file: WriteFile) -> None:
    path = write_file(tmp_path / "notes.txt", "Notes\nWe delete chat logs\n30 days after a chat.\n")
    assert load_file(path, "notes.txt").page_content == (
        "Notes\nWe delete chat logs 30 days after a chat.\n"
    )


def test_a_pdf_loses_its_running_header_and_hyphenation_but_keeps_pages(
    tmp_path: Path, make_pdf: Callable[..., bytes]
) -> None:
    pages = [
        f"Brightfield Ltd\nPage {n} text: we keep infor-\nmation for {n} years.\nPage {n} of 3"
        for n in (1, 2, 3)
    ]
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf(pages))

    document = load_file(path, "report.pdf")

    text = document.page_content
    assert "Brightfield Ltd" not in text and "of 3" not in text
    for n in (1, 2, 3):
        assert f"we keep information for {n} years." in text
    starts = document.metadata["page_starts"]
    assert len(starts) == 3
    for n, start in enumerate(starts, start=1):
        assert text[start:].startswith(f"Page {n} text")
    assert document.metadata["removed"] == [
        ("running header or footer (repeated on most pages)", "Brightfield Ltd")
    ]


def test_page_numbers_go_even_from_a_two_page_pdf(
    tmp_path: Path, make_pdf: Callable[..., bytes]
) -> None:
    path = tmp_path / "short.pdf"
    path.write_bytes(make_pdf([f"We keep receipts for {n} years.\n- {n} -" for n in (1, 2)]))

    text = load_file(path, "short.pdf").page_content

    assert "- 1 -" not in text and "- 2 -" not in text
    assert "We keep receipts for 2 years." in text


def test_inline_formatting_tags_in_markdown_keep_their_words() -> None:
    from qa.load.markdown import clean_markdown

    text = clean_markdown(
        'We <b>never</b> sell your <em class="x">personal</em> data.\n'
        "Writing &lt;b&gt; keeps the characters. <script>alert(1)</script> stays text.\n"
    )
    assert "We never sell your personal data." in text
    assert "Writing <b> keeps the characters." in text
    assert "<script>alert(1)</script> stays text." in text
