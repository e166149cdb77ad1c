"""The web chat: a Gradio page that answers questions with cited, highlighted sources.

``build_app`` wires the pure renderers of ``qa.ui.render`` to an ``AnswerChain``; the page's
stylesheet and script are ``page.css`` and ``page.js`` beside this module. The conversation is
the page's own HTML (each answer with its own sources), kept per visitor as a list of ``Turn``s.
Starting a server and indexing is ``qa.ui.server``'s job; while the server indexes, the page
shows its progress (``qa.ui.progress``). A second tab compares two versions of a document
(``qa.ui.changes_page``).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import FilterError, FineprintError, IndexUnreachableError
from qa.load.language import question_language
from qa.load.question import clean_question
from qa.retrieve.filters import SearchFilters
from qa.settings import DOCUMENT_KINDS, Settings
from qa.ui.changes_page import TAB_ID as CHANGES_TAB_ID
from qa.ui.changes_page import ChangesPage, shown_pick
from qa.ui.changes_view import render_message
from qa.ui.changes_view import words as changes_words
from qa.ui.progress import IndexStatus
from qa.ui.render import (
    EXAMPLE_ASKS,
    EXAMPLES_SHOWN,
    Example,
    IndexedDocument,
    Turn,
    describe_filters,
    example_candidates,
    human_message,
    language_label,
    render_conversation,
    render_index_problem,
    render_problem,
    render_progress,
    render_sources,
    render_welcome,
    section_label,
    topic_stems,
    ui,
    ui_language,
)

if TYPE_CHECKING:
    import gradio as gr

    from qa.answer.chain import AnswerChain
    from qa.answer.result import AnswerResult

_log = logging.getLogger(__name__)

# The question box takes this much; the chain refuses anything over max_question_chars.
MAX_PASTE_CHARS = 100_000
APP_TITLE = "Fineprint"
PAGE_DIR = Path(__file__).parent
# How much of an over-long question the conversation echoes back.
MAX_ECHO_CHARS = 600
# The drop-downs' value for "no filter" (shown as "Any").
NO_FILTER = ""
ANY_CHOICE = ("Any", NO_FILTER)
# Chat and JSON API share one limit: at most ``settings.concurrency`` answers at once in all.
CONCURRENCY_ID = "fineprint-answer"
# The question-and-answer tab's id; the other tab is the changes view (``CHANGES_TAB_ID``).
ASK_TAB_ID = "ask"
# How often the page asks for indexing progress while the server indexes.
PROGRESS_SECONDS = 1.0
# The colour of a field's help line: the page's grey (page.css), 7:1 on white.
INFO_TEXT_COLOR = "#4b5563"


def page_css() -> str:
    """The page's stylesheet (``page.css``)."""
    return (PAGE_DIR / "page.css").read_text(encoding="utf-8")


def page_js() -> str:
    """The page's script (``page.js``): a function Gradio runs once the page has loaded."""
    return (PAGE_DIR / "page.js").read_text(encoding="utf-8")


def _check_date(value: str | None, label_key: str, language: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        label = ui(language, label_key)
        raise FilterError(ui(language, "date_bad", label=label, value=text)) from None


def _check_as_of(value: str | None, language: str) -> str | None:
    """``value`` as ``SearchFilters``' ``as_of`` reads it (what ``fineprint ask --as-of`` takes:
    a year, month or day, several joined by commas), or a message naming the field."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return SearchFilters(as_of=text).as_of or None
    except FilterError:
        label = ui(language, "as_of")
        raise FilterError(ui(language, "as_of_bad", label=label, value=text)) from None


def form_filters(
    publisher: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    as_of: str | None = None,
    *,
    words: str = "en",
) -> SearchFilters:
    """The form's filter values as ``SearchFilters`` (blank or "Any" means no filter).

    Args:
        as_of: Answer from the versions in force then: ``2020``, ``2020-12`` or ``2020-12-01``.
        words: The language of the error messages (the question's).

    Raises:
        FilterError: A date is not ``YYYY-MM-DD``, the range ends before it starts, or the
            "as of" date is no year, month or day; the message names the form's fields, in
            ``words``.
    """
    start = _check_date(date_from, "date_from", words)
    end = _check_date(date_to, "date_to", words)
    if start and end and end < start:
        raise FilterError(ui(words, "date_order", start=start, to=end))
    return SearchFilters.from_values(
        publisher=publisher,
        kind=kind,
        language=language,
        date_from=start,
        date_to=end,
        as_of=_check_as_of(as_of, words),
    )


@dataclass(frozen=True)
class FilterChoices:
    """What the filter drop-downs offer, from the documents in the index."""

    publishers: list[str]
    kinds: list[str]
    languages: list[str]
    documents: int


def filter_choices(documents: list[IndexedDocument]) -> FilterChoices:
    """The publishers, kinds and languages of the indexed documents."""
    return FilterChoices(
        publishers=sorted({d.publisher for d in documents if d.publisher}, key=str.casefold),
        kinds=sorted({d.kind for d in documents if d.kind} | set(DOCUMENT_KINDS)),
        languages=sorted({d.language for d in documents if d.language}),
        documents=len(documents),
    )


def index_summary(count: int, versions: int | None = None) -> str:
    """One line saying how many documents are indexed (and ``versions``, the indexed files
    counting each version, when that is more), for the top of the page."""
    if versions is not None and versions > count:
        key = "summary_one_versions" if count == 1 else "summary_versions"
        return ui("en", key, count=count, versions=versions)
    return ui("en", "summary_one") if count == 1 else ui("en", "summary", count=count)


def indexed_documents(chain: AnswerChain) -> list[IndexedDocument]:
    """Every indexed document with its metadata and section headings (from the catalog); a
    document recorded in several versions once, as its latest version.

    A history of 149 captures listed row by row buried everything else on the page.
    """
    from qa.retrieve.catalog import catalog_of

    catalog = catalog_of(chain.store)
    history: dict[str, tuple[int, str]] = {}
    earlier: set[str] = set()
    for versions in catalog.timelines.values():
        history[versions[-1].doc_id] = (len(versions), versions[0].valid_from)
        earlier.update(version.doc_id for version in versions[:-1])
    documents = []
    for doc_id, meta in catalog.documents.items():
        if doc_id in earlier:
            continue
        count, since = history.get(doc_id, (1, ""))
        sections, passages = catalog.outlines.get(doc_id, ([], 0))
        documents.append(
            IndexedDocument(
                doc_id=doc_id,
                title=str(meta.get("title") or ""),
                publisher=str(meta.get("publisher") or ""),
                kind=str(meta.get("kind") or ""),
                date=str(meta.get("document_date") or ""),
                language=str(meta.get("language") or ""),
                sections=tuple(sections),
                passages=passages,
                versions=count,
                since=since,
            )
        )
    return documents


def answers_example(example: Example, result: AnswerResult) -> bool:
    """Whether ``result`` answers ``example`` well enough to offer it on the empty page.

    It must be an answer (no abstention), its first citation must come from the document the
    example names, and, for a question about a heading, that first quote must come from the
    heading's section, or carry all the heading's words but one when it has three or more
    (``topic_stems``): a quote from the document's preamble does not answer a question about
    "third-party information", though both say "information".
    """
    if result.abstained or result.invalid_input or not result.citations:
        return False
    first = min(result.citations, key=lambda c: c.marker)
    if first.source.doc_id != example.doc_id:
        return False
    if example.section and section_label(first.source.section) == example.section:
        return True
    wanted = topic_stems(example.topic)
    if not example.section or not wanted:
        return True
    return len(wanted) >= 3 and len(wanted - topic_stems(first.quote)) <= 1


def checked_examples(
    chain: AnswerChain,
    candidates: list[Example],
    limit: int = EXAMPLES_SHOWN,
    asks: int = EXAMPLE_ASKS,
) -> list[str]:
    """The candidates the chain answers well (``answers_example``), one per group.

    Asks the chain at most ``asks`` times, in the candidates' order, and stops at ``limit``
    examples: fewer examples rather than bad ones. With a chat model configured, the check
    asks for the extractive answer (the same retrieval and evidence) so it costs no model call.

    Raises:
        FineprintError: The index cannot be read (the page says so; nothing is kept).
    """
    checker = chain
    if getattr(chain, "_chat", None) is not None:
        checker = copy.copy(chain)
        checker._chat = None
    kept: list[str] = []
    groups: set[str] = set()
    asked = 0
    for example in candidates:
        if len(kept) >= limit or asked >= asks:
            break
        if example.group in groups:
            continue
        asked += 1
        result = checker.invoke({"question": example.question})
        if answers_example(example, result):
            kept.append(example.question)
            groups.add(example.group)
    return kept


class ExampleCache:
    """The checked example questions of the index as it is, computed once per generation."""

    def __init__(self) -> None:
        """Start with nothing checked."""
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._examples: list[str] = []

    def get(self, chain: AnswerChain, documents: list[IndexedDocument]) -> list[str]:
        """The examples for ``documents``: checked again only when the documents changed."""
        key = tuple(sorted((d.doc_id, d.title, d.passages, d.sections) for d in documents))
        with self._lock:
            if key != self._key:
                self._examples = checked_examples(chain, example_candidates(documents))
                self._key = key
            return list(self._examples)


class ChainHolder:
    """The answer chain, opened once the index can be answered from (``status``)."""

    def __init__(
        self, settings: Settings, chain: AnswerChain | None, status: IndexStatus | None
    ) -> None:
        """Hold ``chain``, or open one from ``settings`` when ``status`` says it is time."""
        self.settings = settings
        self.status = status
        self._chain = chain
        self._lock = threading.Lock()

    def get(self) -> AnswerChain | None:
        """The chain, or ``None`` while the index is not ready yet.

        Raises:
            FineprintError: The index cannot be opened (missing, other model, indexing failed).
        """
        if self._chain is not None:
            return self._chain
        if self.status is not None:
            if self.status.phase == "failed":
                problem = ui("en", "index_failed", problem=self.status.problem)
                if self.status.unreachable:
                    raise IndexUnreachableError(problem)
                raise FineprintError(problem)
            if not self.status.answerable:
                return None
        from qa.answer.chain import AnswerChain

        with self._lock:
            if self._chain is None:
                self._chain = AnswerChain.from_settings(self.settings)
            return self._chain


def _language_of(question: str) -> str:
    cleaned = clean_question(question)
    return ui_language(question_language(cleaned)) if cleaned else "en"


def _controls(language: str, box: str) -> tuple[Any, Any, Any]:
    """Updates putting the question box (holding ``box``) and the buttons in ``language``."""
    import gradio as gr

    return (
        gr.update(
            value=box, label=ui(language, "question"), placeholder=ui(language, "placeholder")
        ),
        gr.update(value=ui(language, "ask")),
        gr.update(value=ui(language, "new_conversation")),
    )


def make_responder(
    holder: ChainHolder | AnswerChain,
) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """The chat's event handler: streams the conversation and each answer's sources.

    It yields, in order: the conversation HTML, the sources panel HTML, the question box, the
    turns kept for this visitor, the ask and new-conversation buttons, and the empty page
    (hidden once there is a conversation).
    """
    if not isinstance(holder, ChainHolder):
        holder = ChainHolder(holder.settings, holder, None)
    chains = holder

    def respond(
        question: str,
        turns: list[Turn] | None,
        publisher: str | None = None,
        kind: str | None = None,
        language: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        as_of: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Answer ``question`` with its own sources, streaming the answer as it is composed."""
        import gradio as gr

        question = question or ""
        turns = list(turns or [])
        if not clean_question(question):
            # Nothing asked (or only invisible characters): nothing changes, not even a turn.
            yield tuple(gr.skip() for _ in range(7))
            return
        words = _language_of(question)
        shown = question if len(question) <= MAX_ECHO_CHARS else question[:MAX_ECHO_CHARS] + "…"
        turn = Turn(question=shown, language=words)
        turns.append(turn)

        def state(box: str) -> tuple[Any, ...]:
            box_update, ask_update, clear_update = _controls(turn.page_language, box)
            return (
                render_conversation(turns),
                render_sources(turns),
                box_update,
                turns,
                ask_update,
                clear_update,
                gr.update(visible=False),
            )

        try:
            filters = form_filters(
                publisher, kind, language, date_from, date_to, as_of, words=words
            )
        except FineprintError as exc:
            problem = human_message(str(exc), capitalise=False)
            turn.message = ui(words, "fix_filters", problem=problem)
            yield state(question)
            return
        turn.filters = describe_filters(filters)
        try:
            chain = chains.get()
        except FineprintError as exc:
            _log.warning("not answered: %s", exc)
            turn.message = human_message(str(exc))
            yield state(question)
            return
        if chain is None:
            status = chains.status
            done, total = (status.done, status.total) if status else (0, 0)
            turn.message = ui(words, "still_indexing", done=done, total=total)
            yield state(question)
            return
        turn.pending = True
        yield state("")
        try:
            for result in chain.stream({"question": question, "filters": filters}):
                turn.result = result
                yield state("")
        except FineprintError as exc:
            # The user's to fix (a stopped Chroma server, a bad filter): no traceback.
            _log.warning("not answered: %s", exc)
            turn.result = None
            turn.message = human_message(str(exc))
        except Exception:
            # A bug: the reader gets a plain apology, and the server's log the whole traceback.
            _log.exception("answering %r failed", question[:MAX_ECHO_CHARS])
            turn.result = None
            turn.message = ui(words, "failed")
        turn.pending = False
        yield state("")

    return respond


def make_json_answerer(holder: ChainHolder | AnswerChain) -> Callable[..., dict[str, Any]]:
    """The ``/answer`` API endpoint: one question in, the whole ``AnswerResult`` out as JSON.

    While the server builds its first index, a question waits for it.
    """
    if not isinstance(holder, ChainHolder):
        holder = ChainHolder(holder.settings, holder, None)
    chains = holder

    def answer(
        question: str,
        publisher: str = "",
        kind: str = "",
        language: str = "",
        date_from: str = "",
        date_to: str = "",
        as_of: str = "",
    ) -> dict[str, Any]:
        """Answer one question with filters; returns answer, citations, passages and notes.

        ``as_of`` (``2020``, ``2020-12`` or ``2020-12-01``) answers from the versions in force
        then, as ``fineprint ask --as-of`` does.
        """
        import gradio as gr

        try:
            filters = form_filters(
                publisher,
                kind,
                language,
                date_from,
                date_to,
                as_of,
                words=_language_of(question),
            )
            chain = chains.get()
            if chain is None and chains.status is not None:
                chains.status.wait()
                chain = chains.get()
            if chain is None:
                raise FineprintError(ui("en", "no_documents"))
            return chain.invoke({"question": question, "filters": filters}).model_dump(mode="json")
        except FineprintError as exc:
            raise gr.Error(str(exc)) from exc

    return answer


def make_index_view(holder: ChainHolder) -> Callable[[], tuple[Any, ...]]:
    """The page-load (and progress timer) handler: what the page says about the index.

    It returns, in order: the header's summary, the publisher, kind and language drop-downs'
    choices, the empty page (documents and checked examples), the progress or problem above
    the conversation, and the progress timer. Index metadata reaches the page only through
    it, after any login: Gradio embeds the components' initial values in the page it serves
    before the login. An index that cannot be read (a stopped Chroma server) is a sentence in
    the header and above the conversation, and one line in the log without a traceback.
    """
    examples = ExampleCache()

    def current_index() -> tuple[Any, ...]:
        import gradio as gr

        try:
            return index_state()
        except FineprintError as exc:
            _log.warning("the index cannot be read: %s", exc)
            words = "unreachable" if isinstance(exc, IndexUnreachableError) else "unreadable"
            return (
                render_index_problem(ui("en", words)),
                *(gr.skip() for _ in range(3)),
                gr.skip(),
                render_problem(str(exc)),
                gr.Timer(active=False),
            )

    def index_state() -> tuple[Any, ...]:
        import gradio as gr

        ready = holder.get()
        status = holder.status
        if ready is None:
            assert status is not None
            progress = render_progress(
                status.done,
                status.total,
                status.passages,
                status.seconds_left(),
                fraction=status.fraction(),
            )
            return ("", *(gr.skip() for _ in range(4)), progress, gr.Timer(active=True))
        ready.store.refresh()
        documents = indexed_documents(ready)
        choices = filter_choices(documents)
        languages = [ANY_CHOICE, *((language_label(c), c) for c in choices.languages)]
        return (
            index_summary(choices.documents, sum(doc.versions for doc in documents)),
            gr.update(choices=[ANY_CHOICE, *((p, p) for p in choices.publishers)]),
            gr.update(choices=[ANY_CHOICE, *((k, k) for k in choices.kinds)]),
            gr.update(choices=languages),
            render_welcome(documents, examples.get(ready, documents)),
            "",
            gr.Timer(active=False),
        )

    return current_index


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts: nothing is fetched from font hosts.

    A field's help line (the filters' "info") is the page's grey, 7:1 on white: Gradio's own,
    #9ca3af, is 2.5:1 and fails axe's contrast check once the filters are open.
    """
    import gradio as gr

    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]).set(
        block_info_text_color=INFO_TEXT_COLOR
    )


def build_app(
    settings: Settings, chain: AnswerChain | None = None, status: IndexStatus | None = None
) -> gr.Blocks:
    """Build the page: conversation, question box and filters beside the sources panel, and
    the Changes tab.

    Args:
        settings: Where the index is and the server's limits.
        chain: An opened chain (opened from ``settings`` when not given).
        status: The server's indexing, when it indexes while the page is up: the page shows
            its progress and answers once the index is ready.

    Raises:
        IndexMissingError: There is no index yet and no ``status`` to wait for.
        IndexMismatchError: The index was embedded by another model.
    """
    import gradio as gr

    from qa.answer.chain import AnswerChain

    if chain is None and status is None:
        chain = AnswerChain.from_settings(settings)
    holder = ChainHolder(settings, chain, status)
    respond = make_responder(holder)
    any_choice = ANY_CHOICE

    current_index = make_index_view(holder)

    def new_conversation() -> tuple[Any, ...]:
        box, ask_label, clear_label = _controls("en", "")
        return (
            render_conversation([]),
            render_sources([]),
            box,
            [],
            ask_label,
            clear_label,
            gr.update(visible=True),
        )

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        with gr.Row(elem_id="fp-header"):
            gr.HTML(
                f'<h1 class="fp-h1">{APP_TITLE}</h1><p class="fp-tagline">Answers about privacy '
                "policies and terms, quoted from the documents themselves.</p>",
                js_on_load=None,
            )
            summary = gr.HTML("", elem_id="fp-index-summary", js_on_load=None)
        turns = gr.State([])
        timer = gr.Timer(PROGRESS_SECONDS, active=False)
        changes_language = gr.State("en")
        with gr.Tabs(selected=ASK_TAB_ID, elem_id="fp-tabs") as tabs:
            with (
                gr.Tab(ui("en", "ask_tab"), id=ASK_TAB_ID, elem_id="fp-ask-tab"),
                gr.Row(equal_height=False, elem_id="fp-layout"),
            ):
                with gr.Column(scale=3, elem_id="fp-main"):
                    progress = gr.HTML("", elem_id="fp-progress", js_on_load=None)
                    chat = gr.HTML(render_conversation([]), elem_id="fp-chat", js_on_load=None)
                    with gr.Row(elem_id="fp-ask-row"):
                        question = gr.Textbox(
                            label=ui("en", "question"),
                            elem_id="fp-question",
                            placeholder=ui("en", "placeholder"),
                            # No cut below what a person may paste: a cut question would be
                            # refused with a length it never had.
                            max_length=MAX_PASTE_CHARS,
                            lines=1,
                            scale=5,
                            autofocus=True,
                        )
                        ask = gr.Button(
                            ui("en", "ask"),
                            variant="primary",
                            elem_id="fp-ask",
                            scale=1,
                            min_width=80,
                        )
                    welcome = gr.HTML("", elem_id="fp-welcome", js_on_load=None)
                    with gr.Accordion("Filters (apply to the next question)", open=False):
                        with gr.Row():
                            publisher = gr.Dropdown(
                                [any_choice],
                                value=NO_FILTER,
                                label="Publisher",
                                info="Matches part of the name; type your own.",
                                allow_custom_value=True,
                                elem_id="fp-filter-publisher",
                            )
                            kind = gr.Dropdown(
                                [any_choice, *((k, k) for k in DOCUMENT_KINDS)],
                                value=NO_FILTER,
                                label="Kind",
                                allow_custom_value=True,
                                elem_id="fp-filter-kind",
                            )
                            language = gr.Dropdown(
                                [any_choice],
                                value=NO_FILTER,
                                label="Document language",
                                allow_custom_value=True,
                                elem_id="fp-filter-language",
                            )
                        with gr.Row():
                            date_from = gr.Textbox(
                                label="Dated from",
                                placeholder="YYYY-MM-DD",
                                elem_id="fp-date-from",
                            )
                            date_to = gr.Textbox(
                                label="Dated to", placeholder="YYYY-MM-DD", elem_id="fp-date-to"
                            )
                            as_of = gr.Textbox(
                                label=ui("en", "as_of"),
                                info="Answer from the versions in force then.",
                                placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                elem_id="fp-as-of",
                            )
                    clear = gr.Button(
                        ui("en", "new_conversation"), elem_id="fp-clear", variant="secondary"
                    )
                with gr.Column(scale=2, elem_id="fp-sources-col"):
                    sources = gr.HTML(render_sources([]), elem_id="fp-sources", js_on_load=None)
            with gr.Tab(
                changes_words("en", "tab"), id=CHANGES_TAB_ID, elem_id="fp-changes-tab"
            ) as changes_tab:
                with gr.Row(elem_id="fp-changes-pick"):
                    series_pick = gr.Dropdown(
                        [],
                        label=changes_words("en", "series"),
                        elem_id="fp-changes-series",
                        scale=2,
                    )
                    older_pick = gr.Dropdown(
                        [], label=changes_words("en", "older"), elem_id="fp-changes-old"
                    )
                    newer_pick = gr.Dropdown(
                        [], label=changes_words("en", "newer"), elem_id="fp-changes-new"
                    )
                changes_view = gr.HTML(
                    render_message(changes_words("en", "pick")),
                    elem_id="fp-changes",
                    js_on_load=None,
                )
        # Where the page's script posts a followed "See how this changed" (hidden by page.css;
        # outside the tabs, so it exists whichever tab is shown).
        with gr.Row(elem_id="fp-changes-request"):
            changes_request = gr.Textbox(
                label="Changes request", elem_id="fp-changes-link", container=False
            )
            changes_go = gr.Button("Open changes", elem_id="fp-changes-go")
            # Set while a followed link opens the Changes tab. Held by the page, not a State:
            # the tab's select event, which the opening fires, must read it already set.
            changes_following = gr.Checkbox(
                False, label="Following a link", elem_id="fp-changes-following"
            )
        conversation_outputs = [chat, sources, question, turns, ask, clear, welcome]
        gr.on(
            triggers=[question.submit, ask.click],
            fn=respond,
            inputs=[question, turns, publisher, kind, language, date_from, date_to, as_of],
            outputs=conversation_outputs,
            api_name="ask",
            show_progress="hidden",
            concurrency_id=CONCURRENCY_ID,
        )
        gr.api(
            make_json_answerer(holder),
            api_name="answer",
            concurrency_id=CONCURRENCY_ID,
        )
        clear.click(
            new_conversation,
            outputs=conversation_outputs,
            api_visibility="private",
            show_progress="hidden",
        )
        changes = ChangesPage(holder)
        picks = [series_pick, older_pick, newer_pick]
        # What the drop-downs hold, (series, older, newer), kept on the server. The tab's
        # select event reads it, not the drop-downs: a followed link fires that event with the
        # drop-downs' previous values, and Gradio would check a previous series' version
        # against the new series' choices ("not in the list of choices") once the link's
        # handler has set them.
        changes_shown = gr.State(None)

        def open_changes_tab(shown: Any, language: str | None, following: bool) -> tuple[Any, ...]:
            series, old, new = shown if isinstance(shown, (list, tuple)) else (None, None, None)
            *updates, view = changes.open_tab(series, old, new, language, following)
            return (*updates, view, shown_pick(tuple(updates), shown))

        def pick_series(series: str | None, language: str | None, shown: Any) -> tuple[Any, ...]:
            *updates, view = changes.pick_series(series, language)
            return (*updates, view, shown_pick((series, *updates), shown))

        def compare(
            series: str | None, old: str | None, new: str | None, language: str | None
        ) -> tuple[str, tuple[Any, ...]]:
            return changes.compare(series, old, new, language), (series, old, new)

        def follow(request: str | None, shown: Any) -> tuple[Any, ...]:
            *updates, view, language, following = changes.follow(request)
            return (*updates, view, language, following, shown_pick(tuple(updates), shown))

        changes_tab.select(
            open_changes_tab,
            inputs=[changes_shown, changes_language, changes_following],
            outputs=[*picks, changes_view, changes_shown],
            api_visibility="private",
            show_progress="minimal",
        )
        # A pick made while a comparison computes must not be dropped (Gradio's default
        # trigger mode, "once", ignores an event while its last run is pending): the last pick
        # runs once the pending one is done, with the drop-downs' values at that time.
        series_pick.input(
            pick_series,
            inputs=[series_pick, changes_language, changes_shown],
            outputs=[older_pick, newer_pick, changes_view, changes_shown],
            api_visibility="private",
            show_progress="minimal",
            trigger_mode="always_last",
        )
        gr.on(
            triggers=[older_pick.input, newer_pick.input],
            fn=compare,
            inputs=[*picks, changes_language],
            outputs=[changes_view, changes_shown],
            api_visibility="private",
            show_progress="minimal",
            trigger_mode="always_last",
        )
        # The tab opens at once, saying it compares; the comparison follows.
        changes_go.click(
            changes.opening,
            inputs=[changes_request],
            outputs=[tabs, changes_view, changes_following],
            api_visibility="private",
            show_progress="hidden",
        ).then(
            follow,
            inputs=[changes_request, changes_shown],
            outputs=[*picks, changes_view, changes_language, changes_following, changes_shown],
            api_visibility="private",
            show_progress="minimal",
        )
        index_outputs = [summary, publisher, kind, language, welcome, progress, timer]
        demo.load(
            current_index,
            outputs=index_outputs,
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=None,
        )
        timer.tick(
            current_index,
            outputs=index_outputs,
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=None,
        )
    return demo
