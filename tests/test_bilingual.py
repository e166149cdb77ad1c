"""The glossary bridge between Indonesian and English question words."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from qa.load.language import question_language
from qa.retrieve.bilingual import GLOSSARY, counterpart, other_language
from qa.retrieve.lexical import LexicalIndex, tokenize

ENGLISH = [
    Document(
        "If a message cannot be delivered, we may keep it on our servers for up to 30 days.",
        id="a#0",
        metadata={"doc_id": "a", "language": "en"},
    ),
    Document(
        "You can delete your account at any time from the settings.",
        id="b#0",
        metadata={"doc_id": "b", "language": "en"},
    ),
    Document(
        "We never sell your personal data to advertisers.",
        id="c#0",
        metadata={"doc_id": "c", "language": "en"},
    ),
]
INDONESIAN = [
    Document(
        "Kami tidak membagikan daftar kontak Anda dengan Facebook.",
        id="d#0",
        metadata={"doc_id": "d", "language": "id"},
    ),
    Document(
        "Pesan yang belum terkirim disimpan paling lama 30 hari.",
        id="e#0",
        metadata={"doc_id": "e", "language": "id"},
    ),
    Document(
        "Anda dapat menghapus akun kapan saja melalui pengaturan.",
        id="f#0",
        metadata={"doc_id": "f", "language": "id"},
    ),
]


def test_inflected_indonesian_words_meet_their_english_words() -> None:
    bridge = counterpart("Berapa lama WhatsApp menyimpan pesan yang tidak terkirim?", "id")
    words = bridge.split()
    assert {"keep", "message", "deliver", "WhatsApp"} <= set(words)
    # The sentence's first word is capitalised only because it starts the sentence.
    assert "Berapa" not in words


def test_an_indonesian_question_finds_the_english_passage_through_its_counterpart() -> None:
    index = LexicalIndex(ENGLISH)
    question = "Apakah Anda menjual informasi pribadi saya?"
    assert index.search(question, 3, language="id") == []
    hits = index.search(counterpart(question, "id"), 3, language=other_language("id"))
    assert hits and hits[0].passage.id == "c#0"


def test_an_english_question_finds_the_indonesian_passage_through_its_counterpart() -> None:
    index = LexicalIndex(INDONESIAN)
    question = "Is my contact list shared with Facebook?"
    bridge = counterpart(question, "en")
    hits = index.search(bridge, 2, language=other_language("en"))
    assert hits[0].passage.id == "d#0"
    assert "Facebook" in bridge.split()


def test_a_question_with_no_known_word_has_no_counterpart() -> None:
    assert counterpart("Siapa presiden Mars?", "id") == ""
    assert counterpart("What is the weather on Mars?", "en").split() == ["cuaca", "Mars"]
    assert counterpart("Xyzzy plugh?", "en") == ""


def test_every_glossary_entry_stems_to_something() -> None:
    for indonesian, english in GLOSSARY.items():
        assert tokenize(indonesian, "id"), indonesian
        assert all(tokenize(word, "en") for word in english), indonesian


def test_words_whose_stem_loses_a_letter_still_meet_their_translation() -> None:
    # The Indonesian stemmer makes "penipuan" "ipu" and "penanganan" "angan" (the nasal prefix
    # took the root's first letter) and "masalah" "masa": the glossary knows every stem a
    # word of the root can have.
    bridge = tokenize(counterpart("Bagaimana penipuan dan masalah teknis ditangani?", "id"))
    assert {"fraud", "issu", "technic"} <= set(bridge)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Apa bedanya Nimbus Ride dan Tandem Go soal lama penyimpanan riwayat perjalanan?", "id"),
        ("Apakah daftar kontak saya dibagikan ke Facebook?", "id"),
        ("Do Tandem Go and Nimbus Ride hand my data to the police?", "en"),
        ("Does Signal store IP?", "en"),
    ],
)
def test_names_do_not_vote_on_the_question_language(question: str, language: str) -> None:
    # Four English-looking name words made the first question English.
    assert question_language(question) == language
