"""The answering pipeline as one LangChain Runnable: question in, cited ``AnswerResult`` out.

validate -> retrieve (hybrid) -> select evidence sentences -> decide (answer or abstain) ->
compose (verbatim quotes offline, or a checked generative answer when a model is configured).

``invoke`` returns the final result; ``stream`` yields growing snapshots of it as the answer
text is composed, the last one complete; ``batch`` comes from ``Runnable``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig

from qa.answer.abstention import (
    compute_signals,
    corpus_knows,
    margin,
    question_names,
    should_abstain,
)
from qa.answer.changes import (
    answer_changes,
    answer_first_seen,
    asks_first_seen,
    asks_what_changed,
    change_topic,
    passage_of,
)
from qa.answer.evidence import Evidence, EvidenceSelector
from qa.answer.extractive import (
    cite,
    compose_abstention,
    compose_answer,
    lead_line,
    passage_views,
    snippet,
)
from qa.answer.generative import chat_model, check_citations, stream_answer
from qa.answer.phrases import SUPPORTED, phrase
from qa.answer.quantity import asked_quantity, asked_subject, states_quantity, without_asking
from qa.answer.recipients import asked_receiver, asked_recipient, asks_recipient, states_passing
from qa.answer.result import AnswerResult, Citation
from qa.answer.statements import asks_overview, statement_problem
from qa.answer.subject import names_subject, says_codes, subject_groups
from qa.errors import IndexMismatchError, QuestionError, VersionError
from qa.index.embeddings import canonical_model_name
from qa.index.ingest import index_config
from qa.index.manifest import PIPELINE_VERSION
from qa.index.sentence_rows import StoredSentences
from qa.index.store import PassageStore
from qa.load.language import question_language
from qa.load.question import clean_question, has_words
from qa.retrieve.bilingual import counterpart, other_language
from qa.retrieve.catalog import Catalog, catalog_of
from qa.retrieve.filters import ALL_VERSIONS, SearchFilters
from qa.retrieve.hybrid import HybridRetriever, Retrieval, elapsed_ms
from qa.retrieve.spelling import SpellingCorrector, corrector_for
from qa.settings import Settings
from qa.versions.changes import named_scope, named_sentence, named_series, said_publishers
from qa.versions.dates import question_dates, without_dates
from qa.versions.series import in_force, series_name

# Passages looked at to find the series a version question is about.
SERIES_CANDIDATES = 3
# Best-scored sentences a first-seen answer looks at for an earlier wording of the statement.
FIRST_SEEN_CANDIDATES = 10
_VERSION_LABELS = {
    "en": ("Versions", "answered from the versions in force {dates}"),
    "id": ("Versi", "dijawab dari versi yang berlaku {dates}"),
}

ChainInput = str | dict[str, Any]
_DATE_WORDS = {"en": ("on ", "before ", " and "), "id": ("pada ", "sebelum ", " dan ")}


def _series_of(catalog: Catalog, doc: Document) -> str:
    # The series of a passage's or sentence's document as the catalog's versions have it (a
    # capture in another language is a series of its own); its metadata's otherwise.
    version = catalog.versions.get(str(doc.metadata.get("doc_id")))
    return version.series if version is not None else str(doc.metadata.get("series") or "")


def _dates_said(as_of: str, language: str) -> str:
    # "<2021-01,2021-03" -> "before 2021-01 and on 2021-03" (or in Indonesian), to follow
    # "in force".
    on, before, joined = _DATE_WORDS.get(language, _DATE_WORDS["en"])
    return joined.join(
        before + part[1:] if part.startswith("<") else on + part for part in as_of.split(",")
    )


def _parse(value: ChainInput) -> tuple[str, SearchFilters, int | None]:
    if isinstance(value, str):
        return value, SearchFilters(), None
    if isinstance(value, dict):
        filters = value.get("filters") or SearchFilters()
        if isinstance(filters, dict):
            filters = SearchFilters.from_values(filters)
        elif not isinstance(filters, SearchFilters):
            msg = f"filters must be a dict or SearchFilters, got {type(filters).__name__}"
            raise QuestionError(msg)
        k = value.get("k")
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
            msg = f"k must be a whole number of passages, at least 1; got {k!r}"
            raise QuestionError(msg)
        return str(value.get("question", "")), filters, k
    msg = f"expected a question string or a dict with 'question', got {type(value).__name__}"
    raise QuestionError(msg)


# Words that frame a comparison, and what introduces its topic after them.
_COMPARING = re.compile(
    r"\b(?:differ\w*|compar\w*|versus|vs\b|bedanya|beda|perbedaan\w*|bandingk\w*|dibandingkan)",
    re.I,
)
_TOPIC_START = re.compile(
    r"(?::|\b(?:on|about|regarding|in\s+terms\s+of|when\s+it\s+comes\s+to|with\s+respect\s+to"
    r"|soal|tentang|terkait|mengenai|dalam\s+hal|perihal))\s+(.+)$",
    re.I,
)
# Quotes kept per company compared: the best and one more at most.
_COMPARED_QUOTES = 2
# Words as written, to find the acronyms a sentence uses.
_WORDS = re.compile(r"\w+")
# A possessive ending ("Lumora's") and the punctuation around a name.
_NAME_EDGES = re.compile(r"['’]s\b|[^\w'’-]+")
# The joins of a list of things asked about ("my photos and videos", "foto atau video").
_LIST_JOINS = re.compile(r",\s*|\s+(?:and|or|dan|atau)\s+", re.IGNORECASE)


def _texts(documents: list[StoredSentences]) -> Iterator[str]:
    """Every sentence text of ``documents``, document by document, in text order."""
    for stored in documents:
        yield from stored.texts


def _mentions(text: str, forms: AbstractSet[str]) -> bool:
    """Whether ``text`` says one of the casefolded name ``forms`` as whole words ("line" is not
    said by "online")."""
    folded = text.casefold()
    return any(re.search(rf"(?<!\w){re.escape(form)}(?!\w)", folded) for form in forms)


def _compares(question: str, said: AbstractSet[str]) -> bool:
    """Whether ``question`` puts two of the company names ``said`` side by side (``_compared``)."""
    return bool(_compared(question, said))


def _compared(question: str, said: AbstractSet[str]) -> list[str]:
    """The companies ``question`` puts side by side ("Signal and Telegram", "Signal dan
    Telegram", "WhatsApp vs Telegram"), as the first words of the names ``said``, in the
    order asked; ``[]`` when it compares none. One company under two forms of its name
    ("WhatsApp Ireland Limited") is no comparison."""
    shorts = {form.split()[0] for form in said}
    if len(shorts) < 2:
        return []
    names = "|".join(re.escape(form) for form in sorted(said, key=len, reverse=True))
    joins = (
        r"and|dan|vs\.?|versus|or|atau|dengan|with|(?:compare[sd]?|stacks?\s+up)\s+(?:with|to|against)"
        r"|(?:di)?bandingkan(?:\s+dengan)?"
    )
    pair = rf"(?:{names})(?:['’]s)?\s+(?:{joins})\s+(?:{names})"
    found = re.search(pair, question.casefold())
    if not found:
        return []
    text = found.group(0)
    compared = sorted((short for short in shorts if short in text), key=text.find)
    return compared if len(compared) >= 2 else []


def _compared_topic(question: str, names: list[str]) -> str:
    """What ``question`` compares on: the question without the companies' ``names`` (each as
    the question writes it, casefolded), and
    after its comparing words, from the word that introduces the topic ("What is the
    difference between Signal and Telegram on how long messages are stored?": "how long
    messages are stored"; "Apa bedanya Signal dan Telegram soal iklan?": "iklan"). Without
    comparing words, the question without the names ("Do  and  show ads?").

    Example:
        >>> _compared_topic("Compare Telegram and Signal: do they collect my IP address?",
        ...                 ["telegram", "signal"])
        'do they collect my IP address?'
    """
    written = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    rest = re.sub(rf"(?<!\w)(?:{written})(?:['’]s)?(?!\w)", " ", question, flags=re.I)
    rest = re.sub(r"\s+", " ", rest).strip()
    framing = _COMPARING.search(rest)
    if framing:
        topic = _TOPIC_START.search(rest, framing.end())
        if topic and len(topic.group(1).split()) >= 1:
            return topic.group(1).strip()
    return rest


def _speaks_for(item: Evidence, company: str) -> bool:
    """Whether the quote ``item`` comes from a document of ``company`` (a casefolded name, as
    ``_compared`` gives it): its publisher or title names it."""
    meta = item.passage.metadata
    return _mentions(f"{meta.get('publisher') or ''} {meta.get('title') or ''}", {company})


def _checkable(
    words: str, retrieval: Retrieval, corrector: SpellingCorrector, said: AbstractSet[str]
) -> str:
    """``words`` without the names a quote cannot be asked to say: the companies in ``said``
    (checked on their own: in a subject "Lumora Rewards" would be named by any Lumora
    sentence) and a name the corpus never mentions that the corrector would correct (a
    misspelling it left, "Facebok"). A name the corpus never mentions at all ("Lumora
    Rewards", "Snapchat") stays: no quote names it, so nothing answers."""
    said_words = {word for form in said for word in form.split()}
    kept = []
    for word in words.split():
        bare = _NAME_EDGES.sub("", word)
        if word[:1].isupper() and (
            bare.casefold() in said_words
            or (
                not corpus_knows(bare, retrieval.vocabulary, retrieval.acronyms)
                and corrector.misspells_known(bare)
            )
        ):
            continue
        kept.append(word)
    return " ".join(kept)


def _names(
    item: Evidence, words: str, language: str, acronyms: dict[str, str], *, whole: bool = False
) -> bool:
    """Whether the quote ``item`` names ``words`` (``names_subject``, every word of it with
    ``whole``), with its document's title, its section's heading and the expansions of the
    acronyms it uses as context; a list ("insurers or employers", "foto dan video") is named
    by any of its items."""
    meta = item.passage.metadata
    written = str(meta.get("language") or language)
    # An acronym names its expansion: "We share PII with ..." names "personally identifiable
    # information". Matched as written: "us" in "contact us" is no "US".
    used = set(_WORDS.findall(item.text))
    spelled = [long for short, long in acronyms.items() if short in used]
    context = " ".join([meta.get("title") or "", meta.get("section") or "", *spelled])
    parts = [part for part in _LIST_JOINS.split(words) if part.strip()] or [words]
    return any(
        names_subject(
            item.text,
            subject_groups(part, language, written),
            written,
            context,
            head_first=language == "id",
            whole=whole,
        )
        and says_codes(item.text, part, written, context, acronyms)
        for part in parts
    )


class AnswerChain(Runnable[ChainInput, AnswerResult]):
    """Answer questions from an index with cited, verbatim evidence.

    Example:
        >>> chain = AnswerChain.from_settings(Settings())  # doctest: +SKIP
        >>> result = chain.invoke("Is my contact list shared with Facebook?")  # doctest: +SKIP
        >>> result.citations[0].source.doc_id  # doctest: +SKIP
        'news/whatsapp-clarification-2021-01-12.md'
    """

    def __init__(self, settings: Settings, store: PassageStore) -> None:
        """Bind an opened store; ``from_settings`` is the usual way in."""
        self.settings = settings
        self.store = store
        self.retriever = HybridRetriever.from_settings(store, settings)
        self.evidence = EvidenceSelector.from_settings(settings)
        self._chat = chat_model(settings) if settings.llm_base_url else None
        self._rule = settings.abstention_rule(canonical_model_name(settings.embedding_model))

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerChain:
        """Open the index of ``settings``, refusing one built with another embedding model.

        Chunking settings only matter when indexing, so an index chunked differently from
        ``settings`` is used as it is.

        Raises:
            IndexMissingError: There is no index yet.
            IndexMismatchError: The index was embedded by another model.
        """
        store = PassageStore.from_settings(settings)
        wanted = index_config(settings)
        if store.manifest.config.embedding_model != wanted.embedding_model:
            msg = (
                f"{store.where} was embedded with "
                f"'{store.manifest.config.embedding_model}', but '{wanted.embedding_model}' "
                "was asked for; questions must be embedded like the passages. Use the index's "
                "model, or re-index with 'fineprint ingest --rebuild'."
            )
            raise IndexMismatchError(msg)
        return cls(settings, store)

    def invoke(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AnswerResult:
        """Answer one question; ``input`` is the question or ``{"question", "filters", "k"}``.

        ``filters`` is a ``SearchFilters`` or a dict of its fields. An empty or over-long
        question is not an error: the result says so (``invalid_input``).

        Raises:
            QuestionError: ``input`` is neither a string nor such a dict, or ``k`` is not a
                whole number of at least 1.
            FilterError: A filter field is unknown, a date is bad or the range is reversed.
        """
        result = None
        for result in self.stream(input, config, **kwargs):  # noqa: B007
            pass
        assert result is not None
        return result

    def stream(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[AnswerResult]:
        """Yield snapshots of the result as the answer grows; the last one is final.

        Raises:
            QuestionError: As for ``invoke``.
            FilterError: As for ``invoke``.
        """
        started = time.perf_counter()
        question, filters, k = _parse(input)
        question = clean_question(question)
        language = question_language(question) if question else "en"
        phrase_language = language if language in SUPPORTED else "en"
        result = AnswerResult(question=question, language=language)
        wordless = not has_words(question)
        if wordless or len(question) > self.settings.max_question_chars:
            result.invalid_input = result.abstained = True
            result.answer = (
                phrase(phrase_language, "empty")
                if wordless
                else phrase(
                    phrase_language,
                    "too_long",
                    length=len(question),
                    limit=self.settings.max_question_chars,
                )
            )
            result.timings_ms = {"total": elapsed_ms(started)}
            yield result
            return
        built = self.store.manifest.config.pipeline_version
        if built != PIPELINE_VERSION:
            # An index read by another pipeline still answers, but the user should know.
            key = "stale_index" if built < PIPELINE_VERSION else "newer_index"
            result.notes.append(phrase(phrase_language, key, built=built, current=PIPELINE_VERSION))
        if language not in SUPPORTED:
            result.notes.append(phrase("en", "other_language"))
        question = self._spelled(question, result, language)
        filters = _with_question_dates(filters, question)
        if filters.as_of:
            label = _VERSION_LABELS.get(phrase_language, _VERSION_LABELS["en"])[1]
            result.notes.append(label.format(dates=_dates_said(filters.as_of, phrase_language)))
            # A first-seen question's date may be what it quotes ("... since 2015?"); any other
            # question about a document that had no version then is refused.
            first_seen = asks_first_seen(question) and not asks_what_changed(question)
            missing = [] if first_seen else self._not_yet_in_force(question, filters)
            if missing:
                # The question names a document none of whose versions was in force then:
                # another publisher's text of that time is no answer.
                result.notes.pop()  # nothing was answered from the versions of that date
                result.abstained = True
                result.answer = "\n".join(
                    phrase(
                        phrase_language,
                        "not_yet",
                        series=series_name(key),
                        dates=_dates_said(filters.as_of, phrase_language),
                        start=start,
                    )
                    for key, start in missing
                )
                result.timings_ms["total"] = elapsed_ms(started)
                yield result
                return
        if asks_what_changed(question) or asks_first_seen(question):
            routed = self._versions_answer(result, question, filters, k)
            if routed is not None:
                routed.timings_ms["total"] = elapsed_ms(started)
                yield routed
                return

        # The date phrase chose the versions; searched for, its words match nothing.
        searched = without_dates(question) if filters.as_of else question

        clock = time.perf_counter()
        retrieval, searched = self._scoped_retrieval(result, searched, filters, k, phrase_language)
        result.timings_ms["retrieve"] = elapsed_ms(clock)
        result.timings_ms.update({f"retrieve.{k}": v for k, v in retrieval.timings_ms.items()})
        result.passages = passage_views(retrieval.passages)

        clock = time.perf_counter()
        asked = asked_quantity(searched)
        # Sentences are weighed by what the question is about, not the words asking a quantity.
        scored = self._score_evidence(retrieval, without_asking(searched) if asked else searched)
        chosen, firm = self._asked_evidence(scored, asked, searched, phrase_language, retrieval)
        evidence = self.evidence.with_passage_copies(chosen, retrieval.copies)
        # A publisher the user chose in the filters bounds the comparison too.
        said = said_publishers(catalog_of(self.store), searched)
        compared = [] if filters.publisher else _compared(searched, said)
        if compared:
            # Every form of the compared names the question uses ("Nimbus Ride", "nimbus").
            forms = [form for form in said if form.split()[0] in compared]
            evidence = self._compared_evidence(
                searched, filters, k, compared, forms, asked, phrase_language, result, retrieval
            )
            result.passages = passage_views(retrieval.passages)
        overview = self._overview_evidence(scored, searched)
        if overview:
            evidence = self.evidence.with_passage_copies(overview, retrieval.copies)
        quoted = self._quoted_line(retrieval, searched)
        if quoted is not None:
            # The question quotes a line of a document ("does it still carry the line Updated
            # May 25, 2018?"): that line answers first, and its passage is shown with the rest.
            evidence = [quoted, *(e for e in evidence if e.text != quoted.text)]
            if all(str(p.id) != str(quoted.passage.id) for p in retrieval.passages):
                retrieval.passages.append(quoted.passage)
                result.passages = passage_views(retrieval.passages)
        result.timings_ms["evidence"] = elapsed_ms(clock)

        clock = time.perf_counter()
        reason = None
        if not retrieval.passages:
            reason = phrase(phrase_language, "no_documents" if filters.active else "no_index")
            earliest = self._earliest_start()
            if filters.as_of and not dataclasses.replace(filters, as_of=None).active and earliest:
                # Only the date kept every document out: say so, not "widen the filters".
                dates = _dates_said(filters.as_of, phrase_language)
                reason = phrase(phrase_language, "none_in_force", dates=dates, start=earliest)
            abstain = True
        else:
            result.signals = self._signals(retrieval, searched, evidence, language)
            # A comparison was decided company by company (``_compared_evidence``); a quote that
            # states the quantity or recipient asked of the whole subject, in the question's
            # language, answers whatever the other signals say.
            decided = quoted is not None or bool(overview) or bool(compared) or firm
            abstain = (should_abstain(result.signals) and not decided) or not evidence
            # A question asking how long, how much, how many or how old is not answered by
            # quotes that state no such quantity (``qa.answer.quantity``).
            unstated = asked is not None and not any(
                states_quantity(item.text, asked) for item in evidence
            )
            result.signals["quantity_missing"] = float(unstated)
            abstain = abstain or (unstated and quoted is None)
        result.timings_ms["decide"] = elapsed_ms(clock)

        clock = time.perf_counter()
        if abstain:
            result.abstained = True
            result.answer = compose_abstention(result.passages, phrase_language, reason)
            result.timings_ms["compose"] = elapsed_ms(clock)
            result.timings_ms["total"] = elapsed_ms(started)
            yield result
            return
        if self._chat is not None:
            yield from self._generate(result, question, retrieval, evidence, phrase_language)
        else:
            yield from self._extract(result, evidence, phrase_language)
        result.answer += _version_lines(result, phrase_language)
        result.timings_ms["compose"] = elapsed_ms(clock)
        result.timings_ms["total"] = elapsed_ms(started)
        yield result

    def _spelled(self, question: str, result: AnswerResult, language: str) -> str:
        """``question`` (in ``language``) with misspelled words corrected to the corpus's
        (``qa.retrieve.spelling``), each correction noted in ``result``; the question shown
        stays as asked."""
        if not self.settings.spelling_correction:
            return question
        corrector = corrector_for(catalog_of(self.store))
        corrected, corrections = corrector.correct(question, language=language)
        if corrections:
            words = ", ".join(f"{c.original} → {c.corrected}" for c in corrections)
            shown = language if language in SUPPORTED else "en"
            result.notes.append(phrase(shown, "spelling", words=words))
        return corrected

    def _not_yet_in_force(self, question: str, filters: SearchFilters) -> list[tuple[str, str]]:
        """The series ``question`` names (``named_series``) when none of them had a version
        in force in ``filters``' periods, each with the day its first version took effect;
        ``[]`` when the question names none, or one was in force."""
        catalog = catalog_of(self.store)
        named = named_series(catalog, question)
        periods = filters.periods()
        if not named or not periods:
            return []
        series = {key: catalog.series_versions(key) for key in named}
        if any(in_force(versions, periods) for versions in series.values()):
            return []
        return [(key, versions[0].valid_from) for key, versions in series.items() if versions]

    def _earliest_start(self) -> str:
        """The day the earliest version of any dated document took effect ("" if none is)."""
        catalog = catalog_of(self.store)
        starts = [v[0].valid_from for v in catalog.timelines.values() if v[0].valid_from]
        starts += [start for start in catalog.starts.values() if start]
        return min(starts, default="")

    def _overview_evidence(self, scored: list[Evidence], question: str) -> list[Evidence]:
        """For a question asking what a named company's document covers (``asks_overview``),
        that company's overview sentences among ``scored`` ("This notice explains ...");
        ``[]`` for any other question, or one naming no indexed company (the abstention rule
        then decides, as for any question).

        They answer it however few of its words they repeat: "Apa isi kebijakan privasi
        Kelana Ride?" was refused while its first passage's overview said what it covers.
        """
        if not asks_overview(question):
            return []
        said = said_publishers(catalog_of(self.store), question)
        found = [
            item
            for item in scored
            if said
            and statement_problem(item.text) == "overview"
            and _mentions(str(item.passage.metadata.get("publisher") or ""), said)
        ]
        return self.evidence.select(found)

    def _asked_evidence(
        self,
        scored: list[Evidence],
        asked: str | None,
        question: str,
        language: str,
        retrieval: Retrieval,
    ) -> tuple[list[Evidence], bool]:
        """The evidence rule's selection from ``scored``, kept only when it answers what a
        quantity or recipient question asks, and whether it answers firmly.

        For any question naming an indexed company, only the quotes about it (its documents,
        or a sentence naming it) are kept; when the selection holds none, the best of
        ``scored`` that are take its place, and when there are none, nothing is quoted.

        For a question asking a quantity (``asked``, ``qa.answer.quantity``) or who receives
        a thing (``qa.answer.recipients``), the quotes that state a quantity, or that something
        is passed on, are kept (for a recipient question, also those naming its receiver). At
        least one of them must also be about what the question asks of (``qa.answer.subject``),
        its receiver and the company it names; when none is, the sentences that are take their
        place (from the same passages, or from another retrieved passage in the question's
        language that names the whole subject and receiver), and when there are none either,
        nothing is quoted (the chain then abstains).

        "How long is my medical record kept?" was quoted "Records are kept in the electronic
        medical record", beside "kept at least 25 years" in the same passage. Looking only in
        the selected passages keeps a near miss a miss: "How long do you keep my card
        details?" is not answered by another passage's "billing records are kept 7 years",
        nor "How long do you keep my email address?" by "We keep workout history for 12
        months" (it states a duration, of something else).
        """
        selected = self.evidence.select(scored)
        if asked is not None:
            subject, receiver = asked_subject(question), ""

            def states(text: str) -> bool:
                return states_quantity(text, asked)

        elif asks_recipient(question):
            subject, receiver = asked_recipient(question), asked_receiver(question)
            states = states_passing
        else:
            subject = receiver = ""
        catalog = catalog_of(self.store)
        # A company the question names is the one it asks about: another's period, recipients
        # or practice do not answer ("At what age can I use Telegram?" is not answered by
        # WhatsApp's minimum age, nor "Can I opt out of marketing emails from Nimbus?" by
        # Tandem Go's opt-in), unless the sentence speaks of the one named.
        said = said_publishers(catalog, question)

        def about_named(item: Evidence) -> bool:
            meta = item.passage.metadata
            about = f"{item.text} {meta.get('title') or ''} {meta.get('publisher') or ''}"
            return not said or _mentions(about, said)

        if asked is None and not asks_recipient(question):
            named = [item for item in selected if about_named(item)]
            return named or self.evidence.select([e for e in scored if about_named(e)]), False
        corrector = corrector_for(catalog)
        subject = _checkable(subject, retrieval, corrector, said)
        receiver = _checkable(receiver, retrieval, corrector, frozenset())

        def names(item: Evidence, words: str, whole: bool = False) -> bool:
            return _names(item, words, language, retrieval.acronyms, whole=whole)

        def answers(item: Evidence, whole: bool = False) -> bool:
            # "Do you share my location with advertisers?" is not answered by sharing it with
            # the driver: the receiver asked about is named too.
            return (
                states(item.text)
                and about_named(item)
                and names(item, subject, whole)
                and names(item, receiver, whole)
            )

        selected = [item for item in selected if about_named(item)] or selected
        # The quotes that say how long (much, many, old) or that something is passed on answer,
        # and for a recipient question those naming its receiver ("WhatsApp uses Meta's data
        # centers, including in the United States"); the others only pad it.
        selected = [
            item for item in selected if states(item.text) or (receiver and names(item, receiver))
        ] or selected

        def firm(item: Evidence) -> bool:
            # Names the whole subject and receiver in the question's language: half of them is
            # how near misses look, and across languages only names can be checked.
            written = item.passage.metadata.get("language") or language
            return written == language and answers(item, whole=True)

        if any(answers(item) for item in selected):
            return selected, any(firm(item) for item in selected)
        places = {str(item.passage.id) for item in selected}
        # Another retrieved passage may answer only firmly ("We share PII with ..." beside a
        # chosen quote about "sensitive personal information").
        found = self.evidence.select(
            [
                item
                for item in scored
                if (answers(item) if str(item.passage.id) in places else firm(item))
            ]
        )
        return found, any(firm(item) for item in found)

    def _compared_evidence(
        self,
        question: str,
        filters: SearchFilters,
        k: int,
        companies: list[str],
        forms: list[str],
        asked: str | None,
        language: str,
        result: AnswerResult,
        retrieval: Retrieval,
    ) -> list[Evidence]:
        """The quotes answering a question that compares ``companies`` (``_compared``; the
        question writes them as ``forms``), each company's in turn, in the order asked.

        The question is asked of each company alone: what is compared (``_compared_topic``)
        is searched within its documents (``SearchFilters.publisher``), its sentences chosen as
        any question's (``_asked_evidence``, the quantity rule), and the abstention rule
        decides on them as it would for that company's question. A company whose documents do
        not answer gets a note on ``result`` instead of a quote, unless none answers (the chain
        then abstains for all). Quoted passages the first search did not rank join
        ``retrieval``'s, last.

        "What is the difference between Quillchat and Tandemtalk on how long messages are
        stored?" quoted Tandemtalk only, although Quillchat's policy says 30 days; and a
        question both companies answer was refused whole when the first search's passages,
        mixed from both, fell below the abstention rule's bar.
        """
        topic = _compared_topic(question, forms)
        # The companies' names are left out: every sentence of their own documents says them,
        # which would make any of them ("Quillchat is a messaging app ...") look like an answer.
        weighed = without_asking(topic) if asked else topic
        named = question_names(topic)
        kept: list[Evidence] = []
        silent: list[str] = []
        for company in companies:
            scoped = self.retriever.retrieve(
                topic, dataclasses.replace(filters, publisher=company), k
            )
            own = [
                item for item in self._score_evidence(scoped, weighed) if _speaks_for(item, company)
            ]
            chosen, firm = (
                self._asked_evidence(own, asked, topic, language, scoped) if own else ([], False)
            )
            # A name the topic gives ("sharing data with Facebook") is said by the quote.
            chosen = [
                item
                for item in chosen
                if _speaks_for(item, company)
                and all(_mentions(item.text, {name.casefold()}) for name in named)
            ]
            answered = (
                bool(chosen)
                and (firm or not should_abstain(self._signals(scoped, topic, chosen, language)))
                and (asked is None or any(states_quantity(e.text, asked) for e in chosen))
            )
            if not answered:
                publishers = [str(p.metadata.get("publisher") or "") for p in scoped.passages]
                own_names = [name for name in publishers if _mentions(name, {company})]
                shown = min(own_names, key=len, default=company.title())
                # The company's closest sentence is shown as what it is, not an answer: a
                # reader can judge a synonym the rules missed ("trip" for "ride" history).
                closest = (chosen or own)[:1]
                silent.append(
                    phrase(
                        language,
                        "compared_closest" if closest else "compared_none",
                        company=shown,
                        quote=snippet(closest[0].text) if closest else "",
                    )
                )
                continue
            for item in chosen[:_COMPARED_QUOTES]:
                kept.append(item)
                if all(str(p.id) != str(item.passage.id) for p in retrieval.passages):
                    retrieval.passages.append(item.passage)
        if kept:
            result.notes.extend(silent)
        return self.evidence.with_passage_copies(kept, retrieval.copies)

    def _scoped_retrieval(
        self, result: AnswerResult, searched: str, filters: SearchFilters, k: int, language: str
    ) -> tuple[Retrieval, str]:
        """Retrieval within the documents the question names ("Facebook's privacy policy",
        ``named_scope``) unless the filters already choose a publisher or kind; everywhere
        when those documents give nothing. A scoped search is noted on ``result``.

        Returns:
            The retrieval and the text searched: within the named documents, the question
            without the words naming them, which evidence and abstention then weigh too (they
            are in no passage's words once the documents are chosen).

        Without it, "What does Facebook's privacy policy say about how long it keeps my
        information?" was answered from Instagram's policy, whose wording is the same.
        """
        scope = None
        if not (filters.publisher or filters.kind):
            scope = named_scope(catalog_of(self.store), searched)
        if scope is not None:
            scoped = dataclasses.replace(filters, publisher=scope.publisher, kind=scope.kind)
            retrieval = self.retriever.retrieve(scope.topic, scoped, k)
            if retrieval.passages:
                kind = phrase(language, f"kind_{scope.kind}")
                result.notes.append(phrase(language, "scoped", publisher=scope.label, kind=kind))
                return retrieval, scope.topic
        return self.retriever.retrieve(searched, filters, k), searched

    def _topic_vector(
        self, question: str, catalog: Catalog, retrieval: Retrieval, series: str
    ) -> np.ndarray:
        """The vector changes of ``series`` are ranked against: of the question's topic
        (``change_topic``) when it names one, in the series' language when the glossary
        bridges it, else of the question as retrieved."""
        names: list[str] = []
        for key in named_series(catalog, question):
            publisher = str(
                catalog.documents[catalog.series_versions(key)[-1].doc_id].get("publisher") or ""
            )
            names += [publisher, publisher.split()[0]] if publisher else []
        topic = change_topic(without_dates(question), names)
        if not topic:
            return np.asarray(retrieval.query_vector, dtype=np.float32)
        # A short topic in another language than the versions ranks changes barely better than
        # chance ("tentang buku alamat saya": 0.83 for the address-book line and for unrelated
        # ones); its glossary words ("book address") tell them apart (0.84 against 0.76).
        language = question_language(question)
        versions = catalog.series_versions(series)
        written = (
            str(catalog.documents[versions[-1].doc_id].get("language") or "") if versions else ""
        )
        bridge = counterpart(topic, language) if written and written != language else ""
        text = bridge or topic
        return np.asarray(self.retriever.embeddings.embed_query(text), dtype=np.float32)

    def _documents_sentences(self, retrieval: Retrieval) -> list[StoredSentences]:
        """The stored sentences of each candidate's document, in document order.

        A quoted line may sit outside the candidate passages (``Retrieval.sentences`` holds
        only those inside); the catalog keeps each document's sentences, so this reads nothing.
        """
        doc_ids = list(dict.fromkeys(p.metadata["doc_id"] for p in retrieval.candidates.values()))
        return [sentences for sentences, _ in catalog_of(self.store).sentences(self.store, doc_ids)]

    def _quoted_line(self, retrieval: Retrieval, question: str) -> Evidence | None:
        """The retrieved sentence the question quotes word for word (``named_sentence``), as
        evidence in its stored passage; ``None`` when it quotes none."""
        documents = self._documents_sentences(retrieval)
        text = named_sentence(question, _texts(documents))
        if not text:
            return None
        catalog = catalog_of(self.store)
        # The same line may stand in several documents: the one the question names wins.
        named = set(named_series(catalog, question))
        sentence = min(
            (
                stored[row]
                for stored in documents
                for row, said in enumerate(stored.texts)
                if said == text
            ),
            key=lambda doc: _series_of(catalog, doc) not in named,
        )
        passage = passage_of(catalog, sentence)
        if passage is None:
            return None
        start, end = int(sentence.metadata["start"]), int(sentence.metadata["end"])
        return Evidence(passage, text, start, end, 1.0)

    def _score_evidence(self, retrieval: Retrieval, question: str) -> list[Evidence]:
        """Candidate sentences scored for the question and for its words in the other language
        (``Retrieval.counterpart``), each sentence at its better score."""
        scored = self.evidence.score(
            retrieval.passages, retrieval.sentences, question, retrieval.term_weights
        )
        if not retrieval.counterpart:
            return scored
        bridged = self.evidence.score(
            retrieval.passages,
            retrieval.sentences,
            retrieval.counterpart,
            retrieval.counterpart_weights,
        )
        best: dict[tuple[str, int], Evidence] = {}
        for item in [*scored, *bridged]:
            key = (str(item.passage.metadata["doc_id"]), item.doc_start)
            if key not in best or item.score > best[key].score:
                best[key] = item
        return sorted(best.values(), key=lambda e: -e.score)

    def _signals(
        self, retrieval: Retrieval, question: str, evidence: list[Evidence], language: str
    ) -> dict[str, float]:
        """The abstention signals of the question, or of its words in the other language when
        those are found better: an Indonesian question answered by an English passage shares
        its words only through their translations."""
        signals = compute_signals(question, retrieval, evidence, language, self._rule)
        if not retrieval.counterpart:
            return signals
        bridged = compute_signals(
            retrieval.counterpart,
            dataclasses.replace(retrieval, term_weights=retrieval.counterpart_weights),
            evidence,
            other_language(language),
            self._rule,
            groups=retrieval.counterpart_groups,
        )
        # The question's language and names, and whether the evidence is in another language,
        # are facts of the question, not of the view.
        for name in ("indonesian", "cross_lingual", "missing_names", "unknown_names"):
            bridged[name] = signals[name]
        bridged["margin"] = round(margin(bridged, self._rule), 4)
        return bridged if bridged["margin"] > signals["margin"] else signals

    def _versions_answer(
        self, result: AnswerResult, question: str, filters: SearchFilters, k: int | None
    ) -> AnswerResult | None:
        """A what-changed or first-seen answer; ``None`` when the question is about no series.

        The series is the one the question names (publisher, then kind), else the one of the
        best passages among all versions; the question's dates (in ``filters``) pick the
        versions.
        """
        catalog = catalog_of(self.store)
        named = named_series(catalog, question)
        if asks_what_changed(question) and _compares(question, said_publishers(catalog, question)):
            # "Apa bedanya Signal dan Telegram soal ...?", "the differences between Signal and
            # Telegram": two companies compared, not two versions of one document. "What
            # changed in WhatsApp's policy about sharing with Facebook?" compares nothing.
            return None
        every = dataclasses.replace(filters, as_of=None, versions=ALL_VERSIONS)
        if named and not filters.restricts_documents:
            # A question naming "WhatsApp's privacy policy" is searched there only: another
            # publisher's near-identical template must not pick the series or the statement.
            meta = catalog.documents[catalog.series_versions(named[0])[-1].doc_id]
            kinds = {
                catalog.documents[catalog.series_versions(key)[-1].doc_id].get("kind")
                for key in named
            }
            every = dataclasses.replace(
                every,
                publisher=str(meta.get("publisher")),
                kind=str(meta.get("kind")) if len(kinds) == 1 else None,
            )
        retrieval = self.retriever.retrieve(question, every, k)
        wanted = set(named) or set(catalog.timelines)
        series = next(
            (
                _series_of(catalog, p)
                for p in retrieval.passages[:SERIES_CANDIDATES]
                if _series_of(catalog, p) in wanted
            ),
            named[0] if len(named) == 1 else None,
        )
        if series is None:
            return None
        result.passages = passage_views(retrieval.passages)
        try:
            if asks_what_changed(question):
                query = self._topic_vector(question, catalog, retrieval, series)
                answered = answer_changes(result, catalog, self.store, series, filters, query)
                return _with_cited_passages(answered, catalog)
            named_text = named_sentence(question, _texts(self._documents_sentences(retrieval)))
            if named_text:
                # The question quotes the text it asks about ("When did the policy first
                # announce Our Updated Terms?"): that text, heading or not, is what to trace.
                answered = answer_first_seen(result, catalog, self.store, series, named_text)
                return _with_cited_passages(answered, catalog)
            scored = self.evidence.score(
                retrieval.passages, retrieval.sentences, question, retrieval.term_weights
            )
            evidence = self.evidence.select(scored)
            if not evidence:
                return None
            # Other sentences of the series that may say the same in other words: the first
            # appearance is the earliest of those that hold what the question asks.
            others = [
                item.text
                for item in scored[:FIRST_SEEN_CANDIDATES]
                if _series_of(catalog, item.passage) == series and item.text != evidence[0].text
            ]
            answered = answer_first_seen(
                result, catalog, self.store, series, evidence[0].text, others
            )
            return _with_cited_passages(answered, catalog)
        except VersionError as exc:
            if not asks_what_changed(question):
                result.notes.append(str(exc))
                return None
            # Nothing to compare (one version, or one in force all through the dates): that
            # is the answer, not a search of other documents.
            versions = catalog.series_versions(series)
            in_force_then = in_force(versions, filters.periods()) or versions[-1:]
            result.abstained = True
            result.answer = phrase(
                result.language if result.language in SUPPORTED else "en",
                "one_version" if len(versions) > 1 else "only_version",
                series=series_name(series),
                start=in_force_then[0].valid_from or "?",
                count=len(versions),
            )
            return result

    def _extract(
        self, result: AnswerResult, evidence: list[Evidence], language: str
    ) -> Iterator[AnswerResult]:
        result.citations, result.quotes = cite(evidence)
        _add_cited_copies(result, evidence)
        result.lead = lead_line(result.citations, language)
        for piece in compose_answer(result.citations, result.quotes, language):
            result.answer += piece
            yield result.model_copy()

    def _generate(
        self,
        result: AnswerResult,
        question: str,
        retrieval: Retrieval,
        evidence: list[Evidence],
        language: str,
    ) -> Iterator[AnswerResult]:
        result.mode = "generative"
        raw = ""
        try:
            for token in stream_answer(self._chat, question, retrieval.passages, language):
                raw += token
                # Stream only checked text: an invented marker never reaches the reader, and a
                # marker still being written ("[1, 9") waits until it is closed and checked.
                opened = raw.rfind("[")
                shown = raw[:opened] if opened > raw.rfind("]") else raw
                result.answer = check_citations(shown, len(retrieval.passages)).text
                yield result.model_copy()
        except Exception as exc:
            result.notes.append(
                f"the language model failed ({type(exc).__name__}: {exc}); "
                "showing the evidence instead"
            )
            return (yield from self._fallback(result, evidence, language))
        checked = check_citations(raw, len(retrieval.passages))
        if checked.removed:
            result.notes.append(
                "removed citation markers that point to no retrieved passage: "
                + ", ".join(f"[{n}]" for n in checked.removed)
            )
        if not checked.markers:
            result.notes.append(
                "the model's answer cited no retrieved passage; showing the evidence instead"
            )
            return (yield from self._fallback(result, evidence, language))
        result.answer = checked.text
        result.citations = [
            _generative_citation(number, retrieval, evidence) for number in checked.markers
        ]
        return None

    def _fallback(
        self, result: AnswerResult, evidence: list[Evidence], language: str
    ) -> Iterator[AnswerResult]:
        result.mode = "extractive"
        result.answer = ""
        yield from self._extract(result, evidence, language)


def _with_question_dates(filters: SearchFilters, question: str) -> SearchFilters:
    """``filters`` with the dates the question names, unless versions were chosen already."""
    if filters.as_of or filters.versions:
        return filters
    dates = question_dates(question)
    if not dates.found:
        return filters
    return dataclasses.replace(filters, as_of=dates.as_of or None, versions=dates.versions or None)


def _with_cited_passages(result: AnswerResult, catalog: Catalog) -> AnswerResult:
    """``result`` with every cited passage among its passages: a version answer quotes the
    versions it compares, which retrieval need not have ranked, and a reader of the result
    (the page, ``--json``) must find each citation's passage."""
    shown = {p.passage_id for p in result.passages}
    missing = list(
        dict.fromkeys(c.passage_id for c in result.citations if c.passage_id not in shown)
    )
    added = []
    for rank, pid in enumerate(missing, start=len(result.passages) + 1):
        passage = catalog.by_id[pid]
        added.append(
            Document(
                page_content=passage.page_content,
                metadata={**passage.metadata, "rank": rank},
                id=pid,
            )
        )
    result.passages = [*result.passages, *passage_views(added)]
    return result


def _version_lines(result: AnswerResult, language: str) -> str:
    """Lines saying when each cited version was in force; superseded ones are marked so."""
    lines = []
    seen: set[int] = set()
    for citation in result.citations:
        when = citation.source.in_force(language)
        if when and citation.marker not in seen:
            seen.add(citation.marker)
            lines.append(f"[{citation.marker}] {when}")
    if not lines:
        return ""
    title = _VERSION_LABELS.get(language, _VERSION_LABELS["en"])[0]
    return f"\n{title}:\n" + "\n".join(lines) + "\n"


def _generative_citation(number: int, retrieval: Retrieval, evidence: list[Evidence]) -> Citation:
    """Marker ``[number]`` of a model's answer: passage ``number``, quoting its best sentence."""
    passage = retrieval.passages[number - 1]
    best = next((e for e in evidence if e.passage.id == passage.id), None)
    if best is None:
        start = int(passage.metadata["start"])
        first = passage.page_content.split("\n", 1)[0]
        best = Evidence(passage, first, start, start + len(first), 0.0)
    citation = cite([best])[0][0]
    return citation.model_copy(update={"marker": number})


def _add_cited_copies(result: AnswerResult, evidence: list[Evidence]) -> None:
    """Show the passages of cited copies too: every citation points to a shown passage."""
    shown = {view.passage_id for view in result.passages}
    extra = [
        copy.passage
        for item in evidence
        for copy in item.copies
        if str(copy.passage.id) not in shown
    ]
    for view in passage_views(list({str(p.id): p for p in extra}.values())):
        view.rank = len(result.passages) + 1
        result.passages.append(view)
