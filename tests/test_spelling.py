"""Spelling correction of question words (``qa.retrieve.spelling``)."""

from __future__ import annotations

from qa.answer.chain import AnswerChain
from qa.retrieve.spelling import SpellingCorrector

CORPUS_WORDS = [
    ("share", 3),
    ("contacts", 4),
    ("facebook", 5),
    ("messages", 6),
    ("install", 3),
    ("information", 4),
    ("privacy", 9),
    ("policy", 9),
    ("market", 2),
    ("december", 2),
]
# Words of the documents' titles and publishers: what a capitalised word may become.
NAMES = ["acme", "facebook", "privacy", "policy"]


def _corrector() -> SpellingCorrector:
    return SpellingCorrector(CORPUS_WORDS, NAMES)


def test_misspelled_words_become_the_corpus_words_with_the_users_casing() -> None:
    corrected, fixes = _corrector().correct("Does Acme shrae my CONTCTS with Facebok?")
    assert corrected == "Does Acme share my CONTACTS with Facebook?"
    assert [(f.original, f.corrected) for f in fixes] == [
        ("shrae", "share"),
        ("CONTCTS", "CONTACTS"),
        ("Facebok", "Facebook"),
    ]
    # A misspelled month is its month, so the question keeps its date.
    assert _corrector().correct("As of Decmber 2020?")[0] == "As of December 2020?"
    # Long words may be two edits away.
    assert _corrector().correct("Is the privcy polcy clear?")[0] == "Is the privacy policy clear?"


def test_real_words_names_and_short_words_are_left_alone() -> None:
    corrector = _corrector()
    # English words the corpus does not use are not typos of words it does.
    assert corrector.correct("How do I uninstall it?") == ("How do I uninstall it?", [])
    # A capitalised name two edits from a corpus word is another name; one edit from a word
    # that names no document, it is a word of its own (a month, in Indonesian).
    assert corrector.correct("Did Informatika ask?") == ("Did Informatika ask?", [])
    assert corrector.correct("Is Markets open?")[1] == []
    assert corrector.correct("Per Maret 2021, apa isinya?", language="id")[1] == []
    # In Indonesian only names: a word the corpus lacks may be a word all the same.
    assert corrector.correct("Apakah Facebok membagikan kontcts?", language="id")[0] == (
        "Apakah Facebook membagikan kontcts?"
    )
    # Too short to tell from another word; a possessive is not part of the word.
    assert corrector.correct("Is it shre? What of Acme's plan?")[1] == []


def test_the_suggestion_index_is_built_only_for_a_word_that_needs_it() -> None:
    # Building it took about a second of a cold ``fineprint ask`` on a few hundred documents.
    corrector = _corrector()
    assert corrector.correct("Does Acme share my contacts or uninstall anything?")[1] == []
    assert not corrector.index_built
    assert corrector.correct("Does Acme shrae my contacts?")[0] == "Does Acme share my contacts?"
    assert corrector.index_built


def test_a_misspelled_question_is_answered_and_says_how_it_was_searched(
    answer_chain: AnswerChain,
) -> None:
    typo = answer_chain.invoke({"question": "Do you shrae my contcts list with Facebok?"})
    right = answer_chain.invoke({"question": "Do you share my contact list with Facebook?"})
    assert not typo.abstained, typo.answer
    assert right.citations[0].quote in [c.quote for c in typo.citations]
    assert any("shrae → share" in note for note in typo.notes)
    assert typo.question == "Do you shrae my contcts list with Facebok?"


def test_spelling_correction_can_be_turned_off(answer_chain: AnswerChain) -> None:
    chain = AnswerChain(
        answer_chain.settings.override(spelling_correction=False), answer_chain.store
    )
    result = chain.invoke({"question": "Do you shrae my contcts list with Facebok?"})
    assert not any("→" in note for note in result.notes)


def test_a_misspelling_is_one_edit_from_a_corpus_word_and_no_word_itself() -> None:
    corrector = SpellingCorrector([("facebook", 5), ("apply", 5), ("share", 5)])
    assert corrector.misspells_known("Facebok")
    assert not corrector.misspells_known("Apple")  # a word of its own, not "apply"
    assert not corrector.misspells_known("Snapchat")  # nothing near it
    assert not corrector.misspells_known("Facebook")  # spelled right
