"""Shared fixtures: a small mixed-format corpus, settings pointing at temporary folders, indexes
built once per session, a free-port helper and a fake embedder for logic tests.

Everything runs offline: importing ``qa`` sets the hub, telemetry and analytics switches (in
``qa/__init__.py``, the one place they are set) before any test module imports
sentence-transformers, Chroma or Gradio.
"""

from __future__ import annotations

import os

# qa/__init__.py leaves the hub online when FINEPRINT_ALLOW_HUB is set; tests must stay offline.
os.environ.pop("FINEPRINT_ALLOW_HUB", None)

import random
import shutil
import socket
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from answer_docs import ANSWER_DOCS
from fpdf import FPDF
from langchain_core.embeddings import Embeddings

import qa  # noqa: F401  (sets the offline switches before any hub-reading library loads)
import qa.index.ingest as ingest_module
from qa.answer.chain import AnswerChain
from qa.index.ingest import IngestReport, ingest
from qa.retrieve.lexical import tokenize
from qa.settings import Settings

# The doc_id of each document ``make_corpus`` writes, by what it is.
POLICY_MD = "policies/acme-privacy.md"
INDONESIAN_MD = "berita/whatsapp-tunda-pembaruan.md"
NOTES_TXT = "notes/retention-notes.txt"
COOKIES_HTML = "web/cookie-notice.html"
REPORT_PDF = "reports/retention-report.pdf"
# What the ``write_file`` fixture returns.
WriteFile = Callable[[Path, bytes | str], Path]
# What the ``free_port`` fixture returns.
FreePort = Callable[[], int]
CORPUS_DOC_IDS = sorted([POLICY_MD, INDONESIAN_MD, NOTES_TXT, COOKIES_HTML, REPORT_PDF])

POLICY_TEXT = """\
---
title: Acme Privacy Policy
publisher: Acme Corp
kind: policy
language: en
region: Worldwide
document_date: 2021-01-04
captured: 2024-05-01T10:00:00Z
url: https://example.com/privacy
---

# Acme Privacy Policy

[Home](https://example.com/) | [Privacy](https://example.com/privacy)

## Information We Collect

We collect information to run our services, e.g. account details and usage logs.

### Information You Provide

You give us your name, email address and phone number when you create an account. \
Read the [account guide](https://example.com/guide "Guide") to change them.

[](#)

### Automatically Collected Information

Our servers record your IP address and device type. We keep these logs for thirty days.

Read more: [Cookie settings](https://example.com/cookies)

## How We Share Information

We do not sell your personal information. We share it with service providers only to run Acme.
"""

# Indonesian news without front matter: the title comes from the heading, the language is detected.
INDONESIAN_TEXT = """\
# WhatsApp Tunda Pembaruan Kebijakan Privasi

WhatsApp menunda pembaruan kebijakan privasi hingga bulan Mei setelah banyak pengguna merasa \
khawatir. Pengguna menerima pemberitahuan tentang data yang dapat dibagikan dengan Facebook.

Baca Juga: Kebijakan Baru WhatsApp Bikin Resah Para Pengguna

"Kami tidak membagikan daftar kontak Anda dengan Facebook," kata WhatsApp. Percakapan pribadi \
tetap dilindungi enkripsi ujung ke ujung.

**Baca juga:** [Jualan di Instagram Kini Terhubung Dengan WhatsApp](https://example.id/jualan)
"""

NOTES_TEXT = """\
Retention Notes
Acme keeps support tickets for two years. After that, tickets are deleted automatically.
"""

COOKIES_HTML_TEXT = """\
<!DOCTYPE html>
<html lang="en">
<head><title>Acme Cookie Notice</title><script>var tracker = "head script text";</script></head>
<body>
<nav><a href="/">Home page</a> <a href="/about">About us</a></nav>
<main>
<!-- tracking pixel placeholder -->
<h1>Cookie Notice</h1>
<p>We use cookies to keep you signed in and to remember your language.</p>
<h2>Third parties</h2>
<p>Analytics partners receive <a href="/stats">aggregated statistics</a> only, never your name.</p>
<script>console.log("body script text");</script>
</main>
<footer>Copyright 2024 Acme footer links</footer>
</body>
</html>
"""

# Long enough that fpdf2 wraps each page's paragraph over several lines.
PDF_PAGES = [
    "Page one explains retention. We keep account records for three years after the account is "
    "closed, and backups are deleted within ninety days of their creation.",
    "Page two explains deletion. You can ask us to delete your data at any time, and we answer "
    "every request within thirty days of receiving it.",
]
PDF_TITLE = "Acme Retention Report"


def pdf_bytes(pages: list[str], title: str | None = None) -> bytes:
    """A real PDF with one page per string in ``pages`` (an empty string makes a blank page)."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def broken_pdf_bytes(seed: int = 7) -> bytes:
    """Random bytes, the same on every run, to save under a ``.pdf`` name."""
    return random.Random(seed).randbytes(2048)


def chain_over(root: Path, documents: dict[str, str]) -> AnswerChain:
    """The offline chain over ``documents`` (file name -> text), written under ``root/docs``
    and indexed for real (real embeddings, real Chroma) into ``root/index``."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=root / "docs", index_dir=root / "index")
    ingest(settings)
    return AnswerChain.from_settings(settings)


def chain_over_corpus(root: Path, name: str) -> AnswerChain:
    """``chain_over`` the Markdown documents of the invented corpus ``evals/corpora/<name>``."""
    folder = Path(__file__).parent.parent / "evals" / "corpora" / name
    return chain_over(root, {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")})


def write_corpus(root: Path) -> Path:
    """Write the five documents of the test corpus under ``root`` and return ``root``."""
    files: dict[str, bytes] = {
        POLICY_MD: POLICY_TEXT.encode(),
        INDONESIAN_MD: INDONESIAN_TEXT.encode(),
        NOTES_TXT: NOTES_TEXT.encode(),
        COOKIES_HTML: COOKIES_HTML_TEXT.encode(),
        REPORT_PDF: pdf_bytes(PDF_PAGES, PDF_TITLE),
    }
    for doc_id, data in files.items():
        path = root / doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture(autouse=True)
def _no_fineprint_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's ``FINEPRINT_*`` variables out of the tests' settings.

    A server index's side-index cache goes to the test's folder, not the user's home (the
    processes a test starts inherit it).
    """
    for name in list(os.environ):
        if name.startswith("FINEPRINT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FINEPRINT_CACHE_DIR", str(tmp_path / "fineprint-cache"))
    monkeypatch.delenv("LANGSMITH_TRACING", raising=False)


@contextmanager
def without_fineprint_env() -> Iterator[None]:
    """For session fixtures (which cannot use ``_no_fineprint_env``): hide ``FINEPRINT_*``."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("FINEPRINT_"):
                patch.delenv(name)
        yield


def _free_port() -> int:
    """A 127.0.0.1 port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ../shared beside the repository (CI has it too); FINEPRINT_SHARED_DIR points elsewhere.
REPO_DIR = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("FINEPRINT_SHARED_DIR", REPO_DIR.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``../shared`` folder (sample corpus, cases, benchmarks), never copied."""
    if not (SHARED_DIR / "cases").is_dir():
        msg = f"{SHARED_DIR} has no cases/: put ../shared beside the repository"
        raise FileNotFoundError(msg)
    return SHARED_DIR


@pytest.fixture(scope="session")
def free_port() -> FreePort:
    """Factory: ``free_port()`` -> a 127.0.0.1 port nothing listens on right now."""
    return _free_port


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_corpus()`` writes the test corpus under ``tmp_path/corpus``.

    The corpus: an English policy in Markdown with front matter and nested headings, Indonesian
    news in Markdown without front matter, a ``.txt``, an ``.html`` page with nav/script/footer
    and a two-page PDF (see ``CORPUS_DOC_IDS``).
    """

    def make(name: str = "corpus") -> Path:
        return write_corpus(tmp_path / name)

    return make


@pytest.fixture
def corpus(make_corpus: Callable[..., Path]) -> Path:
    """The test corpus folder, written afresh for each test."""
    return make_corpus()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """An index folder that does not exist yet."""
    return tmp_path / "index"


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    """Factory: ``settings_for(corpus_dir, index_dir, **changes)`` -> ``Settings`` (chunk 300)."""

    def make(corpus_dir: Path, index_dir: Path, **changes: object) -> Settings:
        return Settings(corpus_dir=corpus_dir, index_dir=index_dir, chunk_size=300).override(
            **changes
        )

    return make


@pytest.fixture
def make_pdf() -> Callable[..., bytes]:
    """Factory: ``make_pdf(pages, title=None)`` -> the bytes of a real PDF made with fpdf2."""
    return pdf_bytes


@pytest.fixture
def broken_pdf() -> bytes:
    """Random bytes (the same every run) to save as a ``.pdf``."""
    return broken_pdf_bytes()


def _write(path: Path, content: bytes | str) -> Path:
    """Write ``content`` (bytes, or text as UTF-8) to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def write_file() -> WriteFile:
    """Factory: ``write_file(path, content)`` writes bytes or UTF-8 text, creating folders."""
    return _write


@dataclass(frozen=True)
class CorpusDocs:
    """The doc_ids of the test corpus, by what each document is."""

    policy: str = POLICY_MD
    indonesian: str = INDONESIAN_MD
    notes: str = NOTES_TXT
    cookies: str = COOKIES_HTML
    report: str = REPORT_PDF
    pdf_pages: tuple[str, ...] = tuple(PDF_PAGES)

    @property
    def all(self) -> list[str]:
        """Every doc_id, sorted as ``find_files`` yields them."""
        return list(CORPUS_DOC_IDS)


@pytest.fixture
def docs() -> CorpusDocs:
    """The doc_ids (and PDF page texts) of the corpus ``make_corpus`` writes."""
    return CorpusDocs()


@dataclass(frozen=True)
class BuiltIndex:
    """The test corpus after one real ingest: folders, the report and the progress calls."""

    settings: Settings
    report: IngestReport
    progress: list[tuple[int, int, str]]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> BuiltIndex:
    """The test corpus ingested once per session (real embeddings, real Chroma).

    Embedding is the slow part of every ingest, so tests that start from an indexed corpus take
    a private copy (``indexed``) instead of embedding it again. Never change this one.
    """
    root = tmp_path_factory.mktemp("built")
    with without_fineprint_env():
        settings = Settings(
            corpus_dir=write_corpus(root / "corpus"), index_dir=root / "index", chunk_size=300
        )
    calls: list[tuple[int, int, str]] = []
    report = ingest(
        settings, progress=lambda done, total, doc_id: calls.append((done, total, doc_id))
    )
    return BuiltIndex(settings=settings, report=report, progress=calls)


@pytest.fixture
def indexed(built_index: BuiltIndex, tmp_path: Path) -> Settings:
    """Settings for a private copy of the session's ingested corpus and index, free to change."""
    source = built_index.settings
    return source.override(
        corpus_dir=shutil.copytree(source.corpus_dir, tmp_path / "corpus"),
        index_dir=shutil.copytree(source.index_dir, tmp_path / "index"),
    )


# --- the answering corpus: a real index shared by the chain, retrieval, filter and CLI tests ---


@pytest.fixture(scope="session")
def answer_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four documents of ``answer_docs.ANSWER_DOCS`` in a folder (English policy and
    terms, Indonesian news, and a note carrying an injected instruction). Never change it."""
    root = tmp_path_factory.mktemp("answer-corpus")
    for name, text in ANSWER_DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def answer_settings(answer_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over a real index of ``answer_corpus`` (chunk 300), built once per session."""
    with without_fineprint_env():
        settings = Settings(
            corpus_dir=answer_corpus,
            index_dir=tmp_path_factory.mktemp("answer-index"),
            chunk_size=300,
        )
    report = ingest(settings)
    assert not report.skipped
    return settings


@pytest.fixture(scope="session")
def answer_chain(answer_settings: Settings) -> AnswerChain:
    """The offline (extractive) chain over ``answer_settings``' index."""
    return AnswerChain.from_settings(answer_settings)


# --- a fake embedder, for logic tests only -------------------------------------------------------

FAKE_DIMENSIONS = 256


class FakeEmbeddings(Embeddings):
    """A stand-in embedding model: a hashed bag of stemmed words, normalised to length 1.

    Each token of ``qa.retrieve.lexical.tokenize`` adds one to a bucket chosen by a stable hash
    (CRC-32), so texts sharing words have a higher cosine than texts sharing none, and the same
    text always gets the same vector. A text without words gets a bucket of its own. It stands
    in for the real models for speed, in tests of logic (store round trips, bookkeeping) only;
    every test of retrieval or answer quality uses the real embeddings.
    """

    def __init__(self, dimensions: int = FAKE_DIMENSIONS) -> None:
        """Vectors of ``dimensions`` floats; the last one is kept for texts without words."""
        self.dimensions = dimensions

    def vector(self, text: str) -> np.ndarray:
        """The normalised vector of ``text``."""
        counts = np.zeros(self.dimensions)
        for token in tokenize(text):
            counts[zlib.crc32(token.encode()) % (self.dimensions - 1)] += 1.0
        if not counts.any():
            counts[-1] = 1.0
        return counts / np.linalg.norm(counts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed each text."""
        return [self.vector(text).tolist() for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question (the same way as a passage)."""
        return self.vector(text).tolist()


@pytest.fixture(scope="session")
def fake_embeddings() -> FakeEmbeddings:
    """The fake embedder (``FakeEmbeddings``): fast and deterministic, for logic tests only."""
    return FakeEmbeddings()


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch, fake_embeddings: FakeEmbeddings) -> None:
    """Ingest embeds with the fake embedder for any model named ``fake-*``."""
    real = ingest_module.get_embeddings

    def pick(model: str) -> Embeddings:
        return fake_embeddings if model.startswith("fake-") else real(model)

    monkeypatch.setattr(ingest_module, "get_embeddings", pick)
