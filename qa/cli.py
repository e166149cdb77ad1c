"""The ``fineprint`` command line: ingest, stats, ask, eval, eval-policyqa, serve.

A ``FineprintError`` raised by any command is shown as a one-line ``Error: ...`` message with
exit status 1 (``click.ClickException``); any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from qa.errors import FineprintError
from qa.settings import (
    DEFAULT_CORPUS_DIR,
    DEFAULT_INDEX_DIR,
    DOCUMENT_KINDS,
    POLICYQA_DATA_DIR,
    POLICYQA_OUT_DIR,
    POLICYQA_SPLITS,
    Settings,
    load_settings,
)

EXIT_SKIPPED = 3
# Set in the click context's ``obj`` by ``run`` (the installed ``fineprint`` command): the
# process is the command's own, so a one-shot question may end it without tearing down.
OWN_PROCESS = "own_process"


class _Group(click.Group):
    """A click group that turns Fineprint's errors into messages for the user."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FineprintError as exc:
            raise click.ClickException(str(exc)) from exc


def _shown(doc_id: str) -> str:
    """A file name as one line: control characters (a newline in a name) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in doc_id)


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    # Read from the environment only when a command runs, so a bad FINEPRINT_* variable
    # never stands in the way of --help.
    settings = load_settings(None, **overrides)
    if overrides.get("corpus_dir") is not None or "FINEPRINT_CORPUS_DIR" in os.environ:
        return settings
    recorded = _recorded_corpus(settings)
    if recorded is not None and recorded != settings.corpus_dir.resolve():
        # An index built from another folder is kept in step with that folder, never synced
        # to the default corpus (which would remove every document of the index).
        if ctx.info_name in ("ingest", "serve", "eval"):
            click.echo(f"corpus: {recorded} (the index's own; --corpus to change)", err=True)
        settings = settings.override(corpus_dir=recorded)
    return settings


def _recorded_corpus(settings: Settings) -> Path | None:
    """The corpus folder the index was last synced from, if it still exists (folder indexes)."""
    from qa.errors import FineprintError
    from qa.index.manifest import Manifest

    if settings.chroma_url:
        return None
    try:
        manifest = Manifest.read(settings.index_dir)
    except FineprintError:
        return None
    if manifest is None or not manifest.corpus:
        return None
    recorded = Path(manifest.corpus)
    return recorded if recorded.is_dir() else None


@click.group(cls=_Group)
@click.version_option(package_name="fineprint")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Fineprint: cited answers from privacy policies, terms and the news about them.

    Every option can also be set with an environment variable FINEPRINT_<NAME>
    (FINEPRINT_CORPUS_DIR, FINEPRINT_INDEX_DIR, FINEPRINT_EMBEDDING_MODEL, ...).
    """


def run() -> None:
    """The installed ``fineprint`` command: ``main`` in a process of its own.

    ``main`` stays the click group that tests drive in-process (``CliRunner``); only here may a
    command end the interpreter itself (see ``_leave``).
    """
    main(obj={OWN_PROCESS: True})


def _leave(ctx: click.Context, status: int) -> None:
    """End a read-only command with exit status ``status``, at once in a process of its own.

    At interpreter shutdown Python frees every object of the opened index, and the Chroma
    client shuts down its own; on the 877-document index that was about 0.4 s of a 2.2 s cold
    ``fineprint ask``. What a question writes (question-time sentence vectors with lazy
    sentence vectors) is committed before it answers, so once its output is flushed there is
    nothing left to lose by ``os._exit``. Inside another program (tests, ``CliRunner``) it
    returns, or raises ``SystemExit`` for a non-zero status, as click would.
    """
    if isinstance(ctx.obj, dict) and ctx.obj.get(OWN_PROCESS):
        # A closed or broken output lost what was written: say so by the status.
        if sys.stdout is None:
            status = status or 1
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                status = status or 1
        os._exit(status)
    if status:
        sys.exit(status)


def chroma_option(func: Any) -> Any:
    """``--chroma-url``: the index on a Chroma server instead of the index folder."""
    return click.option(
        "--chroma-url",
        metavar="URL",
        help="A Chroma server (chroma run) holding the index instead of the folder, e.g. "
        "http://127.0.0.1:8000; the index's name there is FINEPRINT_CHROMA_INDEX (fineprint).",
    )(func)


def _index_shown(settings: Settings) -> str:
    """Where the index is, for a summary line: the folder, or the name and server."""
    if settings.chroma_url:
        return f"'{settings.chroma_index}' on {settings.chroma_url}"
    return str(settings.index_dir)


def corpus_options(func: Any) -> Any:
    """Options every index-touching command shares."""
    func = chroma_option(func)
    func = click.option(
        "--corpus",
        "corpus_dir",
        type=click.Path(path_type=Path),
        help=f"Folder of documents (default {DEFAULT_CORPUS_DIR}).",
    )(func)
    func = click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path),
        help=f"Index folder (default {DEFAULT_INDEX_DIR}).",
    )(func)
    func = click.option(
        "--model",
        "embedding_model",
        help="Embedding model: multilingual-e5-small, all-MiniLM-L6-v2, "
        "or a sentence-transformers name/path.",
    )(func)
    return click.option("--chunk-size", type=int, help="Max characters per passage.")(func)


@main.command()
@corpus_options
@click.option("--rebuild", is_flag=True, help="Delete the index and embed everything again.")
@click.option("--wait", is_flag=True, help="If another ingest is writing, wait for it.")
@click.pass_context
def ingest(ctx: click.Context, rebuild: bool, wait: bool, **options: Any) -> None:
    """Index the corpus; only new or changed documents are embedded."""
    from tqdm import tqdm

    from qa.index.ingest import EMBED_BATCH
    from qa.index.ingest import ingest as run_ingest

    settings = _settings(ctx, **options)
    # Made at the first file, so an error found before any work prints no empty bar.
    bars: list[tqdm] = []
    # A second bar inside a document large enough to take a while (more than a few batches).
    inner: list[tqdm] = []

    def progress(done: int, total: int, doc_id: str) -> None:
        if not bars:
            bars.append(
                tqdm(total=total, unit="doc", desc="indexing", file=sys.stderr, leave=False)
            )
        bars[0].set_postfix_str(doc_id[-40:], refresh=False)
        bars[0].update(1)

    def embedded(done: int, total: int, doc_id: str) -> None:
        if total <= 4 * EMBED_BATCH:
            return
        if not inner or inner[0].total != total or inner[0].n > done:
            for old in inner:
                old.close()
            inner[:] = [
                tqdm(total=total, unit="text", desc=doc_id[-30:], file=sys.stderr, leave=False)
            ]
        inner[0].update(done - inner[0].n)

    def waiting(message: str) -> None:
        click.echo(message, err=True)

    try:
        report = run_ingest(
            settings,
            rebuild=rebuild,
            progress=progress,
            embed_progress=embedded,
            wait=wait,
            on_wait=waiting,
        )
    finally:
        for other in (*inner, *bars):
            other.close()
    for label, items in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for doc_id in items:
            click.echo(f"  {label:<9} {_shown(doc_id)}")
    for skipped in report.skipped:
        click.secho(f"  skipped   {_shown(skipped.doc_id)}: {skipped.reason}", fg="yellow")
    for copy in report.copies:
        click.echo(f"  copy      {_shown(copy.doc_id)}: {copy.reason}")
    for notice in report.notices:
        click.echo(f"  note      {_shown(notice.doc_id)}: {notice.reason}")
    click.echo(f"{report.summary()} -> {_index_shown(settings)}")
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats(
    ctx: click.Context, index_dir: Path | None, chroma_url: str | None, as_json: bool
) -> None:
    """Show what the index holds."""
    from qa.index.store import PassageStore

    settings = _settings(ctx, index_dir=index_dir, chroma_url=chroma_url)
    store = PassageStore.from_settings(settings)
    docs = store.manifest.documents
    size = store.size_on_disk()
    figures = {
        "index": _index_shown(settings),
        "documents": len(docs),
        "passages": store.count(),
        "languages": dict(Counter(d.language for d in docs.values()).most_common()),
        "kinds": dict(Counter(d.kind or "unknown" for d in docs.values()).most_common()),
        "publishers": dict(Counter(d.publisher or "unknown" for d in docs.values()).most_common()),
        "embedding_model": store.manifest.config.embedding_model,
        "chunk_size": store.manifest.config.chunk_size,
        "chunk_overlap": store.manifest.config.chunk_overlap,
        # An index on a server: its disk is the server's (JSON null).
        "size_on_disk_mb": None if size is None else round(size / 1e6, 2),
    }
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} ({v})" for k, v in value.items())
        if key == "size_on_disk_mb" and value is None:
            value = "on the Chroma server (not measured here)"
        click.echo(f"{key:<16} {value}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.option("--chunk-size", type=int, help="Max characters per passage.")
@click.option("--json", "as_json", is_flag=True, help="Print the inspection as JSON.")
@click.pass_context
def inspect(ctx: click.Context, path: Path, as_json: bool, **options: Any) -> None:
    """Show how PATH is read: metadata, passages, and what was left out and why."""
    from qa.index.inspect import format_inspection, inspect_file

    inspection = inspect_file(path, _settings(ctx, **options))
    if as_json:
        click.echo(json.dumps(inspection.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(format_inspection(inspection))


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.option("--k", type=int, help="Passages to answer from.")
@click.option("--publisher", help="Only documents whose publisher contains this.")
@click.option("--kind", help=f"Only this kind: {', '.join(DOCUMENT_KINDS)}.")
@click.option("--language", help="Only documents in this language (en, id).")
@click.option("--region", help="Only documents whose region contains this.")
@click.option("--date-from", help="Only documents dated on or after (YYYY-MM-DD).")
@click.option("--date-to", help="Only documents dated on or before (YYYY-MM-DD).")
@click.option(
    "--as-of",
    help="Answer from the versions in force on this day, month or year (2020-07-15, 2020-12, "
    "2019); dates in the question do the same.",
)
@click.option(
    "--versions",
    type=click.Choice(["current", "previous", "all"]),
    help="Which versions of each document to search (default: current, or as of --as-of).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole typed result as JSON.")
@click.pass_context
def ask(
    ctx: click.Context,
    question: str,
    index_dir: Path | None,
    chroma_url: str | None,
    k: int | None,
    as_json: bool,
    **filter_values: str | None,
) -> None:
    """Answer QUESTION from the index, with numbered sources."""
    from qa.answer.chain import AnswerChain
    from qa.retrieve.filters import SearchFilters

    if filter_values.get("as_of") and filter_values.get("versions"):
        msg = "--as-of picks the versions in force on its date; leave out --versions"
        raise click.UsageError(msg)
    settings = _settings(ctx, index_dir=index_dir, chroma_url=chroma_url, k=k)
    filters = SearchFilters.from_values(filter_values)
    chain = AnswerChain.from_settings(settings)
    result = chain.invoke({"question": question, "filters": filters})
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    elif result.invalid_input:
        # An empty or over-long question is the user's to fix, like a bad option: said as one.
        click.echo(f"Error: {result.answer.strip()}", err=True)
    else:
        click.echo(result.answer.rstrip())
        for note in result.notes:
            click.secho(f"note: {note}", fg="yellow", err=True)
    _leave(ctx, 1 if result.invalid_input else 0)


def _version_store(index_dir: Path | None, chroma_url: str | None, ctx: click.Context) -> Any:
    from qa.index.store import PassageStore

    return PassageStore.from_settings(_settings(ctx, index_dir=index_dir, chroma_url=chroma_url))


@main.command()
@click.argument("series")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.pass_context
def history(
    ctx: click.Context, series: str, index_dir: Path | None, chroma_url: str | None
) -> None:
    """List the versions of SERIES (e.g. "WhatsApp/Privacy Policy") with their dates."""
    from qa.retrieve.catalog import catalog_of
    from qa.versions.changes import find_series
    from qa.versions.changes import history as series_history

    with _version_store(index_dir, chroma_url, ctx) as store:
        catalog = catalog_of(store)
        key = find_series(catalog, series)
        count = len(catalog.series_versions(key))
        click.echo(f"{key}: {count} version{'s' if count != 1 else ''}")
        for version, comparison in series_history(catalog, store, key):
            until = version.valid_to or "now"
            change = comparison.summary() if comparison else "first recorded version"
            click.echo(f"  {version.valid_from} to {until:<10}  {_shown(version.doc_id)}  {change}")


@main.command()
@click.argument("series")
@click.option(
    "--from", "date_from", required=True, help="The older version: in force on this date."
)
@click.option("--to", "date_to", required=True, help="The newer version: in force on this date.")
@click.option("--about", help="Rank the changes by how close they are to this text.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Changes to show."
)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.pass_context
def changes(
    ctx: click.Context,
    series: str,
    date_from: str,
    date_to: str,
    about: str | None,
    limit: int,
    index_dir: Path | None,
    chroma_url: str | None,
) -> None:
    """Show what changed in SERIES between the versions in force on two dates, both cited."""
    import numpy as np

    from qa.answer.changes import compose_changes
    from qa.errors import VersionError
    from qa.index.embeddings import get_embeddings
    from qa.retrieve.catalog import catalog_of
    from qa.versions.captures import BROKEN, skipped_captures
    from qa.versions.changes import compare, find_series, version_on

    with _version_store(index_dir, chroma_url, ctx) as store:
        catalog = catalog_of(store)
        key = find_series(catalog, series)
        versions = catalog.series_versions(key)
        old, new = version_on(versions, date_from), version_on(versions, date_to)
        if versions.index(old) > versions.index(new):
            msg = f"--from ({date_from}) is later than --to ({date_to}); swap them"
            raise VersionError(msg)
        if old == new:
            click.echo(
                f"{key}: the same version was in force on both dates (from {old.valid_from})"
            )
            return
        query = None
        if about:
            model = get_embeddings(store.manifest.config.embedding_model)
            query = np.asarray(model.embed_query(about), dtype=np.float32)
        comparison = compare(catalog, store, key, old, new, about=query)
        heading = "top" if about else "all"
        text, _ = compose_changes(catalog, comparison, "en", limit=limit, heading=heading)
        click.echo(text.rstrip())
        manifest = store.manifest
        hashes = {doc: entry.text_hash for doc, entry in manifest.documents.items()}
        corpus = Path(manifest.corpus) if manifest.corpus else None
        for capture in skipped_captures(corpus, versions, old, new, hashes):
            if capture.why == BROKEN:
                shown = _shown(capture.doc_id)
                click.echo(
                    f"skipped: the capture of {capture.recorded[:10]} ({shown}) is broken "
                    f"({capture.size} bytes where its neighbours have about {capture.expected}); "
                    "it is not a version"
                )


@main.command("eval-policyqa")
@click.option(
    "--split", type=click.Choice(POLICYQA_SPLITS), default=POLICYQA_SPLITS[0], show_default=True
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=POLICYQA_DATA_DIR,
    show_default=True,
    help="Folder holding PolicyQA's test.json / dev.json.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=POLICYQA_OUT_DIR,
    show_default=True,
    help="Where metrics.json, run.json and per_question.jsonl go.",
)
@click.option(
    "--work",
    "work_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Fineprint's cached corpus and index (default .fineprint/policyqa-<split>).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only N questions, spread evenly.")
@click.pass_context
def eval_policyqa(
    ctx: click.Context,
    split: str,
    data_dir: Path,
    out_dir: Path,
    work_dir: Path | None,
    limit: int | None,
) -> None:
    """PolicyQA retrieval: Fineprint, the simple MiniLM baseline and random (evals/README.md)."""
    from qa.evaluate.policyqa import format_table, run_policyqa

    def say(message: str) -> None:
        click.echo(message, err=True)

    report = run_policyqa(
        _settings(ctx),
        split=split,
        data_dir=data_dir,
        out_dir=out_dir,
        work_dir=work_dir,
        limit=limit,
        progress=say,
        show_bar=True,
    )
    click.echo(format_table(report))
    click.echo(f"-> {out_dir / 'metrics.json'}")


@main.command()
@click.option("--host", help="Address to bind (default 127.0.0.1; others require a login).")
@click.option("--port", type=int, help="Port (default 7860).")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@chroma_option
@click.pass_context
def serve(ctx: click.Context, **options: Any) -> None:
    """Update the index, then serve the web chat (http://127.0.0.1:7860)."""
    from qa.errors import ServeError
    from qa.ui.server import serve as run_server

    try:
        run_server(_settings(ctx, **options), echo=lambda line: click.echo(line))
    except ServeError as exc:
        raise click.ClickException(f"cannot start: {exc}") from exc


@main.command("eval")
@corpus_options
@click.option(
    "--questions",
    "questions_path",
    required=True,
    type=click.Path(path_type=Path),
    help="A .jsonl question file, or a folder of them (evals/questions).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("evals/out"),
    show_default=True,
    help="Where metrics.json, results.jsonl, report.md and the plots go.",
)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Also score the simple recipe (1,000-char chunks, MiniLM, top 4) -> baseline.json.",
)
@click.pass_context
def eval_questions(
    ctx: click.Context, questions_path: Path, out_dir: Path, baseline: bool, **options: Any
) -> None:
    """Score answers against test questions with gold quotes (evals/README.md)."""
    from tqdm import tqdm

    from qa.evaluate.harness import run_eval
    from qa.evaluate.report import summary_table

    settings = _settings(ctx, **options)
    bars: list[tqdm] = []  # made at the first answer, so the ingest that comes first has none

    def progress(done: int, total: int, question_id: str) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="q", desc="asking", file=sys.stderr, leave=False))
        bars[0].set_postfix_str(question_id[-30:], refresh=False)
        bars[0].update(1)

    def say(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    try:
        metrics = run_eval(
            settings, questions_path, out_dir, log=say, progress=progress, baseline=baseline
        )
    finally:
        for bar in bars:
            bar.close()
    click.echo(summary_table(metrics))
    if baseline:
        recipe = json.loads((out_dir / "baseline.json").read_text(encoding="utf-8"))
        for name, row in recipe.items():
            figures = ", ".join(f"{key} {value}" for key, value in row.items())
            click.echo(f"{name:<30} {figures}")
    click.echo(f"-> {out_dir}: metrics.json, results.jsonl, report.md")


if __name__ == "__main__":
    run()
