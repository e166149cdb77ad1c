"""The web chat: a Gradio page that answers questions with cited, highlighted sources.

``build_app`` wires the pure renderers of ``qa.ui.render`` to an ``AnswerChain``; the page's
stylesheet and script are ``page.css`` and ``page.js`` beside this module. Starting a server is
``qa.ui.server``'s job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import FineprintError
from qa.retrieve.filters import SearchFilters
from qa.settings import DOCUMENT_KINDS, Settings
from qa.ui.render import escape_markdown, language_label, render_answer, render_sources

if TYPE_CHECKING:
    import gradio as gr

    from qa.answer.chain import AnswerChain

_log = logging.getLogger(__name__)

APP_TITLE = "Fineprint"
ANSWER_FAILED = "Sorry, something went wrong while answering; the server's log has the details."
PAGE_DIR = Path(__file__).parent
# How much of an over-long question the chat echoes back.
MAX_ECHO_CHARS = 600
# The drop-downs' value for "no filter" (shown as "Any").
NO_FILTER = ""
# Chat and JSON API share one limit: at most ``settings.concurrency`` answers at once in all.
CONCURRENCY_ID = "fineprint-answer"
EXAMPLE_QUESTIONS = (
    "Is my contact list shared with Facebook?",
    "Apakah daftar kontak saya dibagikan ke Facebook?",
    "When does the new WhatsApp privacy policy take effect?",
    "What does Signal store about me?",
)


def page_css() -> str:
    """The page's stylesheet (``page.css``)."""
    return (PAGE_DIR / "page.css").read_text(encoding="utf-8")


def page_js() -> str:
    """The page's script (``page.js``): a function Gradio runs once the page has loaded."""
    return (PAGE_DIR / "page.js").read_text(encoding="utf-8")


def form_filters(
    publisher: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> SearchFilters:
    """The form's filter values as ``SearchFilters`` (blank or "Any" means no filter).

    Raises:
        FilterError: A date is not ``YYYY-MM-DD``, or the range ends before it starts.
    """
    return SearchFilters.from_values(
        publisher=publisher, kind=kind, language=language, date_from=date_from, date_to=date_to
    )


@dataclass(frozen=True)
class FilterChoices:
    """What the filter drop-downs offer, from the documents in the index."""

    publishers: list[str]
    kinds: list[str]
    languages: list[str]
    documents: int


def filter_choices(chain: AnswerChain) -> FilterChoices:
    """Read the publishers, kinds and languages of the indexed documents."""
    docs = chain.store.manifest.documents.values()
    return FilterChoices(
        publishers=sorted({d.publisher for d in docs if d.publisher}, key=str.casefold),
        kinds=sorted({d.kind for d in docs if d.kind} | set(DOCUMENT_KINDS)),
        languages=sorted({d.language for d in docs if d.language}),
        documents=len(docs),
    )


def index_summary(choices: FilterChoices) -> str:
    """One line saying how many documents are indexed, for the top of the page."""
    count = choices.documents
    noun = "document is" if count == 1 else "documents are"
    return f"{count} {noun} indexed."


def _user_turns(history: list[dict[str, Any]]) -> int:
    return sum(1 for message in history if message.get("role") == "user")


def make_responder(
    chain: AnswerChain,
) -> Callable[..., Iterator[tuple[list[dict[str, Any]], str, str]]]:
    """The chat's event handler: question, history and filters in; streamed updates out."""

    def respond(
        question: str,
        history: list[dict[str, Any]] | None,
        publisher: str | None = None,
        kind: str | None = None,
        language: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        """Answer ``question`` from its own sources, streaming the answer as it is composed.

        Yields:
            The chat history, the sources panel HTML, and the new (empty) question box.
        """
        history = list(history or [])
        question = question or ""
        turn = _user_turns(history) + 1
        shown = question if len(question) <= MAX_ECHO_CHARS else question[:MAX_ECHO_CHARS] + "…"
        history.append({"role": "user", "content": escape_markdown(shown)})
        try:
            filters = form_filters(publisher, kind, language, date_from, date_to)
        except FineprintError as exc:
            message = f"Please fix the filters: {exc}."
            history.append({"role": "assistant", "content": escape_markdown(message)})
            yield history, render_sources(None), question
            return
        history.append({"role": "assistant", "content": "…"})
        yield history, render_sources(None), ""
        try:
            for result in chain.stream({"question": question, "filters": filters}):
                history[-1] = {"role": "assistant", "content": render_answer(result, turn)}
                yield history, render_sources(result, turn, filters), ""
        except FineprintError as exc:
            history[-1] = {"role": "assistant", "content": escape_markdown(f"{exc}.")}
            yield history, render_sources(None), ""
        except Exception:
            # A bug: the reader gets a plain apology instead of a bare "Error" toast, and the
            # server's log gets the whole traceback.
            _log.exception("answering %r failed", question[:MAX_ECHO_CHARS])
            history[-1] = {"role": "assistant", "content": escape_markdown(ANSWER_FAILED)}
            yield history, render_sources(None), ""

    return respond


def make_json_answerer(chain: AnswerChain) -> Callable[..., dict[str, Any]]:
    """The ``/answer`` API endpoint: one question in, the whole ``AnswerResult`` out as JSON."""

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
            filters = form_filters(publisher, kind, language, date_from, date_to)
            return chain.invoke({"question": question, "filters": filters}).model_dump(mode="json")
        except FineprintError as exc:
            raise gr.Error(str(exc)) from exc

    return answer


def theme() -> gr.themes.Base:
    """Gradio's default look with the system's fonts: nothing is fetched from font hosts."""
    import gradio as gr

    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"])


def build_app(settings: Settings, chain: AnswerChain | None = None) -> gr.Blocks:
    """Build the page: chat, examples and filters on the left, the sources panel on the right.

    Args:
        settings: Where the index is and the server's limits.
        chain: An opened chain (opened from ``settings`` when not given).

    Raises:
        IndexMissingError: There is no index yet.
        IndexMismatchError: The index was embedded by another model.
    """
    import gradio as gr

    from qa.answer.chain import AnswerChain

    chain = chain or AnswerChain.from_settings(settings)
    respond = make_responder(chain)
    any_choice = ("Any", NO_FILTER)

    def current_index() -> tuple[str, Any, Any, Any]:
        # Index metadata reaches the page only through this event, after any login: Gradio
        # embeds the components' initial choices in the page it serves before the login.
        chain.store.refresh()
        choices = filter_choices(chain)
        return (
            index_summary(choices),
            gr.update(choices=[any_choice, *((p, p) for p in choices.publishers)]),
            gr.update(choices=[any_choice, *((k, k) for k in choices.kinds)]),
            gr.update(choices=[any_choice, *((language_label(c), c) for c in choices.languages)]),
        )

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.Markdown(
            f"# {APP_TITLE}\nAsk about privacy policies and terms of service. Answers quote "
            "the indexed documents and cite them: click a marker such as [1] to see its passage."
        )
        summary = gr.Markdown("", elem_id="fp-index-summary")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="fp-chat",
                    height=520,
                    sanitize_html=True,
                    render_markdown=True,
                    latex_delimiters=[],
                    allow_tags=False,
                    line_breaks=True,
                    buttons=["copy"],
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        elem_id="fp-question",
                        placeholder="Ask in English or Indonesian…",
                        max_length=settings.max_question_chars * 4,
                        lines=1,
                        scale=5,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="fp-ask", scale=1)
                gr.Examples(
                    examples=[[q] for q in EXAMPLE_QUESTIONS],
                    inputs=[question],
                    label="Example questions",
                )
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
                clear = gr.ClearButton(value="New conversation")
            with gr.Column(scale=2):
                sources = gr.HTML(
                    render_sources(None),
                    label="Sources",
                    elem_id="fp-sources",
                    js_on_load=None,
                )
        clear.add([chatbot, question, sources])
        gr.on(
            triggers=[question.submit, ask.click],
            fn=respond,
            inputs=[question, chatbot, publisher, kind, language, date_from, date_to],
            outputs=[chatbot, sources, question],
            api_name="ask",
            show_progress="minimal",
            concurrency_id=CONCURRENCY_ID,
        )
        gr.api(
            make_json_answerer(chain),
            api_name="answer",
            concurrency_id=CONCURRENCY_ID,
        )
        clear.click(lambda: render_sources(None), outputs=[sources], api_visibility="private")
        demo.load(
            current_index,
            outputs=[summary, publisher, kind, language],
            api_visibility="private",
        )
    return demo
