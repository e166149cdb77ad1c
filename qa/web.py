"""The web chat: a Gradio page that answers questions with cited, highlighted sources.

``build_app`` wires the pure renderers of ``qa.present`` to an ``AnswerChain``; ``serve`` brings
the index up to date, checks the bind address and credentials, and launches the server with
analytics and sharing off.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# Gradio reads this when it is imported; no analytics, no version checks, no calls home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from qa.filters import SearchFilters
from qa.present import escape_markdown, language_label, render_answer, render_sources
from qa.settings import Settings

if TYPE_CHECKING:
    import gradio as gr

    from qa.chain import AnswerChain
    from qa.ingest import IngestReport

APP_TITLE = "Fineprint"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Waiting requests beyond the ones being answered; more than this are turned away.
QUEUE_MAX_SIZE = 64
# How much of an over-long question the chat echoes back.
MAX_ECHO_CHARS = 600
ANY = ""
# Chat and JSON API share one limit: at most ``settings.concurrency`` answers at once in all.
CONCURRENCY_ID = "fineprint-answer"
EXAMPLE_QUESTIONS = (
    "Is my contact list shared with Facebook?",
    "Apakah daftar kontak saya dibagikan ke Facebook?",
    "When does the new WhatsApp privacy policy take effect?",
    "What does Signal store about me?",
)
KNOWN_KINDS = ("policy", "terms", "news", "statement")


PAGE_CSS = """
.fp-sources { font-size: 0.95rem; line-height: 1.45; }
.fp-sources h3 { margin: 0 0 0.5rem 0; font-size: 1.05rem; }
.fp-empty { color: var(--body-text-color-subdued); }
.fp-filters { color: var(--body-text-color-subdued); margin: 0 0 0.6rem 0; }
.fp-not-answer { border: 2px solid #b45309; background: #fffbeb; color: #78350f;
  padding: 0.5rem 0.75rem; border-radius: 6px; margin-bottom: 0.75rem; }
.fp-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.6rem 0.8rem; margin-bottom: 0.75rem; background: var(--background-fill-primary); }
.fp-source.fp-flash { outline: 3px solid #2563eb; }
.fp-source-head { font-weight: 600; margin-bottom: 0.3rem; }
.fp-marker { display: inline-block; min-width: 2.2em; color: #1d4ed8; }
.fp-meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.6rem;
  margin: 0 0 0.4rem 0; font-size: 0.85rem; }
.fp-meta dt { color: var(--body-text-color-subdued); }
.fp-meta dd { margin: 0; }
.fp-passage { white-space: pre-wrap; margin: 0; padding: 0.4rem 0.6rem;
  border-left: 3px solid var(--border-color-primary);
  background: var(--background-fill-secondary); }
.fp-passage mark { background: #fde68a; color: inherit; padding: 0 1px; }
.fp-link { font-size: 0.85rem; }
a.fp-cite { text-decoration: none; font-weight: 600; color: #1d4ed8; }
"""

# Citation markers in the chat scroll the sources panel to their passage and flash it.
PAGE_JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.fp-cite") : null;
    if (!link) return;
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const card = id ? document.getElementById(id) : null;
    event.preventDefault();
    event.stopPropagation();
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    card.classList.add("fp-flash");
    setTimeout(() => card.classList.remove("fp-flash"), 1600);
  }, true);
}
"""


class ServeError(RuntimeError):
    """The server cannot start as configured; the message says what to change."""


# ----------------------------------------------------------------------------------------------

# ----------------------------------------------------------------------------------------------
# Filters from the form.
# ----------------------------------------------------------------------------------------------


def parse_filters(
    publisher: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> SearchFilters:
    """Turn the form's filter values into ``SearchFilters`` (blank or "Any" means no filter).

    Raises:
        ValueError: A date is not ``YYYY-MM-DD``, or the range ends before it starts.

    Example:
        >>> parse_filters(kind="policy", date_from=" 2021-01-01 ").date_from
        '2021-01-01'
    """

    def clean(value: str | None) -> str | None:
        value = (value or "").strip()
        return None if not value or value.casefold() == "any" else value

    filters = SearchFilters(
        publisher=clean(publisher),
        kind=clean(kind),
        language=clean(language),
        date_from=clean(date_from),
        date_to=clean(date_to),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        msg = f"the date range ends ({filters.date_to}) before it starts ({filters.date_from})"
        raise ValueError(msg)
    return filters


# ----------------------------------------------------------------------------------------------
# The app.
# ----------------------------------------------------------------------------------------------


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
        kinds=sorted({d.kind for d in docs if d.kind} | set(KNOWN_KINDS)),
        languages=sorted({d.language for d in docs if d.language}),
        documents=len(docs),
    )


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
            filters = parse_filters(publisher, kind, language, date_from, date_to)
        except ValueError as exc:
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
        except Exception as exc:  # shown to the user instead of a bare "Error" toast
            message = f"Sorry, answering failed ({type(exc).__name__}: {exc})."
            history[-1] = {"role": "assistant", "content": escape_markdown(message)}
            print(f"fineprint: answering failed: {exc!r}", file=sys.stderr, flush=True)
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
            filters = parse_filters(publisher, kind, language, date_from, date_to)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        return chain.invoke({"question": question, "filters": filters}).model_dump(mode="json")

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
        ValueError: The index is missing or was built with other settings.
    """
    import gradio as gr

    from qa.chain import AnswerChain

    chain = chain or AnswerChain.from_settings(settings)
    choices = filter_choices(chain)
    respond = make_responder(chain)
    any_choice = ("Any", ANY)

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.Markdown(
            f"# {APP_TITLE}\nAsk about privacy policies and terms of service. Answers quote "
            f"the indexed documents ({choices.documents} of them) and cite them: click a "
            "marker such as [1] to see its passage."
        )
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
                            [any_choice, *((p, p) for p in choices.publishers)],
                            value=ANY,
                            label="Publisher",
                            info="Matches part of the name; type your own.",
                            allow_custom_value=True,
                            elem_id="fp-filter-publisher",
                        )
                        kind = gr.Dropdown(
                            [any_choice, *((k, k) for k in choices.kinds)],
                            value=ANY,
                            label="Kind",
                            elem_id="fp-filter-kind",
                        )
                        language = gr.Dropdown(
                            [any_choice, *((language_label(c), c) for c in choices.languages)],
                            value=ANY,
                            label="Document language",
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
    return demo


def check_bind(settings: Settings) -> tuple[str, str] | None:
    """The login to require, or ``None`` on a loopback address without credentials.

    Raises:
        ServeError: Bound to a non-loopback address without FINEPRINT_AUTH_USER and
            FINEPRINT_AUTH_PASSWORD, or with only one of them.
    """
    user = (settings.auth_user or "").strip()
    password = settings.auth_password.get_secret_value() if settings.auth_password else ""
    if bool(user) != bool(password):
        msg = "set both FINEPRINT_AUTH_USER and FINEPRINT_AUTH_PASSWORD, or neither"
        raise ServeError(msg)
    if user:
        return user, password
    if not _is_loopback(settings.host):
        msg = (
            f"refusing to serve on {settings.host} without a login: set FINEPRINT_AUTH_USER "
            "and FINEPRINT_AUTH_PASSWORD, or bind to 127.0.0.1"
        )
        raise ServeError(msg)
    return None


def _is_loopback(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_index(settings: Settings, echo: Callable[[str], None] = print) -> IngestReport | None:
    """Bring the index in step with the corpus, reporting progress through ``echo``.

    Returns the ingest report, or ``None`` when the corpus folder is missing but an index
    exists (it is then served as it is).

    Raises:
        ServeError: Neither the corpus nor an index exists, or the index was built with
            other settings.
    """
    from qa.ingest import ingest
    from qa.manifest import Manifest

    if not settings.corpus_dir.is_dir():
        if Manifest.read(settings.index_dir) is not None:
            echo(f"corpus {settings.corpus_dir} not found; serving the index as it is")
            return None
        msg = f"corpus folder {settings.corpus_dir} does not exist and there is no index yet"
        raise ServeError(msg)
    echo(f"checking the index {settings.index_dir} against the corpus {settings.corpus_dir} …")

    def progress(done: int, total: int, doc_id: str) -> None:
        echo(f"  [{done}/{total}] {doc_id}")

    try:
        report = ingest(settings, progress=progress)
    except ValueError as exc:
        msg = f"{exc} (rebuild it with: fineprint ingest --rebuild)"
        raise ServeError(msg) from exc
    for skipped in report.skipped:
        echo(f"  skipped {skipped.doc_id}: {skipped.reason}")
    echo(f"index ready: {report.summary()}")
    return report


def serve(
    settings: Settings,
    *,
    prevent_thread_lock: bool = False,
    echo: Callable[[str], None] = print,
) -> gr.Blocks:
    """Update the index, build the page and serve it.

    Args:
        settings: Corpus, index, bind address, port, login and concurrency.
        prevent_thread_lock: Return once the server runs (tests) instead of blocking.
        echo: Where progress lines go.

    Raises:
        ServeError: The configuration cannot be served (see ``check_bind``/``prepare_index``).
    """
    auth = check_bind(settings)
    prepare_index(settings, echo)
    try:
        demo = build_app(settings)
    except ValueError as exc:
        raise ServeError(str(exc)) from exc
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=QUEUE_MAX_SIZE)
    echo(f"serving on http://{settings.host}:{settings.port} (Ctrl+C stops)")
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        auth=auth,
        auth_message="Fineprint: please log in." if auth else None,
        prevent_thread_lock=prevent_thread_lock,
        show_error=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        footer_links=["api", "settings"],
        quiet=True,
        theme=theme(),
        css=PAGE_CSS,
        js=PAGE_JS,
    )
    return demo


def _echo(line: str) -> None:
    print(line, flush=True)


def main() -> None:
    """Serve with ``Settings()`` from the environment; a clear message and exit 1 on errors."""
    try:
        settings = Settings()
        serve(settings, echo=_echo)
    except (ServeError, ValueError) as exc:
        print(f"fineprint: cannot start: {exc}", file=sys.stderr)
        sys.exit(1)
