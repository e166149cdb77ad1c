"""Questions asking how long, how much, how many or how old are answered only by quantities."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import chain_over, chain_over_corpus
from langchain_core.documents import Document

from qa.answer.chain import AnswerChain
from qa.answer.evidence import Evidence
from qa.answer.quantity import asked_quantity, states_quantity
from qa.retrieve.hybrid import Retrieval

POLICY = """---
title: Kestrel Privacy Policy
publisher: Kestrel Health
kind: policy
language: en
document_date: 2025-03-01
---
# Kestrel Privacy Policy

## Medical records

Every consultation is written into your electronic medical record, as health law requires.
Your doctor can read the records of your earlier consultations. Medical records are kept for at
least 25 years after your last visit.

## What we collect

We collect your name, email address, phone number and payment card details when you sign up.
We also collect the photos you send to a doctor in the chat.

## Billing

Invoices are kept for 10 years, as tax law requires.
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> AnswerChain:
    """A chain over one invented policy, indexed for real."""
    return chain_over(tmp_path_factory.mktemp("kestrel"), {"privacy.md": POLICY})


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long do you keep my chat photos?", "duration"),
        ("Berapa lama foto saya disimpan?", "duration"),
        ("How old must I be to sign up?", "age"),
        ("Berapa biaya konsultasi?", "amount"),
        ("What fine did the regulator impose?", "amount"),
        ("How many users joined last year?", "count"),
        ("How many years do you keep my sleep data?", "duration"),
        ("Berapa hari data tidur saya disimpan?", "duration"),
        ("Sampai kapan data saya disimpan?", "duration"),
        ("How fast will you answer if I ask for a copy of my data?", "duration"),
        ("How quickly do you send a breach notification?", "duration"),
        ("Seberapa cepat permintaan saya dijawab?", "duration"),
        ("What is the minimum age for Tembang?", "age"),
        ("Umur berapa saya boleh mendaftar?", "age"),
        ("Is Lumora Premium free?", "amount"),
        ("Apakah Tembang gratis?", "amount"),
        ("Do you charge a fee for a copy of my data?", "amount"),
        ("Do you sell my data?", None),
        ("When was the policy updated?", None),
    ],
)
def test_questions_asking_a_quantity_are_told_apart(question: str, kind: str | None) -> None:
    assert asked_quantity(question) == kind


def test_a_quantity_is_a_number_or_the_words_that_state_one_not_a_date() -> None:
    assert states_quantity("Records are kept for twenty-five years.", "duration")
    assert states_quantity("Data disimpan selama akun Anda aktif.", "duration")
    assert states_quantity("Registration is free of charge.", "amount")
    assert not states_quantity("Registration is free of charge.", "count")
    assert not states_quantity("We collect payment card details.", "duration")
    # A number in words counts before a unit of what is asked, not in "one or more".
    assert states_quantity("Logs are deleted after six months.", "duration")
    assert not states_quantity("It may be limited to one or more sectors.", "amount")
    assert not states_quantity("Fitur ini diluncurkan selama satu tahun terakhir.", "age")
    # A date is no count, though it holds numbers.
    assert not states_quantity("Signal said on 15 January 2021 that it had grown.", "count")


def test_how_long_is_answered_by_the_sentence_that_says_how_long(chain: AnswerChain) -> None:
    result = chain.invoke("How long are my medical records kept?")
    assert not result.abstained
    assert result.citations[0].quote.startswith("Medical records are kept for at least 25 years")


def test_how_long_for_data_with_no_stated_period_is_refused(chain: AnswerChain) -> None:
    # The policy lists payment card details among what it collects and says how long invoices
    # are kept, but not how long card details are.
    result = chain.invoke("How long do you keep my payment card details?")
    assert result.abstained
    assert result.signals["quantity_missing"] == 1.0
    assert "no passage" in result.answer


def _evidence(passage: str, text: str, cosine: float, score: float = 1.0) -> Evidence:
    holder = Document(text, id=passage, metadata={"doc_id": "p.md", "rank": 1})
    features = {"cosine": cosine, "overlap": 0.5, "rare_overlap": 0.5, "rank": 1.0}
    features |= {"passage": score, "chars": float(len(text))}
    return Evidence(holder, text, 0, len(text), cosine, features=features)


def test_a_quantity_left_out_of_the_selection_is_taken_from_the_same_passage(
    chain: AnswerChain,
) -> None:
    chosen = _evidence("records", "Consultations go into your medical record.", 0.90)
    # Both far enough below the best that the evidence rule quotes neither.
    beside = _evidence("records", "Medical records are kept for at least 25 years.", 0.50)
    elsewhere = _evidence("billing", "Invoices are kept for 10 years.", 0.45, score=0.5)
    scored = [chosen, elsewhere, beside]
    asked = "How long do you keep my medical record?"
    found = Retrieval(passages=[], query_vector=[0.0])
    picked, firm = chain._asked_evidence(scored, "duration", asked, "en", found)
    assert [item.text for item in picked] == [beside.text]
    # "medical records" names the whole subject, in the question's language.
    assert firm
    # Another passage's period does not answer: nothing is picked then.
    none, firm = chain._asked_evidence([chosen, elsewhere], "duration", asked, "en", found)
    assert none == [] and not firm
    # A question asking no quantity keeps the rule's selection, and is never firm.
    general, firm = chain._asked_evidence(scored, None, "Is my record kept?", "en", found)
    assert general[0].text == chosen.text and not firm


def test_a_quantity_stated_of_the_whole_subject_answers(tmp_path: Path) -> None:
    # On the kelapa-kirim fitting corpus the abstention rule's word coverage refused this
    # paraphrase ("hang on to"), though the sentence states how long and names what was asked.
    chain = chain_over_corpus(tmp_path, "kelapa-kirim")

    result = chain.invoke(
        "If I'm a foreigner sending something overseas, how long do you hang on to my passport"
        " copy?"
    )

    assert not result.abstained, result.answer
    assert result.citations[0].quote.startswith("Passport copies are deleted 30 days after")
