"""Document series: effective dates, as-of selection, vector reuse, alignment, changes, CLI.

Small series are written in the Open Terms Archive layout under ``tmp_path``; ingest embeds with
the fake embedder (``FakeEmbeddings``), since these tests check bookkeeping and alignment logic,
not retrieval quality.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FakeEmbeddings
from langchain_core.documents import Document

from qa.answer.chain import AnswerChain
from qa.answer.changes import (
    answer_changes,
    answer_first_seen,
    asks_first_seen,
    asks_what_changed,
    compose_changes,
    pick_versions,
)
from qa.answer.result import AnswerResult, Source
from qa.cli import main
from qa.evaluate.harness import judge
from qa.evaluate.metrics import compute_metrics
from qa.evaluate.questions import parse_question
from qa.index.ingest import ingest
from qa.index.store import PassageStore
from qa.load.corpus import load_file
from qa.retrieve.catalog import catalog_of
from qa.retrieve.filters import SearchFilters
from qa.settings import Settings
from qa.versions.changes import (
    ADDED,
    MODIFIED,
    REMOVED,
    align,
    compare,
    first_appearance,
    named_scope,
    named_series,
)
from qa.versions.dates import question_dates
from qa.versions.series import build_timelines, stated_date

SERIES = "Acme/Privacy Policy"
PARAGRAPHS = [
    "## Retention\n\nWe keep undelivered messages for up to 30 days as we try to deliver them.",
    "## Sharing\n\nWe share your phone number with our payment partner to process refunds.",
    "## Contact\n\nWrite to our privacy team at privacy@acme.example with any question.",
]


def _version(stated: str, paragraphs: list[str]) -> str:
    return f"# Acme Privacy Policy\n\nLast modified: {stated}\n\n" + "\n\n".join(paragraphs) + "\n"


def _ingest_two_versions(
    series_corpus: Callable[[dict[str, str]], Settings],
    newer: list[str],
    older: list[str] = PARAGRAPHS,
    *,
    real_embeddings: bool = False,
) -> Settings:
    """Index ``SERIES`` as ``older`` (July 2020) then ``newer`` (January 2021); with the fake
    embedder unless ``real_embeddings`` (for tests of what an answer quotes)."""
    settings = series_corpus(
        {
            "2020-07-08T00-00-00Z": _version("July 1, 2020", older),
            "2021-02-01T00-00-00Z": _version("January 4, 2021", newer),
        }
    )
    if real_embeddings:
        settings = Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir).override(
            chunk_size=300
        )
    ingest(settings)
    return settings


@pytest.fixture
def series_corpus(tmp_path: Path) -> Callable[[dict[str, str]], Settings]:
    """Write versions ``{recorded stem: text}`` of ``SERIES``; settings for a fake-model index."""
    corpus = tmp_path / "ota"

    def write(versions: dict[str, str]) -> Settings:
        folder = corpus / SERIES
        folder.mkdir(parents=True, exist_ok=True)
        for stem, text in versions.items():
            (folder / f"{stem}.md").write_text(text, encoding="utf-8")
        return Settings(
            corpus_dir=corpus, index_dir=tmp_path / "index", embedding_model="fake-e5"
        ).override(chunk_size=300)

    return write


def test_stated_dates_are_read_in_english_and_indonesian() -> None:
    assert stated_date("Privacy\n\nLast modified: December 19, 2019 (archived)") == "2019-12-19"
    assert stated_date("Kebijakan\n\nTerakhir diperbarui: 4 Januari 2021") == "2021-01-04"
    assert stated_date("We were founded on 4 January 2009.") == ""


def test_a_version_starts_on_its_stated_date_only_when_that_follows_the_one_before() -> None:
    docs = {
        "a": {"series": "S", "recorded": "2020-07-08T10:00:00Z", "stated_date": "2018-04-24"},
        # States an older date than the version seen before it: it starts when recorded.
        "b": {"series": "S", "recorded": "2020-07-13T10:00:00Z", "stated_date": "2018-01-01"},
        # States a date between two recordings: it took effect then.
        "c": {"series": "S", "recorded": "2021-02-01T10:00:00Z", "stated_date": "2021-01-04"},
        "alone": {"document_date": "2020-01-01", "title": "Other"},
    }
    versions = build_timelines(docs)["S"]
    assert [(v.doc_id, v.valid_from, v.valid_to) for v in versions] == [
        ("a", "2018-04-24", "2020-07-13"),
        ("b", "2020-07-13", "2021-01-04"),
        ("c", "2021-01-04", ""),
    ]


def test_the_ota_layout_names_publisher_kind_title_and_series(tmp_path: Path) -> None:
    path = tmp_path / "Acme" / "Privacy Policy" / "2020-07-08T17-30-23Z.md"
    path.parent.mkdir(parents=True)
    path.write_text(_version("July 1, 2020", PARAGRAPHS), encoding="utf-8")
    meta = load_file(path, "Acme/Privacy Policy/2020-07-08T17-30-23Z.md").metadata
    assert (meta["publisher"], meta["kind"], meta["title"]) == (
        "Acme",
        "policy",
        "Acme Privacy Policy",
    )
    assert (meta["series"], meta["recorded"], meta["stated_date"]) == (
        SERIES,
        "2020-07-08T17:30:23Z",
        "2020-07-01",
    )


@pytest.mark.parametrize("sentence_vectors", ["indexed", "lazy"])
def test_a_second_version_with_one_changed_paragraph_embeds_that_paragraph(
    fake_models: None,
    series_corpus: Callable[[dict[str, str]], Settings],
    sentence_vectors: str,
) -> None:
    written = series_corpus({"2020-07-08T00-00-00Z": _version("July 1, 2020", PARAGRAPHS)})
    settings = written.override(sentence_vectors=sentence_vectors)
    first = ingest(settings)
    assert first.passages_embedded == 4  # the "Last modified" line and three sections

    changed = [*PARAGRAPHS[:2], PARAGRAPHS[2].replace("any question", "any complaint")]
    series_corpus({"2020-09-01T00-00-00Z": _version("July 1, 2020", changed)})
    second = ingest(settings)
    assert second.added == [f"{SERIES}/2020-09-01T00-00-00Z.md"]
    assert (second.passages_embedded, second.passages_reused) == (1, 3)
    # Lazy sentence vectors are embedded at question time, never at ingest.
    assert second.sentences_embedded == (1 if sentence_vectors == "indexed" else 0)

    again = ingest(settings)
    assert (again.passages_embedded, again.sentences_embedded) == (0, 0)


def test_a_repeated_version_continues_and_a_broken_capture_is_skipped(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    text = _version("July 1, 2020", PARAGRAPHS)
    settings = series_corpus(
        {
            "2020-07-08T00-00-00Z": text,
            "2020-07-09T00-00-00Z": "# Legal\n\n- [Terms](https://acme.example/terms)\n",
            "2020-07-10T00-00-00Z": text,
            "2020-07-11T00-00-00Z": text.replace("30 days", "60 days"),
        }
    )
    report = ingest(settings)
    skipped = {s.doc_id: s.reason for s in report.skipped}
    assert skipped[f"{SERIES}/2020-07-09T00-00-00Z.md"].startswith("broken capture")
    # The capture after the broken one repeats the version before it: the same version.
    assert [c.doc_id for c in report.copies] == [f"{SERIES}/2020-07-10T00-00-00Z.md"]
    with PassageStore.open(settings.index_dir) as store:
        versions = catalog_of(store).timelines[SERIES]
    assert [(v.valid_from, v.valid_to) for v in versions] == [
        ("2020-07-01", "2020-07-11"),
        ("2020-07-11", ""),
    ]


def test_questions_are_answered_from_the_version_in_force(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    settings = _ingest_two_versions(series_corpus, PARAGRAPHS[:2])
    old, new = f"{SERIES}/2020-07-08T00-00-00Z.md", f"{SERIES}/2021-02-01T00-00-00Z.md"
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        assert catalog.allowed(SearchFilters()) == {new}
        assert catalog.allowed(SearchFilters(as_of="2020-12")) == {old}
        assert catalog.allowed(SearchFilters(as_of="<2021-01")) == {old}
        assert catalog.allowed(SearchFilters(as_of="2019")) == set()
        assert catalog.allowed(SearchFilters(versions="all")) is None
        labels = catalog.passages_of[old][0].metadata
    assert (labels["valid_from"], labels["valid_to"], labels["superseded"]) == (
        "2020-07-01",
        "2021-01-04",
        True,
    )
    assert question_dates("What did it say before the January 2021 update?").as_of == "<2021-01"


def _sentences(doc_id: str, texts: list[str]) -> list[Document]:
    out, start = [], 0
    for text in texts:
        out.append(Document(text, metadata={"doc_id": doc_id, "start": start}))
        start += len(text) + 1
    return out


def test_formatting_only_changes_are_no_change() -> None:
    old = _sentences(
        "v1", ["- See our [Terms](https://a.example/t) for “details”.", "We sell nothing."]
    )
    new = _sentences("v2", ["See our Terms for 'details'", "*   We  sell **nothing**."])
    changes, unchanged = align(old, new)
    assert changes == []
    assert unchanged == 2


def test_an_edited_sentence_is_paired_and_a_moved_one_is_no_change() -> None:
    old = _sentences("v1", ["We keep messages for 30 days.", "Contact us.", "We log IPs."])
    new = _sentences(
        "v2", ["We log IPs.", "We keep messages for 60 days.", "Contact us.", "We sell ads."]
    )
    changes, _ = align(old, new)
    kinds = {(c.kind, c.old and c.old.page_content, c.new and c.new.page_content) for c in changes}
    assert kinds == {
        (MODIFIED, "We keep messages for 30 days.", "We keep messages for 60 days."),
        (ADDED, None, "We sell ads."),
    }
    assert REMOVED not in {c.kind for c in changes}


def test_what_changed_quotes_and_cites_both_sides(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    changed = [PARAGRAPHS[0].replace("30 days", "60 days"), *PARAGRAPHS[1:]]
    settings = _ingest_two_versions(series_corpus, changed)
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        old, new = pick_versions(catalog.timelines[SERIES], SearchFilters(as_of="2021-01"))
        comparison = compare(catalog, store, SERIES, old, new)
        text, citations = compose_changes(catalog, comparison, "en")
        found = first_appearance(
            catalog,
            store,
            SERIES,
            "We keep undelivered messages for up to 60 days as we try to deliver them.",
        )
    # The retention sentence and the "Last modified" line were edited; nothing else.
    assert [c.kind for c in comparison.changes] == [MODIFIED, MODIFIED]
    assert {c.source.doc_id for c in citations} == {old.doc_id, new.doc_id}
    assert "up to 30 days" in text and "up to 60 days" in text
    assert "in force 2020-07-01 to 2021-01-04 (superseded)" in text
    assert found is not None and found[0] == new


def test_history_and_changes_commands(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    changed = [*PARAGRAPHS, "## Ads\n\nWe show no ads in chats."]
    settings = _ingest_two_versions(series_corpus, changed)
    runner = CliRunner()
    index = str(settings.index_dir)
    shown = runner.invoke(main, ["history", "acme/privacy", "--index", index])
    assert shown.exit_code == 0, shown.output
    # Separators and case do not matter in a series name.
    spaced = runner.invoke(main, ["history", "ACME privacy-policy", "--index", index])
    assert spaced.exit_code == 0 and spaced.output == shown.output, spaced.output
    assert "2021-01-04 to now" in shown.output and "+1 added" in shown.output
    diff = runner.invoke(
        main, ["changes", SERIES, "--from", "2020-08-01", "--to", "2021-03", "--index", index]
    )
    assert diff.exit_code == 0, diff.output
    assert re.search(r"Added: “We show no ads in chats.” \[\d\]", diff.output)
    missing = runner.invoke(
        main, ["changes", "Nobody", "--from", "2020", "--to", "2021", "--index", index]
    )
    assert missing.exit_code == 1
    assert (
        missing.output.startswith("Error: no series 'Nobody'") and "Traceback" not in missing.output
    )
    backwards = runner.invoke(
        main,
        ["changes", "acme/privacy", "--from", "2021-02", "--to", "2020-08", "--index", index],
    )
    assert backwards.exit_code == 1
    assert "--from (2021-02) is later than --to (2020-08)" in backwards.output


def test_requires_all_counts_a_question_cited_only_when_every_quote_is() -> None:
    record = {
        "id": "q",
        "question": "What changed?",
        "language": "en",
        "answerable": True,
        "evidence": [
            {"doc": "v1.md", "quote": "We keep logs."},
            {"doc": "v2.md", "quote": "We keep nothing."},
        ],
        "match": "document",
        "requires": "all",
        "kind": "what-changed",
    }
    question = parse_question(record, "t:1")
    from qa.answer.result import Citation, PassageView, Source

    def view(pid: str, doc: str, text: str, rank: int) -> PassageView:
        return PassageView(
            passage_id=pid,
            text=text,
            start=0,
            end=len(text),
            rank=rank,
            score=1.0,
            source=Source(doc_id=doc),
        )

    def cited(pid: str, doc: str, text: str, marker: int) -> Citation:
        return Citation(
            marker=marker,
            passage_id=pid,
            quote=text,
            quote_start=0,
            quote_end=len(text),
            passage_quote_start=0,
            passage_quote_end=len(text),
            score=1.0,
            source=Source(doc_id=doc),
        )

    # The old quote from the wrong version does not count under "match": "document".
    one = AnswerResult(
        question="q",
        passages=[
            view("a", "v3.md", "We keep logs.", 1),
            view("b", "v2.md", "We keep nothing.", 2),
        ],
        citations=[
            cited("a", "v3.md", "We keep logs.", 1),
            cited("b", "v2.md", "We keep nothing.", 2),
        ],
    )
    both = AnswerResult(
        question="q",
        passages=[
            view("a", "v1.md", "We keep logs.", 1),
            view("b", "v2.md", "We keep nothing.", 2),
        ],
        citations=[
            cited("a", "v1.md", "We keep logs.", 1),
            cited("b", "v2.md", "We keep nothing.", 2),
        ],
    )
    assert not judge(question, one).cites_support
    assert judge(question, both).cites_support
    metrics = compute_metrics([judge(question, both)])
    assert metrics["by_kind"]["what-changed"]["citation_recall"] == 1.0
    assert metrics["by_kind"]["what-changed"]["hit@1"] == 0.0  # both quotes need rank 2
    assert metrics["by_kind"]["what-changed"]["hit@5"] == 1.0


def test_a_reworded_sentence_in_another_block_is_one_modification() -> None:
    def sentences(*texts: str) -> list[Document]:
        return [Document(page_content=t, metadata={"start": i}) for i, t in enumerate(texts)]

    old = sentences(
        "We also explain the steps we take to protect your privacy, like building WhatsApp so "
        "delivered messages are not stored.",
        "We keep logs for thirty days.",
        "Contact us by post.",
    )
    new = sentences(
        "We keep logs for thirty days.",
        "Contact us by post.",
        "It also explains the steps we take to protect your privacy, like building our Services "
        "so delivered messages are not stored by us.",
    )
    changes, unchanged = align(old, new)
    assert unchanged == 2
    assert [c.kind for c in changes] == [MODIFIED]


def _january_changes(settings: Settings) -> AnswerResult:
    # "What changed?" in January 2021, asked with a question vector close to nothing.
    with PassageStore.open(settings.index_dir) as store:
        return answer_changes(
            AnswerResult(question="What changed?"),
            catalog_of(store),
            store,
            SERIES,
            SearchFilters(as_of="2021-01"),
            np.zeros(len(FakeEmbeddings().embed_query("x")), dtype=np.float32),
        )


def test_a_what_changed_answer_quotes_statements_not_headings_or_links(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    added = [
        *PARAGRAPHS,
        "## Key Updates\n\nPlease also read our Terms of Service.\n\n"
        "We now share your city with delivery partners to plan routes.",
    ]
    settings = _ingest_two_versions(series_corpus, added)
    result = _january_changes(settings)
    quotes = [c.quote for c in result.citations]
    assert quotes == ["We now share your city with delivery partners to plan routes."]
    assert "Please also read" not in result.answer
    # A question vector close to nothing: the answer says no change is clearly about it.
    assert "No change is clearly about the question" in result.answer


def test_when_only_the_date_line_changed_the_answer_quotes_it(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    settings = _ingest_two_versions(series_corpus, PARAGRAPHS)
    result = _january_changes(settings)
    # Saying "nothing changed" would be false: the stated date did.
    assert [c.quote for c in result.citations] == [
        "Last modified: July 1, 2020",
        "Last modified: January 4, 2021",
    ]
    assert "No sentence changed" not in result.answer


def _two_publishers(
    series_corpus: Callable[[dict[str, str]], Settings], *, real_embeddings: bool = False
) -> Settings:
    """Acme's policy (two versions) and terms, and Zenith's policy from the same template;
    with the fake embedder unless ``real_embeddings``."""
    settings = series_corpus(
        {
            "2020-07-08T00-00-00Z": _version("July 1, 2020", PARAGRAPHS),
            "2021-02-01T00-00-00Z": _version("January 4, 2021", PARAGRAPHS[:2]),
        }
    )
    # The same template under another publisher, recorded twice too.
    other = settings.corpus_dir / "Zenith/Privacy Policy"
    other.mkdir(parents=True)
    for stem in ("2020-07-08T00-00-00Z", "2021-02-01T00-00-00Z"):
        text = (settings.corpus_dir / SERIES / f"{stem}.md").read_text(encoding="utf-8")
        (other / f"{stem}.md").write_text(text.replace("Acme", "Zenith"), encoding="utf-8")
    terms = settings.corpus_dir / "Acme/Terms of Service"
    terms.mkdir(parents=True)
    for stem, age in (("2020-07-08T00-00-00Z", 13), ("2021-02-01T00-00-00Z", 16)):
        (terms / f"{stem}.md").write_text(
            f"# Acme Terms\n\nYou must be {age} or older to use Acme.\n", encoding="utf-8"
        )
    if real_embeddings:
        settings = Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir).override(
            chunk_size=300
        )
    ingest(settings)
    return settings


def test_a_question_about_what_a_named_document_says_is_answered_from_it_alone(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    chain = AnswerChain.from_settings(_two_publishers(series_corpus, real_embeddings=True))
    for question, publisher, said in [
        (
            "What does Zenith's privacy policy say about undelivered messages?",
            "Zenith/",
            "Searched only Zenith's privacy policy",
        ),
        (
            "Apa kata kebijakan privasi Acme tentang pesan yang tidak terkirim?",
            "Acme/",
            "Hanya kebijakan privasi Acme yang dicari",
        ),
    ]:
        result = chain.invoke({"question": question, "k": 4})
        assert result.passages
        assert all(p.passage_id.startswith(publisher) for p in result.passages)
        assert any(note.startswith(said) for note in result.notes)
    # Naming the publisher alone, or a document without asking what it says, keeps every
    # document in reach: "Zenith" may be who receives the data, the news may answer.
    for question in (
        "Does Acme share my phone number with Zenith?",
        "Which apps did people move to after Zenith's privacy policy changed?",
    ):
        result = chain.invoke({"question": question, "k": 4})
        assert not any("Searched only" in note for note in result.notes)


def test_a_question_naming_a_publisher_and_kind_names_that_series(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings], tmp_path: Path
) -> None:
    settings = _two_publishers(series_corpus)
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        assert named_series(catalog, "What changed in Zenith's privacy policy in 2021?") == [
            "Zenith/Privacy Policy"
        ]
        # The first kind named wins; Indonesian names kinds too.
        assert named_series(catalog, "When did Acme's privacy policy first mention its terms?") == [
            SERIES
        ]
        assert named_series(catalog, "Apa yang berubah dalam ketentuan layanan Acme?") == [
            "Acme/Terms of Service"
        ]
        # A kind named in the plural is still that kind, not every series of the publisher.
        question = "How did the wording change between Acme's 2020 and 2021 privacy policies?"
        assert named_series(catalog, question) == [SERIES]
        assert sorted(named_series(catalog, "What changed at Acme?")) == [
            "Acme/Privacy Policy",
            "Acme/Terms of Service",
        ]
        assert named_series(catalog, "What changed in the privacy policy?") == []


def test_first_seen_questions_are_told_from_first_as_an_adjective() -> None:
    for question in [
        "When did WhatsApp's terms first say that WhatsApp LLC provides the service?",
        "When was the age limit first raised?",
        "Kapan pertama kali kebijakan privasi menyebut iklan?",
        "Sejak kapan alamat itu muncul?",
    ]:
        assert asks_first_seen(question), question
    for question in [
        "When was the first payment made?",
        "Is my first name shared?",
        "When does the first payment happen?",
    ]:
        assert not asks_first_seen(question), question


def test_a_one_version_document_is_not_in_force_before_it_took_effect(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    settings = series_corpus({"2020-07-08T00-00-00Z": _version("July 1, 2020", PARAGRAPHS)})
    ingest(settings)
    only = f"{SERIES}/2020-07-08T00-00-00Z.md"
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        assert catalog.allowed(SearchFilters(as_of="2019")) == set()
        assert catalog.allowed(SearchFilters(as_of="<2020-07")) == set()
        assert catalog.allowed(SearchFilters(as_of="2020-07")) is None
        assert catalog.allowed(SearchFilters(as_of="2021")) is None
    assert only in catalog.documents


def test_a_question_quoting_a_date_line_is_answered_with_that_line(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    # Real embeddings: this is a test of what the answer quotes.
    settings = _ingest_two_versions(series_corpus, PARAGRAPHS[:2], real_embeddings=True)
    question = (
        "Acme shares phone numbers with its payment partner for refunds: does the policy still "
        "carry the line Last modified: January 4, 2021?"
    )
    # The date belongs to the quoted line; it does not ask for the versions of that day.
    assert not question_dates(question).found
    # One passage only, and the question's other words point at the sharing passage.
    result = AnswerChain.from_settings(settings).invoke({"question": question, "k": 1})
    assert not result.abstained
    first = result.citations[0]
    assert first.quote == "Last modified: January 4, 2021"
    assert first.source.doc_id == f"{SERIES}/2021-02-01T00-00-00Z.md"
    assert first.source.doc_id in {p.source.doc_id for p in result.passages}


def test_each_side_of_a_change_is_cited_from_its_own_version(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    # Removals, additions and an edit interleave, so the old and new versions alternate in the
    # answer's lines while citations are numbered document by document.
    newer = [
        "## Retention\n\nWe keep undelivered messages for up to 60 days as we try to deliver them.",
        "## Ads\n\nWe show ads based on the groups you join.",
        "## Contact\n\nWrite to our privacy team at privacy@acme.example with any question.",
    ]
    settings = _ingest_two_versions(series_corpus, newer)
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        old, new = pick_versions(catalog.timelines[SERIES], SearchFilters(as_of="2021-01"))
        comparison = compare(catalog, store, SERIES, old, new)
        text, citations = compose_changes(catalog, comparison, "en")
    doc_of = {c.marker: c.source.doc_id for c in citations}
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert {line.split(":")[0] for line in lines} >= {"- Added", "- Removed", "- Changed"}
    for line in lines:
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
        sides = [doc_of[m] for m in markers]
        if line.startswith("- Added"):
            assert sides == [new.doc_id], line
        elif line.startswith("- Removed"):
            assert sides == [old.doc_id], line
        else:
            assert sides == [old.doc_id, new.doc_id], line


def test_a_list_with_one_edited_item_changes_only_that_item(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    listing = (
        "## Storage\n\nWe store messages on our servers in these cases:\n\n"
        "- If a message is still undelivered after 30 days, we delete it.\n"
        "- Media forwarded many times is kept for {days} days to speed up delivery.\n"
        "- Reported messages are kept until the report is reviewed."
    )
    settings = _ingest_two_versions(
        series_corpus, [listing.format(days=20)], [listing.format(days=10)]
    )
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        old, new = pick_versions(catalog.timelines[SERIES], SearchFilters(as_of="2021-01"))
        comparison = compare(catalog, store, SERIES, old, new)
    items = [c for c in comparison.changes if "Last modified" not in (c.new or c.old).page_content]
    assert [(c.kind, c.new and c.new.page_content) for c in items] == [
        (MODIFIED, "Media forwarded many times is kept for 20 days to speed up delivery.")
    ]


def test_first_seen_traces_the_asked_item_of_a_list(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    listing = (
        "## Storage\n\nWe store messages on our servers in these cases:\n\n"
        "- Undelivered messages. We keep them for up to {days} days as we try to deliver them.\n"
        "- Reported messages are kept until the report is reviewed."
    )
    settings = _ingest_two_versions(
        series_corpus, [listing.format(days=60)], [listing.format(days=30)]
    )
    new = f"{SERIES}/2021-02-01T00-00-00Z.md"
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        lead_in = next(
            s.page_content for s in catalog.sentences(store, [new])[0][0] if "\n" in s.page_content
        )
        result = answer_first_seen(
            AnswerResult(question="When did Acme first keep undelivered messages for 60 days?"),
            catalog,
            store,
            SERIES,
            lead_in,
        )
    assert not result.abstained, result.answer
    assert [c.quote for c in result.citations] == [
        "We keep them for up to 60 days as we try to deliver them."
    ]
    assert result.citations[0].source.doc_id == new


def test_a_versions_dates_are_said_in_the_answers_language() -> None:
    old = Source(doc_id="a.md", valid_from="2019-12-19", valid_to="2021-01-04")
    assert old.in_force() == "in force 2019-12-19 to 2021-01-04 (superseded)"
    assert old.in_force("id") == "berlaku 2019-12-19 s.d. 2021-01-04 (sudah diganti)"
    assert Source(doc_id="b.md", valid_from="2021-01-04").in_force("id") == (
        "berlaku sejak 2021-01-04 (versi kini)"
    )
    assert Source(doc_id="c.md").in_force("id") == ""


def test_every_citation_of_a_what_changed_answer_has_its_passage_in_the_result(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    changed = [PARAGRAPHS[0].replace("30 days", "60 days"), *PARAGRAPHS[1:]]
    settings = _ingest_two_versions(series_corpus, changed, real_embeddings=True)
    # One passage only: the comparison quotes passages retrieval did not rank.
    result = AnswerChain.from_settings(settings).invoke(
        {"question": "What changed in Acme's privacy policy in January 2021?", "k": 1}
    )
    assert result.citations and not result.abstained
    passages = {p.passage_id: p for p in result.passages}
    for citation in result.citations:
        shown = passages[citation.passage_id]
        span = shown.text[citation.passage_quote_start : citation.passage_quote_end]
        assert span == citation.quote


def _first_seen(settings: Settings, question: str, statement: str, *others: str) -> AnswerResult:
    with PassageStore.open(settings.index_dir) as store:
        return answer_first_seen(
            AnswerResult(question=question),
            catalog_of(store),
            store,
            SERIES,
            statement,
            list(others),
        )


REWORDED = (
    "## Retention\n\nIf a message cannot be delivered right away, we keep it in encrypted form "
    "for up to 30 days as we try to deliver it."
)


def test_first_seen_traces_a_reworded_statement_to_its_first_wording(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    older = "## Retention\n\nIf a message is not delivered, we keep it encrypted for up to 30 days."
    settings = _ingest_two_versions(
        series_corpus, [REWORDED, *PARAGRAPHS[1:]], [older, *PARAGRAPHS[1:]]
    )
    result = _first_seen(
        settings,
        "When did Acme first say it keeps messages encrypted for 30 days?",
        REWORDED.split("\n\n")[1],
    )
    assert [(c.quote, c.source.doc_id.rsplit("/", 1)[1]) for c in result.citations] == [
        (older.split("\n\n")[1], "2020-07-08T00-00-00Z.md"),
        (REWORDED.split("\n\n")[1], "2021-02-01T00-00-00Z.md"),
    ]
    assert result.lead.startswith("This first appears in the version in force from 2020-07-01")


def test_first_seen_stops_at_a_wording_that_lacks_what_the_question_names(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    # The older sentence is the newer one's earlier wording, but with another address: the
    # address the question asks about first appears in the newer version.
    newer = (
        "## Contact\n\nWrite to our privacy team at help@support.acme.example with any question."
    )
    settings = _ingest_two_versions(series_corpus, [*PARAGRAPHS[:2], newer])
    result = _first_seen(
        settings,
        "When did the address help@support.acme.example first appear?",
        newer.split("\n\n")[1],
    )
    assert [c.source.doc_id.rsplit("/", 1)[1] for c in result.citations] == [
        "2021-02-01T00-00-00Z.md"
    ]


def test_first_seen_takes_the_earliest_sentence_that_says_the_same_in_other_words(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    # The newer version keeps the old sentence and adds a longer one beside it: the fact was
    # first said by the old sentence, which retrieval found second.
    older = "## Retention\n\nUndelivered messages are kept in encrypted form for 30 days."
    settings = _ingest_two_versions(series_corpus, [older, REWORDED], [older])
    found = _first_seen(
        settings,
        "When did Acme first say it keeps messages in encrypted form for 30 days?",
        REWORDED.split("\n\n")[1],
        older.split("\n\n")[1],
    )
    assert found.citations[0].quote == older.split("\n\n")[1]
    assert found.citations[0].source.doc_id.endswith("2020-07-08T00-00-00Z.md")
    # A sentence that leaves out what the question and the statement share is no alternative.
    unrelated = _first_seen(
        settings,
        "When did Acme first say it keeps messages in encrypted form for 30 days?",
        REWORDED.split("\n\n")[1],
        PARAGRAPHS[1].split("\n\n")[1],
    )
    assert [c.source.doc_id.rsplit("/", 1)[1] for c in unrelated.citations] == [
        "2021-02-01T00-00-00Z.md"
    ]


def test_a_question_can_name_a_document_recorded_once(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    settings = series_corpus({"2020-07-08T00-00-00Z": _version("July 1, 2020", PARAGRAPHS)})
    other = settings.corpus_dir / "Acme" / "Terms of Service"
    other.mkdir(parents=True)
    for stem, stated in (
        ("2020-07-08T00-00-00Z", "July 1, 2020"),
        ("2021-02-01T00-00-00Z", "January 4, 2021"),
    ):
        (other / f"{stem}.md").write_text(_version(stated, PARAGRAPHS[:2]))
    ingest(settings)
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        assert SERIES not in catalog.timelines
        assert named_series(catalog, "When did Acme's privacy policy first say this?") == [SERIES]
        result = answer_first_seen(
            AnswerResult(question="When did Acme first keep undelivered messages for 30 days?"),
            catalog,
            store,
            SERIES,
            "We keep undelivered messages for up to 30 days as we try to deliver them.",
        )
    assert result.citations[0].source.doc_id == f"{SERIES}/2020-07-08T00-00-00Z.md"
    assert "It is already in the earliest recorded version." in result.answer


def test_a_named_document_with_no_version_in_force_then_is_refused_with_its_first_date(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    settings = _ingest_two_versions(series_corpus, PARAGRAPHS, real_embeddings=True)
    other = settings.corpus_dir / "Globex" / "Privacy Policy" / "2018-01-01T00-00-00Z.md"
    other.parent.mkdir(parents=True)
    other.write_text("# Globex Privacy Policy\n\n" + PARAGRAPHS[0] + "\n", encoding="utf-8")
    ingest(settings)
    chain = AnswerChain.from_settings(settings)

    named = chain.invoke({"question": "As of 2019, how long did Acme keep undelivered messages?"})
    assert named.abstained and not named.citations
    assert named.answer == (
        "Fineprint has no version of Acme Privacy Policy in force on 2019: the earliest "
        "recorded version took effect on 2020-07-01."
    )
    # Named in Indonesian, the refusal is in Indonesian.
    ditanya = chain.invoke({"question": "Per 2019, berapa lama Acme menyimpan pesan?"})
    assert ditanya.answer.startswith("Fineprint tidak memiliki versi Acme Privacy Policy")
    # Unnamed, and before every document: the date, not a filter, kept them out.
    unnamed = chain.invoke({"question": "As of 2010, how long are undelivered messages kept?"})
    assert unnamed.abstained
    assert "No indexed document was in force on 2010: the earliest took effect on" in (
        unnamed.answer
    )
    assert "filters" not in unnamed.answer
    # In force then: answered.
    answered = chain.invoke({"question": "As of 2020-08, how long did Acme keep messages?"})
    assert not answered.abstained
    # What changed then is refused the same way; a first-seen question reads its own dates:
    # "since 2015" is what it asks about.
    changed = chain.invoke({"question": "What changed in Acme's privacy policy in 2019?"})
    assert changed.answer.startswith("Fineprint has no version of Acme Privacy Policy")
    first = chain.invoke(
        {"question": "When did Acme first say it keeps undelivered messages since 2015?"}
    )
    assert first.answer.startswith("This first appears"), first.answer


def test_changes_says_what_it_leaves_out_and_which_captures_it_skipped(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    extra = [f"## Part {n}\n\nWe added rule number {n} for every member." for n in range(4)]
    settings = series_corpus(
        {
            "2020-07-08T00-00-00Z": _version("July 1, 2020", PARAGRAPHS),
            # Recorded between the two versions: a page of links only, not a version.
            "2020-09-01T00-00-00Z": "# Acme Privacy Policy\n\n[Home](https://acme.example)\n",
            "2021-02-01T00-00-00Z": _version("January 4, 2021", [*PARAGRAPHS, *extra]),
        }
    )
    ingest(settings)
    runner = CliRunner()
    index = str(settings.index_dir)
    dates = ["--from", "2020-08", "--to", "2021-03", "--index", index]
    shown = runner.invoke(main, ["changes", SERIES, *dates, "--limit", "2"])
    assert shown.exit_code == 0, shown.output
    assert "… and 2 more changed sentences, not shown." in shown.output
    assert re.search(r"skipped: the capture of 2020-09-01 \(.*\) is broken", shown.output)
    bad = runner.invoke(main, ["changes", SERIES, *dates, "--limit", "0"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    both = runner.invoke(main, ["ask", "What?", "--as-of", "2020", "--versions", "all"])
    assert both.exit_code == 2 and "leave out --versions" in both.output
    with PassageStore.open(settings.index_dir) as store:
        catalog = catalog_of(store)
        versions = catalog.timelines[SERIES]
        comparison = compare(catalog, store, SERIES, versions[0], versions[1])
    assert comparison.summary("id").startswith("+4 ditambahkan, -0 dihapus, ~1 diubah")


def test_a_capture_in_another_language_is_a_series_of_its_own() -> None:
    def doc(recorded: str, language: str) -> dict[str, str]:
        return {"series": "S", "recorded": recorded, "language": language}

    docs = {
        "a": doc("2020-07-08T10:00:00Z", "en"),
        # Recorded from abroad, most pages came in French: English is still the series'.
        "b": doc("2020-08-01T10:00:00Z", "fr"),
        "c": doc("2020-09-01T10:00:00Z", "fr"),
        "d": doc("2020-10-01T10:00:00Z", "en"),
    }
    timelines = build_timelines(docs)
    assert [v.doc_id for v in timelines["S"]] == ["a", "d"]
    assert [v.doc_id for v in timelines["S (fr)"]] == ["b", "c"]
    # One language only: no suffix, whichever it is.
    only = build_timelines({"x": doc("2020-07-08T10:00:00Z", "id")})
    assert list(only) == ["S"]


def test_a_what_changed_question_with_nothing_to_compare_says_so(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    changed = [PARAGRAPHS[0].replace("30 days", "60 days"), *PARAGRAPHS[1:]]
    settings = _ingest_two_versions(series_corpus, changed, real_embeddings=True)
    chain = AnswerChain.from_settings(settings)
    # Both dates fall in the newer version: nothing changed then, and no other text answers.
    result = chain.invoke({"question": "What changed in Acme's privacy policy in 2022?"})
    assert result.abstained and not result.citations
    assert result.answer.startswith(
        "Nothing changed in Acme Privacy Policy then: one version, in force since 2021-01-04"
    )


def test_the_page_lists_a_versioned_document_once_as_its_latest_version(
    fake_models: None, series_corpus: Callable[[dict[str, str]], Settings]
) -> None:
    from qa.ui.app import index_summary, indexed_documents

    settings = _ingest_two_versions(series_corpus, PARAGRAPHS[:2])
    with PassageStore.open(settings.index_dir) as store:
        # The page reads only the chain's store.
        documents = indexed_documents(SimpleNamespace(store=store))  # type: ignore[arg-type]
    assert [(d.doc_id, d.versions, d.since) for d in documents] == [
        (f"{SERIES}/2021-02-01T00-00-00Z.md", 2, "2020-07-01")
    ]
    assert index_summary(1, 2) == "1 document is indexed, 2 versions in all."
    assert index_summary(2, 2) == "2 documents are indexed."


def test_changes_closest_to_the_topic_asked_come_first(
    series_corpus: Callable[[dict[str, str]], Settings],
) -> None:
    newer = [
        PARAGRAPHS[0].replace("30 days", "60 days"),
        PARAGRAPHS[1].replace("payment partner to process refunds", "advertising partners"),
        PARAGRAPHS[2],
        "## About\n\nAcme updated this privacy policy in 2021 to explain its privacy practices.",
    ]
    settings = _ingest_two_versions(series_corpus, newer, real_embeddings=True)
    result = AnswerChain.from_settings(settings).invoke(
        "How did the wording about sharing my phone number change between Acme's 2020 and "
        "2021 privacy policies?"
    )
    first = next(line for line in result.answer.splitlines() if line.startswith("- "))
    # Not the line that only repeats the question's "Acme", "privacy policy" and "2021".
    assert "phone number" in first


def test_a_publisher_is_named_by_the_first_word_of_its_name_when_written_as_a_name() -> None:
    catalog = SimpleNamespace(
        documents={
            "t.md": {"publisher": "Telegram Messenger Inc.", "kind": "policy"},
            "n.md": {"publisher": "Kabar Tegal", "kind": "policy"},
        }
    )
    scope = named_scope(catalog, "What does Telegram's privacy policy say about contacts?")  # type: ignore[arg-type]
    assert scope is not None and (scope.publisher, scope.label) == ("telegram", "Telegram")
    assert scope.topic == "What does say about contacts?"
    # "kabar" (news) is a common word: only the whole name names that publisher.
    assert named_scope(catalog, "Apa kata kebijakan privasi kabar terbaru?") is None  # type: ignore[arg-type]


def test_indonesian_how_did_it_change_questions_ask_what_changed() -> None:
    assert asks_what_changed(
        "Bagaimana perubahan kata-kata tentang buku alamat saya antara versi 2019 dan 2021?"
    )
    assert asks_what_changed("Bagaimana ketentuan layanan itu berubah pada 2021?")
    assert not asks_what_changed("Bagaimana cara menghapus akun saya?")
