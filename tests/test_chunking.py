"""Chunking documents into passages: sections, exact offsets, size limits, overlap, pages,
furniture, and the stored sentences that line up with passage boundaries."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from langchain_core.documents import Document

from qa.index.chunking import chunk_document, document_sentences
from qa.index.sentences import sentence_spans
from qa.load import load_corpus, load_file

if TYPE_CHECKING:
    from conftest import CorpusDocs

CHUNK_SIZES = [100, 150, 300, 700]
HEADING_LINE = re.compile(r"^#{1,6} ", re.MULTILINE)
LETTER = re.compile(r"[^\W\d_]")


def _long_markdown() -> str:
    """A policy with sections of many sentences of varied length, bullets and a run-on sentence."""
    rng = random.Random(3)
    words = (
        "data account partner cookie device request retention deletion contact address "
        "service provider consent region transfer security breach notice update"
    ).split()

    def sentence(length: int) -> str:
        return " ".join(rng.choice(words) for _ in range(length)).capitalize() + "."

    parts = ["# Long Policy", "", "## Retention", ""]
    parts.append(" ".join(sentence(rng.randint(3, 30)) for _ in range(25)))
    parts += ["", "### Backups", "", " ".join(sentence(rng.randint(3, 12)) for _ in range(9))]
    parts += ["", "## Sharing", ""]
    parts += [f"- {sentence(rng.randint(4, 20))}" for _ in range(8)]
    run_on = " ".join(rng.choice(words) for _ in range(220))
    parts += ["", "## Run-on", "", f"Run on {run_on} end"]
    return "\n".join(parts) + "\n"


@pytest.fixture
def documents(corpus: Path, tmp_path: Path) -> list[Document]:
    """Every document of the test corpus plus a long generated policy, loaded."""
    long_path = tmp_path / "long-policy.md"
    long_path.write_text(_long_markdown())
    report = load_corpus(corpus)
    assert report.skipped == []
    return [*report.documents, load_file(long_path, "long-policy.md")]


def _by_id(documents: list[Document], doc_id: str) -> Document:
    return next(d for d in documents if d.id == doc_id)


# --- sections ----------------------------------------------------------------------------------


def test_section_paths_follow_nested_headings(documents: list[Document], docs: CorpusDocs) -> None:
    passages = chunk_document(_by_id(documents, docs.policy), chunk_size=300)

    section_of = {p.page_content.split(".")[0]: p.metadata["section"] for p in passages}
    assert (
        section_of[
            "You give us your name, email address and phone number when you create an account"
        ]
        == "Information We Collect > Information You Provide"
    )
    assert section_of["Our servers record your IP address and device type"] == (
        "Information We Collect > Automatically Collected Information"
    )
    assert section_of["We collect information to run our services, e"] == "Information We Collect"
    assert section_of["We do not sell your personal information"] == "How We Share Information"


def test_the_title_heading_is_not_part_of_section_paths(
    documents: list[Document], docs: CorpusDocs
) -> None:
    policy = chunk_document(_by_id(documents, docs.policy), chunk_size=300)
    news = chunk_document(_by_id(documents, docs.indonesian), chunk_size=300)
    html = chunk_document(_by_id(documents, docs.cookies), chunk_size=300)

    assert not any("Acme Privacy Policy" in p.metadata["section"] for p in policy)
    assert {p.metadata["section"] for p in news} == {""}
    # The HTML page's <h1> differs from its <title>, so it stays in the path.
    assert [p.metadata["section"] for p in html] == [
        "Cookie Notice",
        "Cookie Notice > Third parties",
    ]


def test_a_passage_never_crosses_a_heading(documents: list[Document]) -> None:
    for doc in documents:
        for size in CHUNK_SIZES:
            for passage in chunk_document(doc, chunk_size=size):
                assert not HEADING_LINE.search(passage.page_content), (doc.id, size, passage.id)


# --- offsets, ids, sizes -----------------------------------------------------------------------


@pytest.mark.parametrize("overlap", [0, 1, 2])
@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_passage_text_is_exactly_the_document_slice(
    documents: list[Document], size: int, overlap: int
) -> None:
    for doc in documents:
        passages = chunk_document(doc, chunk_size=size, overlap=overlap)
        assert passages, doc.id
        for passage in passages:
            start, end = passage.metadata["start"], passage.metadata["end"]
            assert doc.page_content[start:end] == passage.page_content
            assert passage.page_content == passage.page_content.strip()
            assert passage.page_content


def test_passage_ids_and_indexes_are_sequential(documents: list[Document]) -> None:
    for doc in documents:
        passages = chunk_document(doc, chunk_size=150)
        assert [p.id for p in passages] == [f"{doc.id}#{i}" for i in range(len(passages))]
        assert [p.metadata["passage_index"] for p in passages] == list(range(len(passages)))
        assert [p.metadata["start"] for p in passages] == sorted(
            p.metadata["start"] for p in passages
        )


@pytest.mark.parametrize("overlap", [0, 1, 2])
@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_no_passage_exceeds_chunk_size_except_a_merged_tail(
    documents: list[Document], size: int, overlap: int
) -> None:
    for doc in documents:
        passages = chunk_document(doc, chunk_size=size, overlap=overlap)
        for index, passage in enumerate(passages):
            if len(passage.page_content) <= size:
                continue
            # The documented exception: a short last group joins the one before it, up to 1.5x.
            following = passages[index + 1] if index + 1 < len(passages) else None
            is_section_tail = (
                following is None or following.metadata["section"] != passage.metadata["section"]
            )
            assert is_section_tail, (doc.id, size, passage.id)
            assert len(passage.page_content) <= size * 1.5, (doc.id, size, passage.id)


def test_short_tail_merges_into_the_previous_passage() -> None:
    first, second = "A" + "a" * 93 + ".", "B" + "b" * 93 + "."  # 95 characters each
    tail = "Short tail sentence that is far below the minimum length."
    text = f"{first} {second} {tail}\n"
    doc = Document(page_content=text, metadata={"doc_id": "t.md", "title": "T"})

    passages = chunk_document(doc, chunk_size=200, overlap=0)

    assert [p.page_content for p in passages] == [text.strip()]
    assert 200 < len(passages[0].page_content) <= 300


def test_short_tail_stands_alone_when_merging_would_exceed_one_and_a_half_sizes() -> None:
    first = "A" + "a" * 193 + "."  # 195 characters
    tail = "Tail " * 29 + "end."  # 149 characters: short, but 195 + 1 + 149 > 300
    doc = Document(page_content=f"{first} {tail}\n", metadata={"doc_id": "t.md", "title": "T"})

    passages = chunk_document(doc, chunk_size=200, overlap=0)

    assert [p.page_content for p in passages] == [first, tail]


def test_an_overlong_sentence_is_cut_at_spaces(documents: list[Document]) -> None:
    doc = next(d for d in documents if d.id == "long-policy.md")
    run_on = doc.page_content[doc.page_content.index("Run on ") :].strip()

    passages = [p for p in chunk_document(doc, chunk_size=150) if p.metadata["section"] == "Run-on"]

    assert len(passages) > 1
    assert all(len(p.page_content) <= 150 for p in passages)
    assert " ".join(p.page_content for p in passages).split() == run_on.split()


def test_neighbours_share_overlap_sentences(documents: list[Document]) -> None:
    doc = next(d for d in documents if d.id == "long-policy.md")
    text, size = doc.page_content, 300
    spans = sentence_spans(text)

    def pairs(overlap: int) -> list[tuple[dict, dict]]:
        passages = chunk_document(doc, chunk_size=size, overlap=overlap)
        return [
            (a.metadata, b.metadata)
            for a, b in itertools.pairwise(passages)
            if a.metadata["section"] == b.metadata["section"] == "Retention"
        ]

    shared = 0
    for a, b in pairs(1):
        last_of_a = next(span for span in spans if span[1] == a["end"])
        first_of_b = next(span for span in spans if span[0] == b["start"])
        if b["start"] < a["end"]:
            # Exactly one sentence is shared: the last of one passage starts the next.
            assert first_of_b == last_of_a
            shared += 1
        else:
            # Carrying it would have left no room for the next sentence.
            next_sentence = next(span for span in spans if span[0] >= a["end"])
            assert next_sentence[1] - last_of_a[0] > size
    assert shared >= 3
    assert all(b["start"] > a["end"] for a, b in pairs(0))


def test_chunk_size_must_be_positive(documents: list[Document]) -> None:
    with pytest.raises(ValueError, match="chunk_size must be positive"):
        chunk_document(documents[0], chunk_size=0)


# --- metadata and pages ------------------------------------------------------------------------


def test_passages_inherit_scalar_document_metadata(
    documents: list[Document], docs: CorpusDocs
) -> None:
    for passage in chunk_document(_by_id(documents, docs.policy), chunk_size=300):
        meta = passage.metadata
        assert meta["doc_id"] == docs.policy
        assert meta["title"] == "Acme Privacy Policy"
        assert meta["document_date"] == "2021-01-04"
        assert meta["language"] == "en"
        assert meta["kind"] == "policy"
    for doc in documents:
        for passage in chunk_document(doc, chunk_size=300):
            # Chroma stores only scalars: the PDF's page_starts list must not be inherited.
            assert all(isinstance(v, str | int | float | bool) for v in passage.metadata.values())


@pytest.mark.parametrize("overlap", [0, 1])
def test_pdf_passages_carry_their_pages(
    documents: list[Document], docs: CorpusDocs, overlap: int
) -> None:
    doc = _by_id(documents, docs.report)
    starts = doc.metadata["page_starts"]
    bounds = [*starts[1:], len(doc.page_content)]

    passages = chunk_document(doc, chunk_size=100, overlap=overlap)

    for passage in passages:
        page, page_end = passage.metadata["page"], passage.metadata["page_end"]
        start, end = passage.metadata["start"], passage.metadata["end"]
        assert 1 <= page <= page_end <= len(starts)
        assert starts[page - 1] <= start < bounds[page - 1]
        assert starts[page_end - 1] <= end - 1 < bounds[page_end - 1]

    def pages_of(phrase: str) -> set[tuple[int, int]]:
        return {
            (p.metadata["page"], p.metadata["page_end"])
            for p in passages
            if phrase in p.page_content
        }

    assert pages_of("Page one explains retention.") == {(1, 1)}
    assert pages_of("every request within thirty days") == {(2, 2)}
    assert {p.metadata["page"] for p in passages} == {1, 2}


def test_passages_of_other_formats_have_no_page(documents: list[Document]) -> None:
    for doc in documents:
        if doc.metadata["format"] != "pdf":
            assert all("page" not in p.metadata for p in chunk_document(doc, chunk_size=300))


# --- furniture ---------------------------------------------------------------------------------

FURNITURE = [
    "Baca",
    "Read more",
    "Cookie settings",
    "Home",
    "About us",
    "Copyright",
    "footer",
    "console.log",
    "tracker",
    "tracking pixel",
    "Jualan",
    "](",
    "[]",
    "http",
]


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_furniture_never_becomes_a_passage(documents: list[Document], size: int) -> None:
    for doc in documents:
        for passage in chunk_document(doc, chunk_size=size):
            for furniture in FURNITURE:
                assert furniture not in passage.page_content, (doc.id, furniture)
            assert LETTER.search(passage.page_content), (doc.id, passage.page_content)


def test_furniture_heavy_markdown_keeps_only_its_sentences(tmp_path: Path) -> None:
    path = tmp_path / "news.md"
    path.write_text(
        "# Berita\n\n[Beranda](/) | [Teknologi](/tekno)\n\n"
        "WhatsApp menunda pembaruan kebijakan privasi.\n\n"
        "**Baca juga:** [Judul lain](https://example.id/a)\n\n* * *\n\n"
        "Pengguna tetap dilindungi enkripsi.\n\nTags\n\nTerkini\n\nTerpopuler\n"
    )

    passages = chunk_document(load_file(path, "news.md"), chunk_size=100, overlap=0)

    assert [p.page_content for p in passages] == [
        "WhatsApp menunda pembaruan kebijakan privasi.\n\nPengguna tetap dilindungi enkripsi."
    ]


# --- sentences of a document -------------------------------------------------------------------


def test_document_sentences_match_passage_boundaries(documents: list[Document]) -> None:
    for doc in documents:
        sentences = document_sentences(doc, chunk_size=300)
        assert len({s.id for s in sentences}) == len(sentences)
        for sentence in sentences:
            start, end = sentence.metadata["start"], sentence.metadata["end"]
            assert doc.page_content[start:end] == sentence.page_content
        starts = {s.metadata["start"] for s in sentences}
        ends = {s.metadata["end"] for s in sentences}
        for passage in chunk_document(doc, chunk_size=300):
            assert passage.metadata["start"] in starts
            assert passage.metadata["end"] in ends
