"""The web chat: a Gradio page that answers questions with cited, highlighted sources.

``build_app`` wires the pure renderers of ``qa.ui.render`` to an ``AnswerChain``; the page's
stylesheet and script are ``page.css`` and ``page.js`` beside this module. The conversation is
the page's own HTML (each answer with its own sources), kept per visitor as a list of ``Turn``s.
Starting a server and indexing is ``qa.ui.server``'s job; while the server indexes, the page
shows its progress (``qa.ui.progress``).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import FilterError, FineprintError
from qa.index.chunking import SECTION_SEPARATOR
from qa.load.language import question_language
from qa.load.question import clean_question
from qa.retrieve.filters import SearchFilters
from qa.settings import DOCUMENT_KINDS, Settings
from qa.ui.progress import IndexStatus
from qa.ui.render import (
    IndexedDocument,
    Turn,
    describe_filters,
    example_questions,
    language_label,
    render_conversation,
    render_progress,
    render_sources,
    render_welcome,
    ui,
    ui_language,
)

if TYPE_CHECKING:
    import gradio as gr

    from qa.answer.chain import AnswerChain

_log = logging.getLogger(__name__)

APP_TITLE = "Fineprint"
PAGE_DIR = Path(__file__).parent
# How much of an over-long question the conversation echoes back.
MAX_ECHO_CHARS = 600
# The drop-downs' value for "no filter" (shown as "Any").
NO_FILTER = ""
# Chat and JSON API share one limit: at most ``settings.concurrency`` answers at once in all.
CONCURRENCY_ID = "fineprint-answer"
# How often the page asks for indexing progress while the server indexes.
PROGRESS_SECONDS = 1.0


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


def form_filters(
    publisher: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    *,
    words: str = "en",
) -> SearchFilters:
    """The form's filter values as ``SearchFilters`` (blank or "Any" means no filter).

    Args:
        words: The language of the error messages (the question's).

    Raises:
        FilterError: A date is not ``YYYY-MM-DD``, or the range ends before it starts; the
            message names the form's fields, in ``words``.
    """
    start = _check_date(date_from, "date_from", words)
    end = _check_date(date_to, "date_to", words)
    if start and end and end < start:
        raise FilterError(ui(words, "date_order", start=start, to=end))
    return SearchFilters.from_values(
        publisher=publisher, kind=kind, language=language, date_from=start, date_to=end
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


def index_summary(count: int) -> str:
    """One line saying how many documents are indexed, for the top of the page."""
    return ui("en", "summary_one") if count == 1 else ui("en", "summary", count=count)


def indexed_documents(chain: AnswerChain) -> list[IndexedDocument]:
    """Every indexed document with its metadata and section headings (from the catalog)."""
    from qa.retrieve.catalog import catalog_of

    catalog = catalog_of(chain.store)
    sections: dict[str, Counter[str]] = {}
    passages: Counter[str] = Counter()
    for passage in catalog.lexical.passages:
        doc_id = passage.metadata["doc_id"]
        passages[doc_id] += 1
        section = str(passage.metadata.get("section") or "")
        if section:
            last = section.split(SECTION_SEPARATOR)[-1].strip()
            sections.setdefault(doc_id, Counter())[last] += 1
    documents = []
    for doc_id, meta in catalog.documents.items():
        counts = sections.get(doc_id, Counter())
        documents.append(
            IndexedDocument(
                doc_id=doc_id,
                title=str(meta.get("title") or ""),
                publisher=str(meta.get("publisher") or ""),
                kind=str(meta.get("kind") or ""),
                date=str(meta.get("document_date") or ""),
                language=str(meta.get("language") or ""),
                sections=tuple(name for name, _ in counts.most_common()),
                passages=passages[doc_id],
            )
        )
    return documents


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
                raise FineprintError(ui("en", "index_failed", problem=self.status.problem))
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
    ) -> Iterator[tuple[Any, ...]]:
        """Answer ``question`` with its own sources, streaming the answer as it is composed."""
        import gradio as gr

        question = question or ""
        turns = list(turns or [])
        if not question.strip():
            # Nothing asked: nothing changes, not even a new turn.
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
            filters = form_filters(publisher, kind, language, date_from, date_to, words=words)
        except FineprintError as exc:
            turn.message = ui(words, "fix_filters", problem=f"{exc}.")
            yield state(question)
            return
        turn.filters = describe_filters(filters)
        try:
            chain = chains.get()
        except FineprintError as exc:
            turn.message = str(exc)
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
            turn.result = None
            turn.message = f"{exc}."
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
    ) -> dict[str, Any]:
        """Answer one question with filters; returns answer, citations, passages and notes."""
        import gradio as gr

        try:
            filters = form_filters(
                publisher, kind, language, date_from, date_to, words=_language_of(question)
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


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts: nothing is fetched from font hosts."""
    import gradio as gr

    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"])


def build_app(
    settings: Settings, chain: AnswerChain | None = None, status: IndexStatus | None = None
) -> gr.Blocks:
    """Build the page: conversation, question box and filters beside the sources panel.

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
    any_choice = ("Any", NO_FILTER)

    def current_index() -> tuple[Any, ...]:
        # Index metadata reaches the page only through this event, after any login: Gradio
        # embeds the components' initial values in the page it serves before the login.
        try:
            ready = holder.get()
        except FineprintError as exc:
            problem = str(exc)
            return (
                "",
                *(gr.skip() for _ in range(3)),
                gr.skip(),
                render_progress(0, 0, 0, None, problem=problem),
                gr.Timer(active=False),
            )
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
        return (
            index_summary(choices.documents),
            gr.update(choices=[any_choice, *((p, p) for p in choices.publishers)]),
            gr.update(choices=[any_choice, *((k, k) for k in choices.kinds)]),
            gr.update(choices=[any_choice, *((language_label(c), c) for c in choices.languages)]),
            render_welcome(documents, example_questions(documents)),
            "",
            gr.Timer(active=False),
        )

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
        with gr.Row(equal_height=False, elem_id="fp-layout"):
            with gr.Column(scale=3, elem_id="fp-main"):
                progress = gr.HTML("", elem_id="fp-progress", js_on_load=None)
                chat = gr.HTML(render_conversation([]), elem_id="fp-chat", js_on_load=None)
                with gr.Row(elem_id="fp-ask-row"):
                    question = gr.Textbox(
                        label=ui("en", "question"),
                        elem_id="fp-question",
                        placeholder=ui("en", "placeholder"),
                        max_length=settings.max_question_chars * 4,
                        lines=1,
                        scale=5,
                        autofocus=True,
                    )
                    ask = gr.Button(
                        ui("en", "ask"), variant="primary", elem_id="fp-ask", scale=1, min_width=80
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
                            label="Dated from", placeholder="YYYY-MM-DD", elem_id="fp-date-from"
                        )
                        date_to = gr.Textbox(
                            label="Dated to", placeholder="YYYY-MM-DD", elem_id="fp-date-to"
                        )
                clear = gr.Button(
                    ui("en", "new_conversation"), elem_id="fp-clear", variant="secondary"
                )
            with gr.Column(scale=2, elem_id="fp-sources-col"):
                sources = gr.HTML(render_sources([]), elem_id="fp-sources", js_on_load=None)
        conversation_outputs = [chat, sources, question, turns, ask, clear, welcome]
        gr.on(
            triggers=[question.submit, ask.click],
            fn=respond,
            inputs=[question, turns, publisher, kind, language, date_from, date_to],
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
