"""Acronyms (``qa.retrieve.acronyms``): the glossary both ways, and those a corpus defines."""

from __future__ import annotations

from qa.retrieve.acronyms import FIELD_ACRONYMS, defined_acronyms, expansions


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
