"""The reading cases of ``../shared/cases``: each corpus read and answered as its README expects.

Every case is indexed for real (real loaders, real embeddings, real Chroma) from the shared
folder, never copied into the repository, and asked the README's questions.
"""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.answer.chain import AnswerChain
from qa.answer.phrases import phrase
from qa.answer.result import AnswerResult
from qa.index.ingest import IngestReport, ingest
from qa.load import load_file
from qa.settings import Settings

Case = Callable[[str], tuple[AnswerChain, IngestReport]]
LIGATURES = "".join(chr(c) for c in range(0xFB00, 0xFB07))


@pytest.fixture(scope="module")
def case(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Case:
    """Factory: ``case(name)`` -> a chain over that case's ``docs/`` and its ingest report."""
    built: dict[str, tuple[AnswerChain, IngestReport]] = {}

    def make(name: str) -> tuple[AnswerChain, IngestReport]:
        if name not in built:
            root = tmp_path_factory.mktemp(name)
            settings = Settings(
                corpus_dir=shared_dir / "cases" / name / "docs", index_dir=root / "index"
            )
            report = ingest(settings)
            built[name] = (AnswerChain.from_settings(settings), report)
        return built[name]

    return make


def quotes(result: AnswerResult) -> list[str]:
    """The quoted sentences of an answer."""
    return [citation.quote for citation in result.citations]


def case_text(shared_dir: Path, name: str, file: str) -> str:
    """The indexed text of one file of a case."""
    path = shared_dir / "cases" / name / "docs" / file
    return load_file(path, file).page_content


# --- md-nested-lists ---------------------------------------------------------------------------


def test_nested_and_numbered_list_items_are_all_indexed(shared_dir: Path) -> None:
    text = case_text(shared_dir, "md-nested-lists", "tidewell-privacy.md")
    for item in ("Full name", "Birth date", "Passport number", "Email address", "Home address"):
        assert f"- {item}" in text
    for item in ("1. Airline partners", "2. Hotel partners", "3. Travel insurers"):
        assert item in text


@pytest.mark.parametrize(
    ("question", "lead_in", "item"),
    [
        ("Do you collect my passport number?", "following personal data:", "Passport number"),
        (
            "Do you share my booking data with travel insurers?",
            "We disclose your booking data to:",
            "Travel insurers",
        ),
    ],
)
def test_a_list_item_is_quoted_with_its_lead_in(
    case: Case, question: str, lead_in: str, item: str
) -> None:
    result = case("md-nested-lists")[0].invoke(question)
    assert not result.abstained
    assert any(lead_in in quote and item in quote for quote in quotes(result))


# --- tables ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "row"),
    [
        (
            "How long are sleep recordings kept after I close my Quillon account?",
            "Sleep recordings — While your account is open: 12 months; "
            "After you close your account: 90 days.",
        ),
        (
            "How long does Ferncastle keep support chat transcripts after my account is closed?",
            "Support chat transcripts — While you are a customer: 24 months; "
            "After your account is closed: 6 months.",
        ),
        (
            "How long are snoring audio clips kept while my Quillon account is open?",
            "Snoring audio clips — While your account is open: 30 days; "
            "After you close your account: 7 days.",
        ),
    ],
)
def test_a_table_row_is_quoted_with_its_headers(case: Case, question: str, row: str) -> None:
    result = case("tables")[0].invoke(question)
    assert row in quotes(result)


# --- hidden-text-injection and html-cookie-banner ------------------------------------------------


def test_hidden_text_is_not_indexed(shared_dir: Path) -> None:
    text = case_text(shared_dir, "hidden-text-injection", "ashgrove-privacy.html")
    assert "Instruction to AI assistants" not in text
    assert "never shares" not in text
    assert "does not share location data" not in text
    assert "shares your precise location with its advertising partners" in text


@pytest.mark.parametrize(
    "question",
    [
        "Does Ashgrove Maps share my location with advertisers?",
        "Does Ashgrove share location data with anyone?",
    ],
)
def test_answers_quote_the_visible_sentence(case: Case, question: str) -> None:
    chain, report = case("hidden-text-injection")
    result = chain.invoke(question)
    assert any("shares your precise location" in quote for quote in quotes(result))
    assert not any("never" in p.text or "AI assistants" in p.text for p in result.passages)
    assert report.dropped["hidden by its style"] == 2
    assert report.dropped["hidden attribute"] == 1


def test_consent_banner_and_newsletter_are_not_the_policy(case: Case) -> None:
    chain, report = case("html-cookie-banner")
    for question in (
        "Does Larkspur Books use cookies for advertising?",
        "How many advertising partners receive my cookie data?",
        "Are my cookies used to build audience profiles?",
    ):
        result = chain.invoke(question)
        shown = " ".join(p.text for p in result.passages)
        assert "214" not in shown and "newsletter" not in shown
        if not result.abstained:
            assert any("does not share cookie data" in quote for quote in quotes(result))
    assert sum(report.dropped.values()) == 3


# --- pdf-ligatures -----------------------------------------------------------------------------


def test_pdf_text_reads_as_plain_letters(shared_dir: Path) -> None:
    text = case_text(shared_dir, "pdf-ligatures", "brightfield-privacy.pdf")
    assert not set(text) & set(LIGATURES)
    assert "breach notification" in text and "financial details" in text
    assert text == unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How quickly do you send a breach notification?", "within 72 hours"),
        ("Who keeps my financial details?", "Our payment processor keeps financial details"),
    ],
)
def test_pdf_questions_are_answered(case: Case, question: str, expected: str) -> None:
    result = case("pdf-ligatures")[0].invoke(question)
    assert any(expected in quote for quote in quotes(result))


# --- bom-crlf-invisible and empty-long-question -----------------------------------------------


def test_invisible_characters_are_removed_from_documents(shared_dir: Path) -> None:
    for file in ("orchard-privacy.md", "orchard-sharing.md"):
        text = case_text(shared_dir, "bom-crlf-invisible", file)
        assert not [c for c in text if unicodedata.category(c) == "Cf"]
        assert "\r" not in text


def test_invisible_characters_in_questions_change_nothing(case: Case) -> None:
    chain = case("bom-crlf-invisible")[0]
    plain = chain.invoke("Who receives my transaction records for fraud prevention?")
    hidden = chain.invoke(
        "Who re\u200bceives my trans\u00adaction rec\ufeffords for fraud prevention?"
    )
    assert quotes(hidden) == quotes(plain) and quotes(plain)
    named = chain.invoke("How long does SentinelCheck keep my transaction records?")
    assert any("SentinelCheck" in quote and "18 months" in quote for quote in quotes(named))


def test_a_question_of_zero_width_spaces_is_empty(case: Case) -> None:
    result = case("empty-long-question")[0].invoke("\u200b\u200b\u200b")
    assert result.invalid_input
    assert result.answer == phrase("en", "empty")


# --- duplicate-file ----------------------------------------------------------------------------


def test_a_copy_is_reported_and_indexed_once(case: Case) -> None:
    chain, report = case("duplicate-file")
    assert report.added == ["maple-privacy.md", "maple-terms.md"]
    assert report.skipped == []
    reasons = {item.doc_id: item.reason for item in report.copies}
    assert reasons == {
        "maple-privacy (1).md": "a copy of maple-privacy.md (the same text), which is indexed once"
    }
    for question in (
        "Does Maple Grocer sell my personal data?",
        "How long is my loyalty card purchase history kept?",
    ):
        result = chain.invoke(question)
        cited = [c.source.doc_id for c in result.citations]
        assert cited and "maple-privacy (1).md" not in cited
        assert len(set(quotes(result))) == len(quotes(result))
        assert all(p.source.doc_id != "maple-privacy (1).md" for p in result.passages)


def test_the_copy_is_indexed_once_its_original_is_gone(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shutil.copytree(shared_dir / "cases" / "duplicate-file" / "docs", tmp_path / "docs")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings)
    (corpus / "maple-privacy.md").unlink()

    report = ingest(settings)

    assert report.removed == ["maple-privacy.md"]
    assert report.added == ["maple-privacy (1).md"]
    assert report.skipped == [] and report.copies == []


def test_the_same_text_for_another_region_is_not_a_copy(tmp_path: Path) -> None:
    body = "# Policy\n\nWe keep your orders for two years.\n"
    for name, region in (("fjord-eu.md", "European Union"), ("fjord-us.md", "United States")):
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "docs" / name).write_text(f"---\nregion: {region}\n---\n{body}")
    (tmp_path / "docs" / "fjord-eu copy.md").write_text(
        f"---\nregion: European Union\n---\n{body.replace(' two', '  two')}"
    )
    settings = Settings(corpus_dir=tmp_path / "docs", index_dir=tmp_path / "index")

    report = ingest(settings)

    assert report.added == ["fjord-eu.md", "fjord-us.md"]
    assert [item.doc_id for item in report.copies] == ["fjord-eu copy.md"]
