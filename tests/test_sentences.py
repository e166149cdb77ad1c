"""Sentence splitting (English and Indonesian abbreviations, numbers, quotes, lists) and spans."""

from __future__ import annotations

import pytest

from qa.index.sentences import sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We collect data, e.g. IP addresses and cookies. We keep them for a year.",
            ["We collect data, e.g. IP addresses and cookies.", "We keep them for a year."],
        ),
        (
            "See section 3 (i.e. Your Rights) for details. Then write to us.",
            ["See section 3 (i.e. Your Rights) for details.", "Then write to us."],
        ),
        (
            "This applies in the U.S. Government sector too. Other rules apply in the EU.",
            ["This applies in the U.S. Government sector too.", "Other rules apply in the EU."],
        ),
        (
            "Contact Dr. Smith at our office. She answers within a week.",
            ["Contact Dr. Smith at our office.", "She answers within a week."],
        ),
        (
            "Version 2.1 of the policy applies. It replaced 2.0 in May.",
            ["Version 2.1 of the policy applies.", "It replaced 2.0 in May."],
        ),
        (
            # A company form followed by another is inside the name.
            'Arunika Learn Pte. Ltd. ("Arunika") runs the app. Kedai Sdn. Bhd. sells books.',
            ['Arunika Learn Pte. Ltd. ("Arunika") runs the app.', "Kedai Sdn. Bhd. sells books."],
        ),
        (
            "Is my data sold? No! We never sell it.",
            ["Is my data sold?", "No!", "We never sell it."],
        ),
        (
            "- We collect your name.\n- We collect your email.\n1. First step. Second step.",
            ["We collect your name.", "We collect your email.", "First step.", "Second step."],
        ),
    ],
)
def test_english_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kami menyimpan foto, video, dll. (lihat Pasal 3) selama setahun. Data dihapus nanti.",
            [
                "Kami menyimpan foto, video, dll. (lihat Pasal 3) selama setahun.",
                "Data dihapus nanti.",
            ],
        ),
        (
            "Kantor kami berada di Jl. Sudirman No. 5, Jakarta. Kami buka setiap hari.",
            ["Kantor kami berada di Jl. Sudirman No. 5, Jakarta.", "Kami buka setiap hari."],
        ),
        (
            "Data diproses oleh Prof. Budi dan tim. Hasilnya dirahasiakan.",
            ["Data diproses oleh Prof. Budi dan tim.", "Hasilnya dirahasiakan."],
        ),
        (
            '"Kami tidak membagikan daftar kontak Anda," kata WhatsApp. Percakapan terenkripsi.',
            [
                '"Kami tidak membagikan daftar kontak Anda," kata WhatsApp.',
                "Percakapan terenkripsi.",
            ],
        ),
        (
            'WhatsApp berkata: "Kami tidak membaca pesan Anda." Pengguna tetap khawatir.',
            ['WhatsApp berkata: "Kami tidak membaca pesan Anda."', "Pengguna tetap khawatir."],
        ),
        (
            "Apakah data saya dijual? Tidak! Kami tidak pernah menjualnya.",
            ["Apakah data saya dijual?", "Tidak!", "Kami tidak pernah menjualnya."],
        ),
    ],
)
def test_indonesian_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentence_spans_are_offsets_into_the_text() -> None:
    text = "# Data\n  We keep logs, e.g. IP addresses.  Kami tidak berbagi.\n\n- Last line here\n"

    spans = sentence_spans(text)

    assert [text[a:b] for a, b in spans] == [
        "# Data",
        "We keep logs, e.g. IP addresses.",
        "Kami tidak berbagi.",
        "Last line here",
    ]
    assert all(a < b for a, b in spans)
    assert spans == sorted(spans)


def test_sentence_spans_respect_the_given_range() -> None:
    text = "Outside one. Inside one. Inside two. Outside two."
    start, end = text.index("Inside one"), text.index(" Outside two")

    assert [text[a:b] for a, b in sentence_spans(text, start, end)] == [
        "Inside one.",
        "Inside two.",
    ]
