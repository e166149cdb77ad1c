"""The answer cases of ``../shared/cases``: acronyms both ways, and on-topic questions refused.

Each case is indexed for real (real loaders, embeddings and Chroma) from the shared folder and
asked its README's questions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer.chain import AnswerChain
from qa.answer.phrases import phrase
from qa.answer.statements import statement_problem
from qa.index.ingest import ingest
from qa.settings import Settings


@pytest.fixture(scope="module")
def chains(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnswerChain]:
    """A chain over each answer case's ``docs/``."""
    built = {}
    for name in ("acronyms", "unanswerable-on-topic"):
        settings = Settings(
            corpus_dir=shared_dir / "cases" / name / "docs",
            index_dir=tmp_path_factory.mktemp(name) / "index",
        )
        ingest(settings)
        built[name] = AnswerChain.from_settings(settings)
    return built


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What rights do I have under the General Data Protection Regulation?", "General Data"),
        ("What rights do I have under the GDPR?", "General Data Protection Regulation"),
        ("Can I opt out of the sale of my data under the CCPA?", "California Consumer Privacy"),
        ("Do you transfer my data outside the EEA?", "European Economic Area"),
        ("What safeguards do you use for transfers, do you use SCCs?", "standard contractual"),
        ("How do I contact your data protection officer?", "DPO"),
    ],
)
def test_an_acronym_or_its_long_form_reaches_the_sentence_that_uses_the_other(
    chains: dict[str, AnswerChain], question: str, term: str
) -> None:
    result = chains["acronyms"].invoke(question)
    assert not result.abstained, result.answer
    assert term in result.citations[0].quote


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("How long do you keep my payment records?", "Payment records are kept for 6 years"),
        ("Do you share my workout history with my employer?", "We do not share your workout"),
    ],
)
def test_the_controls_are_answered(
    chains: dict[str, AnswerChain], question: str, answer: str
) -> None:
    result = chains["unanswerable-on-topic"].invoke(question)
    assert not result.abstained, result.answer
    assert all(statement_problem(c.quote) is None for c in result.citations)
    # The sentence that answers comes first: "how long" is what is asked, not a topic word
    # ("as long as your membership is active" answers about workout history).
    assert result.citations[0].quote.startswith(answer), result.answer


@pytest.mark.parametrize(
    "question",
    [
        "How long do you keep CCTV footage from the clubs?",
        "Do you transfer my data to countries outside Europe?",
        "Do you collect data about children under 13?",
        "Can I opt out of marketing emails?",
        # Near misses: a neighbouring sentence states a period, or that something is passed
        # on, of something else (``qa.answer.subject``).
        "How long do you keep my fingerprint scans used for club entry?",
        "How long do you keep my email address after my membership ends?",
        "Who receives my date of birth?",
    ],
)
def test_on_topic_questions_the_policy_does_not_answer_are_refused(
    chains: dict[str, AnswerChain], question: str
) -> None:
    result = chains["unanswerable-on-topic"].invoke(question)
    assert result.abstained
    assert result.answer.startswith(phrase("en", "abstention"))
    assert phrase("en", "closest") in result.answer


VERSION_2020 = """---
title: Fernleaf Privacy Policy
publisher: Fernleaf Ltd
kind: policy
language: en
document_date: 2020-03-01
---

# Fernleaf Privacy Policy

We never sell your personal data to advertisers or data brokers.
We keep your order history for three years.
"""
VERSION_2022 = VERSION_2020.replace("2020-03-01", "2022-06-01").replace(
    "three years", "five years, as the tax office requires"
)


def test_a_sentence_two_versions_share_is_quoted_once_citing_both(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "fernleaf-2020.md").write_text(VERSION_2020)
    (corpus / "fernleaf-2022.md").write_text(VERSION_2022)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(settings)
    chain = AnswerChain.from_settings(settings)
    # By default only the current version of the series answers.
    current = chain.invoke("Does Fernleaf sell my data?")
    assert {c.source.doc_id for c in current.citations} == {"fernleaf-2022.md"}
    assert not any(c.source.superseded for c in current.citations)
    result = chain.invoke(
        {"question": "Does Fernleaf sell my data?", "filters": {"versions": "all"}}
    )
    sentence = "We never sell your personal data to advertisers or data brokers."
    assert not result.abstained
    assert result.answer.count(sentence) == 1
    quote = next(q for q in result.quotes if q.text == sentence)
    assert len(quote.markers) == 2
    assert quote.versions == ["2020-03-01", "2022-06-01"]
    cited = {c.passage_id for c in result.citations}
    assert cited <= {p.passage_id for p in result.passages}  # every citation is shown
    old = next(c.source for c in result.citations if c.source.doc_id == "fernleaf-2020.md")
    assert (old.superseded, old.valid_from, old.valid_to) == (True, "2020-03-01", "2022-06-01")
    assert "[2] in force 2020-03-01 to 2022-06-01 (superseded)" in result.answer or (
        "[1] in force 2020-03-01 to 2022-06-01 (superseded)" in result.answer
    )
