"""What can be quoted (``qa.answer.statements``) and what says the same thing."""

from __future__ import annotations

import pytest

from qa.answer.statements import (
    asks_overview,
    balanced_span,
    is_date_line,
    quotes_balance,
    same_statement,
    statement_problem,
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("WhatsApp blog post, 15 January 2021:", "label"),
        ("The notice shown in the WhatsApp app in January 2021:", "label"),
        (
            "Learn more about end-to-end encryption and how businesses communicate with you.",
            "navigation",
        ),
        ("Please read our Terms of Service.", "navigation"),
        ("Please also read our Cookie Policy.", "navigation"),
        ("Click here to manage your settings.", "navigation"),
        ("Baca selengkapnya tentang kebijakan privasi kami.", "navigation"),
        ("Deleting Your WhatsApp Account.", "heading"),
        ("Other instances where Signal may need to share your data", "heading"),
        ("Contacts.", "fragment"),
        ("and then shared with partners.", "fragment"),
        (
            "impermissible or unauthorized manner; (g) sell, resell, rent or charge for our "
            "Services or data obtained from us in an unauthorized manner.",
            "fragment",
        ),
        ('Kami tidak membagikan daftar kontak Anda," kata WhatsApp.', "unbalanced quotes"),
        ("This notice explains how Ironpeak handles personal data when you join.", "overview"),
        ("It describes your rights under the CCPA, as amended by the CPRA.", "overview"),
        ("In this policy, we explain how we use the data we collect.", "overview"),
        ("Kebijakan Privasi ini menjelaskan cara Ojekita mengumpulkan data Anda.", "overview"),
        ("Rimbun Pay's Privacy Policy describes how we use your data.", "overview"),
        ("Dalam kebijakan ini, kami menjelaskan cara kami memakai data Anda.", "overview"),
        ("The purpose of this policy is to explain what we collect.", "overview"),
        ("This notice is designed to help you understand our practices.", "overview"),
        ("This Privacy Policy applies to every Wrenfield service.", None),
        ("This policy explains that we keep your data for 30 days.", None),
        ("The information we share explains how you use the app.", None),
        ("We never sell your personal data.", None),
        ("Sleep recordings — while open: 30 days; after you close your account: 90 days.", None),
        ("We disclose your booking data to:\n- travel insurers, to price your cover.", None),
        (
            "See the table below for how long we keep each kind of data, and why we keep it, "
            "which depends on the law of the country you live in and on your contract.",
            None,
        ),
    ],
)
def test_statement_problem(text: str, problem: str | None) -> None:
    assert statement_problem(text) == problem


def test_a_sentence_about_the_document_answers_what_the_document_covers() -> None:
    overview = "This notice explains how Ironpeak handles personal data when you join a club."
    assert statement_problem(overview, overview=True) is None
    assert asks_overview("What does the Ironpeak privacy notice cover?")
    assert asks_overview("Apa isi kebijakan privasi Ojekita?")
    assert asks_overview("Tentang apa ketentuan layanan Tembang?")
    assert not asks_overview("Does the notice explain how long you keep my data?")
    assert not asks_overview("What does the privacy policy explain about how long data is kept?")


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Which customers is the international shippers notice meant for?", True),
        ("Who does this policy apply to?", True),
        ("Pemberitahuan ini untuk siapa?", True),
        ("Kebijakan ini berlaku bagi siapa?", True),
        ("Who do you share my data with?", False),
        ("Which companies receive my data under this policy?", False),
        ("Untuk siapa data saya dibagikan?", False),
    ],
)
def test_whom_a_document_is_for_is_an_overview_question(question: str, asks: bool) -> None:
    assert asks_overview(question) is asks


def test_quotes_balance_counts_double_quotes_only() -> None:
    assert quotes_balance("“We never sell.” It’s true.")
    assert not quotes_balance("“We never sell. It’s true.")


def test_a_span_without_its_mark_is_not_widened() -> None:
    text = 'No opening mark here. We never sell," it said.'
    start = text.index("We never")
    assert balanced_span(text, start, len(text)) is None


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("We never sell your data.", "We never sell your data.", True),
        ("Maple Grocer never sells data.", "Birch Foods never sells data.", True),
        ("We keep logs for 30 days.", "We keep logs for 90 days.", False),
        ("We keep your logs for thirty days.", "We delete your logs after thirty days.", False),
        ("", "We never sell your data.", False),
    ],
)
def test_same_statement(first: str, second: str, same: bool) -> None:
    assert same_statement(first, second) is same


def test_a_line_giving_the_documents_date_is_a_statement() -> None:
    for line in [
        "Updated May 25, 2018",
        "Effective as of May 25, 2018",
        "Last modified: December 19, 2019 (archived versions)",
        "Terakhir diperbarui: 4 Januari 2021",
    ]:
        assert statement_problem(line) is None, line
        assert is_date_line(line), line
    # A heading that merely holds a year, or a dated label, is still not one.
    assert statement_problem("Updated Terms 2021") is not None
    assert statement_problem("WhatsApp blog post, 15 January 2021:") == "label"
    assert not is_date_line("We updated this policy on May 25, 2018 to explain our practices.")


def test_two_swapped_names_are_two_different_facts() -> None:
    uk = "If you live in the UK, WhatsApp LLC provides the Services to you."
    eu = (
        "If you live in the European Region, WhatsApp Ireland Limited provides the Services to you."
    )
    assert not same_statement(uk, eu)
    # One name swapped, however often: a template two companies share.
    assert same_statement(
        "Maple Grocer never sells data. Maple Grocer deletes it.",
        "Birch Foods never sells data. Birch Foods deletes it.",
    )
