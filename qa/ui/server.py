"""Serving the web chat: bind address and login checks, launch, the index brought up to date.

The page comes up at once; the index is brought in step with the corpus in a background thread,
and the page shows its progress. A first start answers once the index is built; a restart
answers from the existing index while it is checked. Analytics, sharing, server-side rendering
and the MCP server are off: nothing calls out. The page has no upload, so Gradio's upload route
is closed, login or not.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qa.errors import FineprintError, IndexUnreachableError, ServeError
from qa.index.ingest import index_config, prepare_index, settings_location
from qa.index.location import ServerIndex
from qa.load import scan_corpus
from qa.settings import Settings
from qa.ui.app import build_app, page_css, page_js, theme
from qa.ui.progress import IndexStatus

if TYPE_CHECKING:
    import gradio as gr

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
UPLOAD_REFUSED = "Fineprint accepts no uploads."
# Gradio routes that store what is posted to them; the login form is the only other form.
UPLOAD_ROUTES = frozenset({"upload", "process_recording"})
LOGIN_ROUTE = "login"
# Waiting requests beyond the ones being answered; more than this are turned away.
QUEUE_MAX_SIZE = 64
_log = logging.getLogger(__name__)


class RefuseUploads:
    """ASGI middleware answering 403 to every request that would upload a file.

    That is a POST to an upload route (``.../upload``, ``.../process_recording``), or any POST
    with a ``multipart/form-data`` body except the login form's: the page sends questions as
    JSON and has nothing to upload.

    Example:
        >>> RefuseUploads.is_upload({"type": "http", "method": "POST",
        ...                          "path": "/gradio_api/upload", "headers": []})
        True
        >>> RefuseUploads.is_upload({"type": "http", "method": "POST", "path": "/login",
        ...                          "headers": [(b"content-type", b"multipart/form-data")]})
        False
    """

    def __init__(self, app: Any) -> None:
        """Wrap the ASGI ``app``."""
        self.app = app

    @staticmethod
    def is_upload(scope: dict[str, Any]) -> bool:
        """Whether the request in ``scope`` would upload a file."""
        if scope.get("type") != "http" or scope.get("method") != "POST":
            return False
        last = str(scope.get("path", "")).rstrip("/").rsplit("/", 1)[-1]
        if last in UPLOAD_ROUTES:
            return True
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        return content_type.startswith("multipart/form-data") and last != LOGIN_ROUTE

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Refuse uploads; pass everything else through."""
        if self.is_upload(scope):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse(UPLOAD_REFUSED, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


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


def check_index(settings: Settings) -> bool:
    """Whether an index exists; refuses what indexing would refuse, before the page starts.

    Raises:
        ServeError: Neither the corpus nor an index exists, or the index was built with other
            settings (embedding model or chunking) than ``settings``.
    """
    try:
        location = settings_location(settings)
        manifest = location.read_manifest()
    except FineprintError as exc:
        raise ServeError(str(exc)) from exc
    if isinstance(location, ServerIndex) and manifest is not None:
        # A shared index on a server is served as it is (``prepare_index``); the chain checks
        # that questions are embedded by the index's model.
        return True
    if not settings.corpus_dir.is_dir():
        if manifest is None:
            msg = f"corpus folder {settings.corpus_dir} does not exist and there is no index yet"
            raise ServeError(msg)
        return True
    wanted = index_config(settings)
    if manifest is not None and manifest.config != wanted:
        msg = (
            f"{location.where} was built with {manifest.config.describe()}, "
            f"but {wanted.describe()} was asked for; run 'fineprint ingest --rebuild' to "
            "re-index, or use the index's settings"
        )
        raise ServeError(msg)
    return manifest is not None


def index_in_background(
    settings: Settings, status: IndexStatus, echo: Callable[[str], None]
) -> threading.Thread:
    """Bring the index in step with the corpus in a daemon thread, reporting to ``status``."""

    def run() -> None:
        try:
            if settings.corpus_dir.is_dir():
                scan = scan_corpus(settings.corpus_dir)
                status.start({doc_id: _size(path) for doc_id, path in scan.files})
            prepare_index(settings, echo, on_file=status.file_done, on_batch=status.batch_embedded)
        except FineprintError as exc:
            echo(f"Error: {exc}")
            status.failed(str(exc), unreachable=isinstance(exc, IndexUnreachableError))
        except Exception as exc:
            # A bug: the log gets the traceback, the page a plain message.
            _log.exception("indexing failed")
            status.failed(f"an unexpected error ({type(exc).__name__}); see the server's log")
        else:
            status.ready()

    thread = threading.Thread(target=run, name="fineprint-index", daemon=True)
    thread.start()
    return thread


def _size(path: Any) -> int:
    try:
        return int(path.stat().st_size)
    except OSError:
        return 0


def serve(
    settings: Settings,
    *,
    prevent_thread_lock: bool = False,
    echo: Callable[[str], None] = print,
    wait_for_index: bool = False,
) -> gr.Blocks:
    """Build the page, serve it, and bring the index up to date while it is up.

    Args:
        settings: Corpus, index, bind address, port, login and concurrency.
        prevent_thread_lock: Return once the server runs (tests) instead of blocking.
        echo: Where progress lines go.
        wait_for_index: Return (or block) only once indexing has ended (tests).

    Raises:
        ServeError: The configuration cannot be served: the address or login
            (``check_bind``), no corpus and no index, or an index built with other settings.
    """
    auth = check_bind(settings)
    had_index = check_index(settings)
    status = IndexStatus(settings.index_dir, had_index=had_index)
    try:
        demo = build_app(settings, status=status)
    except FineprintError as exc:
        raise ServeError(str(exc)) from exc
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=QUEUE_MAX_SIZE)
    try:
        demo.launch(
            server_name=settings.host,
            server_port=settings.port,
            share=False,
            auth=auth,
            auth_message="Fineprint: please log in." if auth else None,
            # Blocking (below) only once the port is bound and the address can be announced.
            prevent_thread_lock=True,
            show_error=False,
            ssr_mode=False,
            pwa=False,
            mcp_server=False,
            enable_monitoring=False,
            footer_links=["api", "settings"],
            quiet=True,
            theme=theme(),
            css=page_css(),
            js=page_js(),
            app_kwargs={
                "middleware": [_middleware(RefuseUploads)],
                # FastAPI's own description of the routes is of no use to a reader.
                "openapi_url": None,
                "docs_url": None,
                "redoc_url": None,
            },
        )
    except OSError as exc:
        # Gradio says "Cannot find empty port ..." when the port is taken.
        msg = f"cannot listen on {settings.host}:{settings.port}: {' '.join(str(exc).split())}"
        raise ServeError(msg) from exc
    echo(f"serving on http://{settings.host}:{settings.port} (Ctrl+C stops)")
    index_in_background(settings, status, echo)
    if wait_for_index:
        status.wait()
    if not prevent_thread_lock:
        demo.block_thread()
    return demo


def _middleware(cls: type) -> Any:
    from starlette.middleware import Middleware

    return Middleware(cls)
