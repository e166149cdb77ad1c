"""A quantity or recipient question is answered only by a sentence about what it asks of.

Unit tests of ``qa.answer.subject`` and ``qa.answer.recipients``, then the chain over an
invented policy, indexed for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import chain_over, chain_over_corpus

from qa.answer.chain import AnswerChain, _compares
from qa.answer.quantity import asked_quantity, asked_subject, states_quantity
from qa.answer.recipients import asked_receiver, asked_recipient, asks_recipient, states_passing
from qa.answer.subject import cut_subject, names_subject, says_codes, subject_groups

POLICY = """---
title: Wrenfield Privacy Policy
publisher: Wrenfield Ltd
kind: policy
language: en
document_date: 2025-02-01
---
# Wrenfield Privacy Policy

This policy explains how Wrenfield Ltd handles your personal data when you use our bike rental.

## What we collect

When you sign up we collect your name, email address, date of birth and driving licence number.

## How long we keep it

Ride history is kept for 24 months after your last ride. Payment records are kept for 7 years
because tax law requires it.

## Who we share it with

Our payment processor receives your card details. We share your ride history with your employer
only when you join a company plan.

## Plans and fees

We offer two plans: 1. Casual, billed per ride; 2. Commuter, a 12-month plan at a lower monthly
price. Wrenfield Plus costs Rp 99.000 a month. We do not charge for copies of your data.
"""


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("How long do you keep my fingerprint scans used for club entry?", "my fingerprint scans"),
        ("How long are undelivered messages kept?", "undelivered messages"),
        ("Berapa lama foto profil saya disimpan setelah akun dihapus?", "foto profil saya"),
        ("Berapa lama WhatsApp menyimpan pesan yang tidak terkirim?", "pesan"),
        ("Berapa biaya isi ulang KitaPay lewat transfer bank?", "isi ulang KitaPay"),
        ("What is the fee for a CCPA request?", "a CCPA request"),
        ("How long do you keep my personal data?", ""),  # data in general: any period answers
        ("How many users does Signal have?", ""),
        # Inside a sentence, and as a comparison of durations.
        ("Compare them on how long support chat transcripts are kept.", "support chat transcripts"),
        ("Which company keeps my ride history longer?", "my ride history"),
    ],
)
def test_the_subject_of_a_quantity_question(question: str, subject: str) -> None:
    assert asked_subject(question) == subject


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Who receives my date of birth?", "my date of birth"),
        ("Do you share my workout history with my employer?", "my workout history"),
        ("Is my contact list shared with Facebook?", "my contact list"),
        ("Apakah daftar kontak saya dibagikan ke Facebook?", "daftar kontak saya"),
        ("Siapa yang menerima data lokasi saya?", "data lokasi saya"),
        ("Dengan siapa rekaman suara saya dibagikan?", "rekaman suara saya"),
        ("Do you sell my location?", "my location"),
        ("Do they sell my data to advertisers?", ""),
        ("How long do you keep my email address?", ""),
    ],
)
def test_the_subject_of_a_recipient_question(question: str, subject: str) -> None:
    assert asked_recipient(question) == subject


@pytest.mark.parametrize(
    ("question", "receiver"),
    [
        ("Do you share my location with advertisers?", "advertisers"),
        ("Is my contact list shared with Facebook for ads?", "Facebook"),
        ("Apakah daftar kontak saya dibagikan ke Facebook?", "Facebook"),
        ("Do you share my location with third parties?", ""),  # any recipient answers
        ("Who do you share my location with?", ""),
    ],
)
def test_the_receiver_a_recipient_question_asks_about(question: str, receiver: str) -> None:
    assert asked_receiver(question) == receiver


def test_a_subject_is_named_by_the_words_that_qualify_its_head_noun() -> None:
    phone = subject_groups("my phone number", "en", "en")
    assert not names_subject("Our processor receives your card number.", phone, "en")
    assert names_subject("We give your phone number to the driver.", phone, "en")
    telepon = subject_groups("nomor telepon saya", "id", "id")
    assert not names_subject("Bank menerima nomor kartu Anda.", telepon, "id", head_first=True)
    assert names_subject("Pengemudi menerima nomor telepon Anda.", telepon, "id", head_first=True)


def test_a_sentence_names_a_subject_by_half_its_words_or_its_heading() -> None:
    groups = subject_groups("CCTV footage", "en", "en")
    assert names_subject("CCTV recordings from club floors are kept 30 days.", groups, "en")
    assert not names_subject("Workout history is kept for 12 months.", groups, "en")
    # A table row names its subject in its heading.
    row = subject_groups("my KitaPay transactions", "en", "en")
    assert names_subject("Retention: 10 years.", row, "en", context="KitaPay transactions")
    assert cut_subject("data saya?") == ""


def test_across_languages_only_names_and_codes_must_be_said() -> None:
    # Word-by-word translations are too loose to refuse on; names are written the same.
    assert subject_groups("riwayat perjalanan saya", "id", "en") == []
    codes = subject_groups("data SIM dan SKCK mitra", "id", "en")
    assert names_subject("SIM and SKCK copies are kept for 5 years.", codes, "en")
    assert not names_subject("Trip logs are kept for 5 years.", codes, "en")


@pytest.mark.parametrize(
    ("question", "compared"),
    [
        ("Apa bedanya Signal dan Telegram soal kontak?", True),
        ("Compare WhatsApp and Telegram on retention.", True),
        ("What changed in WhatsApp's policy about sharing data with Facebook?", False),
        ("What changed in WhatsApp Ireland Limited's privacy policy in 2021?", False),
    ],
)
def test_two_companies_side_by_side_are_a_comparison(question: str, compared: bool) -> None:
    said = {"signal", "telegram", "whatsapp", "facebook", "whatsapp ireland limited"}
    named = {form for form in said if form in question.casefold()}
    assert _compares(question, named) is compared


def test_a_recipient_question_is_one_the_company_acts_in() -> None:
    assert not asks_recipient("Can I give my consent to personalised ads on Snapchat?")
    assert not asks_recipient("How do I send a request to delete my data?")
    assert asks_recipient("Are you sharing my location with advertisers?")
    assert asks_recipient("Does WhatsApp share my data with insurance companies?")


def test_quantity_marks_and_shapes() -> None:
    assert not states_quantity("Logs are kept for over 12 months.", "age")
    assert not states_quantity("We process data under Article 6.", "age")
    assert states_quantity("Users under 13 may not sign up.", "age")
    assert asked_quantity("How much storage do I get?") == "count"
    assert states_quantity("Each account gets 2 GB of storage.", "count")
    assert asked_subject("What is the cost of Tinder Gold?") == "Tinder Gold"
    # A figure after a colon is no list number; a currency code may touch its amount.
    assert states_quantity("Minimum age: 16. Parents must consent.", "age")
    assert states_quantity("Premium costs EUR10 a month.", "amount")


def test_what_says_a_thing_is_passed_on() -> None:
    assert states_passing("We share your ride history with your employer.")
    assert states_passing("Data lokasi Anda dibagikan kepada mitra pengemudi.")
    assert not states_passing("When you sign up we collect your date of birth.")
    # "bagi" alone is "for": "tersedia bagi pengguna" passes nothing on.
    assert not states_passing("Layanan ini tersedia bagi pengguna berusia 17 tahun.")


def test_an_amount_in_figures_is_money() -> None:
    assert states_quantity("Transfers cost Rp2.500 after the fifth.", "amount")
    assert states_quantity("The fine was 4% of its turnover.", "amount")
    assert not states_quantity("It cannot be cancelled in its first 12 months.", "amount")
    # Durations and counts keep any figure.
    assert states_quantity("It cannot be cancelled in its first 12 months.", "duration")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> AnswerChain:
    """A chain over the Wrenfield policy, indexed for real."""
    return chain_over(tmp_path_factory.mktemp("wrenfield"), {"privacy.md": POLICY})


@pytest.mark.parametrize(
    "question",
    [
        "How long do you keep my driving licence number?",  # a period, of ride history
        "Who receives my date of birth?",  # collected, and card details passed on
        "Do you share my email address with my employer?",  # ride history is shared
        "Do you share my ride history with advertisers?",  # with the employer only
        "Who receives my driving licence number?",  # collected; card details are passed on
    ],
)
def test_a_neighbouring_statement_about_something_else_is_no_answer(
    chain: AnswerChain, question: str
) -> None:
    result = chain.invoke(question)
    assert result.abstained, result.answer


@pytest.mark.parametrize(
    ("question", "quote"),
    [
        ("How long do you keep my payment records?", "Payment records are kept for 7 years"),
        ("How long is my ride history kept?", "Ride history is kept for 24 months"),
        ("Do you share my ride history with my employer?", "We share your ride history"),
        ("Who receives my card details?", "Our payment processor receives your card details"),
        # A list of receivers is named by any of them.
        ("Do you share my ride history with insurers or employers?", "We share your ride history"),
    ],
)
def test_the_statement_about_the_subject_answers(
    chain: AnswerChain, question: str, quote: str
) -> None:
    result = chain.invoke(question)
    assert not result.abstained, result.answer
    assert result.citations[0].quote.startswith(quote), result.answer


def test_whether_something_costs_is_answered_by_a_price_or_by_free(chain: AnswerChain) -> None:
    # The plans sentence has a figure and "price", but states no fee.
    refused = chain.invoke("Is there a joining fee for the Commuter plan?")
    assert refused.abstained, refused.answer
    answered = chain.invoke("Do you charge a fee for a copy of my data?")
    assert not answered.abstained, answered.answer
    assert answered.citations[0].quote.startswith("We do not charge for copies of your data")


def test_a_product_is_named_by_its_own_word_not_the_companys(chain: AnswerChain) -> None:
    # "Wrenfield" names the company, which every Wrenfield sentence is about.
    refused = chain.invoke("What does Wrenfield Rewards cost?")
    assert refused.abstained, refused.answer
    answered = chain.invoke("What does Wrenfield Plus cost?")
    assert not answered.abstained, answered.answer
    assert answered.citations[0].quote.startswith("Wrenfield Plus costs Rp 99.000")


@pytest.mark.parametrize(
    "question",
    [
        "Apa isi kebijakan privasi Wrenfield?",
        "Tentang apa kebijakan privasi Wrenfield?",
        "What does the Wrenfield privacy policy cover?",
    ],
)
def test_what_a_document_covers_is_answered_by_its_overview(
    chain: AnswerChain, question: str
) -> None:
    result = chain.invoke(question)
    assert not result.abstained, result.answer
    assert [c.quote[:20] for c in result.citations] == ["This policy explains"]


def test_a_sentence_about_the_document_is_quoted_only_when_asked_about_the_document(
    chain: AnswerChain,
) -> None:
    overview = "This policy explains how Wrenfield Ltd handles your personal data"
    result = chain.invoke("Does Wrenfield handle my personal data when I rent a bike?")
    assert all(not c.quote.startswith(overview) for c in result.citations), result.answer
    asked = chain.invoke("What does the Wrenfield privacy policy explain?")
    assert any(c.quote.startswith(overview) for c in asked.citations), asked.answer


OTHER = """---
title: Kitewing Privacy Policy
publisher: PT Kitewing Nusantara
kind: policy
language: en
document_date: 2025-01-10
---
# Kitewing Privacy Policy

## Who can use Kitewing

Kitewing is a messaging app. We collect your phone number and your contacts when you sign up.
Connection logs are stored for 12 months to fight spam.
"""


def test_a_company_named_in_the_question_is_the_one_asked_about(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    minimum_age = POLICY.replace(
        "## Who we share it with", "You must be at least 16 years old to rent a bike.\n\n## Who"
    )
    chain = chain_over(
        tmp_path_factory.mktemp("two-companies"),
        {"wrenfield.md": minimum_age, "kitewing.md": OTHER},
    )

    # Wrenfield's minimum age, though retrieved, is no answer about Kitewing, nor are
    # Kitewing's 12-month logs an age.
    refused = chain.invoke("How old must I be to rent a Kitewing bike?")
    assert refused.abstained, refused.answer
    assert any("at least 16 years old" in view.text for view in refused.passages)
    answered = chain.invoke("How old must I be to rent a Wrenfield bike?")
    assert not answered.abstained, answered.answer
    assert answered.citations[0].quote.startswith("You must be at least 16 years old")

    # A receiver that is another indexed company must be named too.
    other = chain.invoke("Does Wrenfield share my ride history with Kitewing?")
    assert other.abstained, other.answer

    # Two companies compared are not two versions of one document.
    compared = chain.invoke("What are the differences between Kitewing and Wrenfield on logs?")
    assert not compared.abstained, compared.answer
    assert compared.citations, compared.answer


def test_one_company_under_two_legal_names_is_not_a_comparison(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    older = POLICY.replace("2025-02-01", "2024-02-01").replace("24 months", "36 months")
    europe = POLICY.replace("publisher: Wrenfield Ltd", "publisher: Wrenfield Ireland Limited")
    europe = europe.replace("title: Wrenfield Privacy Policy", "title: Wrenfield EU Privacy Policy")
    chain = chain_over(
        tmp_path_factory.mktemp("one-company"),
        {"now.md": POLICY, "before.md": older, "eu.md": europe},
    )

    result = chain.invoke("What changed in Wrenfield's privacy policies between 2024 and 2025?")

    assert not result.abstained, result.answer
    assert result.answer.startswith("Between the version in force from 2024-02-01"), result.answer


def test_the_head_of_an_of_phrase_is_its_first_noun() -> None:
    # "date of birth" is a date: "the date of your order" shares its head, not what it is of.
    birth = subject_groups("my date of birth", "en", "en")
    assert not names_subject("We share the date of your order with couriers.", birth, "en")
    assert names_subject("Your date of birth is shared with insurers.", birth, "en")
    assert names_subject("We keep your birth date on file.", birth, "en")
    passport = subject_groups("a copy of my passport", "en", "en")
    assert not names_subject("Keep a copy of your receipt.", passport, "en")
    assert names_subject("We store a scanned copy of your passport.", passport, "en")


def test_whose_a_thing_is_does_not_narrow_it() -> None:
    # "Do you sell our family's personal information?" asks about personal data.
    assert subject_groups("our family's personal information", "en", "en") == []
    assert names_subject(
        "We never sell personal data.", subject_groups("my child's data", "en", "en"), "en"
    )
    videos = subject_groups("my child's lesson videos", "en", "en")
    assert names_subject("Lesson videos are kept for 90 days.", videos, "en")
    assert not names_subject("Your child's quiz scores are kept for 90 days.", videos, "en")
    photos = subject_groups("foto anak saya", "id", "id")
    assert names_subject("Foto profil disimpan selama akun aktif.", photos, "id")
    assert subject_groups("data keluarga kami", "id", "id") == []
    # The suffix "-nya" is no word of the subject.
    assert subject_groups("video les online-nya", "id", "id") == subject_groups(
        "video les online", "id", "id"
    )


def test_a_code_in_the_subject_must_be_said(tmp_path: Path) -> None:
    # On the ojekita fitting corpus, "selama pesanan berlangsung" (while the order lasts) about
    # driver partners was quoted for how long their SIM and SKCK data are kept: it shares
    # "mitra pengemudi" but says neither code.
    chain = chain_over_corpus(tmp_path, "ojekita")

    refused = chain.invoke("Berapa lama data SIM dan SKCK mitra pengemudi disimpan?")
    assert refused.abstained, refused.answer
    answered = chain.invoke("Berapa lama riwayat perjalanan saya disimpan?")
    assert not answered.abstained, answered.answer
    assert "5 tahun" in answered.citations[0].quote
    assert says_codes("SIM and SKCK copies are kept for 5 years.", "SKCK mitra", "en")
    assert not says_codes("Driver partners see your pickup point.", "SKCK mitra", "en")
    # Numbers and durations are no codes.
    assert says_codes("Invoices are kept for 10 years.", "my 2021 invoices", "en")
    assert says_codes("Logs are kept for a year.", "the 12-month logs", "en")
    assert not says_codes("Keep your receipts.", "Form W-9 copies", "en")
