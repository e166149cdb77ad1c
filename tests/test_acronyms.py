"""Acronyms (``qa.retrieve.acronyms``): the glossary both ways, those a corpus defines, and an
answer whose passage uses the other form than the question (real index)."""

from __future__ import annotations

from pathlib import Path

from conftest import chain_over, chain_over_corpus

from qa.retrieve.acronyms import FIELD_ACRONYMS, defined_acronyms, expansions, other_forms


def test_expansions_go_both_ways() -> None:
    assert expansions("Is this allowed under GDPR?", FIELD_ACRONYMS) == [
        "General Data Protection Regulation"
    ]
    assert expansions("What does the general data protection regulation say?", FIELD_ACRONYMS) == [
        "GDPR"
    ]
    assert expansions("Do you rely on SCCs?", FIELD_ACRONYMS) == ["standard contractual clauses"]


def test_an_acronym_inside_another_word_is_not_one() -> None:
    assert expansions("What about the EURO and Europe?", FIELD_ACRONYMS) == []
    assert expansions("Is my data sold?", FIELD_ACRONYMS) == []


def test_a_corpus_defines_its_own_acronyms_when_the_initials_match() -> None:
    texts = [
        "We appoint a Data Protection Officer (DPO) for the group.",
        "Rekam Medis Elektronik (RME) disimpan lima tahun.",
        "Our Privacy Team (PRX) answers.",  # initials do not match: no definition
        "NIK (Nomor Induk Kependudukan) is asked at sign-up.",
    ]
    assert defined_acronyms(texts) == {
        "DPO": "Data Protection Officer",
        "RME": "Rekam Medis Elektronik",
        "NIK": "Nomor Induk Kependudukan",
    }


SCC_POLICY = """---
title: Harbourline Privacy Policy
publisher: Harbourline Ltd
kind: policy
language: en
document_date: 2025-04-01
---
# Harbourline Privacy Policy

## International transfers

For customers in Europe, we transfer personal data to the United States under SCCs and we keep
a copy of every transfer agreement.

## Cookies

We use cookies to keep you signed in.
"""


def test_a_question_in_long_form_is_answered_from_a_passage_using_the_acronym(
    tmp_path: Path,
) -> None:
    # The question says "standard contractual clauses", the policy only "SCCs": end to end,
    # retrieval and the answer step reach the passage (the coverage counting both forms is
    # tested in test_abstention.py, on a case the fitted rule would otherwise refuse).
    chain = chain_over(tmp_path, {"privacy.md": SCC_POLICY})

    result = chain.invoke("Do you rely on standard contractual clauses to move my data to the US?")

    assert not result.abstained, result.answer
    assert "under SCCs" in result.citations[0].quote


def test_the_other_form_of_a_question_swaps_each_acronym_once() -> None:
    assert other_forms("Do you use SCCs outside the EEA?", FIELD_ACRONYMS) == (
        "Do you use standard contractual clauses outside the European Economic Area?"
    )
    assert other_forms("Who is your Data Protection Officer?", FIELD_ACRONYMS) == (
        "Who is your DPO?"
    )
    # Acronyms count as written: "us" and "eu" in words are none.
    assert other_forms("Contact us about the euro.", FIELD_ACRONYMS) == "Contact us about the euro."


def test_a_recipient_question_in_long_form_reaches_the_sentence_using_the_acronym(
    tmp_path: Path,
) -> None:
    # On the lumenhaus fitting corpus the first quote chosen was the California notice's
    # "sensitive personal information" sentence: it names neither the subject nor a receiver.
    # The privacy policy's "We share PII with ..." answers, in another passage.
    chain = chain_over_corpus(tmp_path, "lumenhaus")

    result = chain.invoke("Who do you share my personally identifiable information with?")

    assert not result.abstained, result.answer
    assert result.citations[0].quote.startswith("We share PII with service providers")


def test_security_acronyms_are_known_both_ways() -> None:
    assert expansions("Do you use Transport Layer Security?", FIELD_ACRONYMS) == ["TLS"]
    assert expansions("Can I turn on 2FA?", FIELD_ACRONYMS) == ["two-factor authentication"]
