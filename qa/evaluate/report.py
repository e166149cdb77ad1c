"""``report.md`` and its PNG plots for one evaluation run.

The report holds a summary, the per-question table (rank of the first supporting passage,
cited documents, abstained or not), the breakdowns by language and tag, any gold quotes that
match no stored passage, and four plots drawn with matplotlib's Agg backend (no display).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from qa.evaluate.metrics import Outcome

REPORT_NAME = "report.md"
HITS_BY_LANGUAGE_PNG = "hits_by_language.png"
HITS_BY_TAG_PNG = "hits_by_tag.png"
LATENCY_PNG = "latency.png"
MARGIN_PNG = "margin.png"
PLOT_DPI = 110
HISTOGRAM_BINS = 20
BAR_WIDTH = 0.27
BREAKDOWN_SERIES = ("hit@1", "hit@5", "citation_recall")
MAX_QUESTION_CHARS = 90
# How ``GoldCoverage`` statuses read in the report.
COVERAGE_WORDING = {
    "split": "not found whole; only the 60 % split rule matches a passage of its document",
    "missing": "matches no stored passage at all",
}


def _cell(text: str, limit: int | None = None) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _bars(groups: dict[str, dict[str, float]], title: str, path: Path) -> None:
    names = list(groups)
    width = max(6.0, 0.6 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(width, 4.2))
    for offset, series in enumerate(BREAKDOWN_SERIES):
        xs = [i + (offset - 1) * BAR_WIDTH for i in range(len(names))]
        ax.bar(xs, [groups[n][series] for n in names], BAR_WIDTH, label=series)
    ax.set_xticks(range(len(names)), names, rotation=40 if len(names) > 4 else 0, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of answerable questions")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)


def _latency(outcomes: Sequence[Outcome], metrics: dict[str, Any], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.hist([o.latency_ms for o in outcomes], bins=HISTOGRAM_BINS, color="tab:blue")
    for name, value in metrics["latency_ms"].items():
        ax.axvline(value, color="tab:red", linestyle="--", linewidth=1)
        ax.annotate(name, (value, ax.get_ylim()[1] * 0.95), fontsize="small", ha="left")
    ax.set_xlabel("total time per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)


def _margin(outcomes: Sequence[Outcome], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    # The signal is the abstention rule's margin: below 0 the chain abstains.
    every = [o.margin for o in outcomes if o.margin is not None] or [0.0]
    reach = max(abs(min(every)), abs(max(every)), 1e-3)
    bins = [-reach + 2 * reach * i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)]
    for answerable, label, colour in (
        (True, "answerable", "tab:green"),
        (False, "unanswerable", "tab:red"),
    ):
        values = [o.margin for o in outcomes if o.answerable is answerable and o.margin is not None]
        ax.hist(values, bins=bins, alpha=0.6, label=f"{label} ({len(values)})", color=colour)
    ax.axvline(0.0, color="black", linewidth=1, linestyle="--")
    ax.set_xlim(-reach, reach)
    ax.set_xlabel('abstention signal "margin" (abstained below 0)')
    ax.set_ylabel("questions")
    ax.set_title("Margin: answerable vs unanswerable questions")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)


def write_plots(out_dir: Path, metrics: dict[str, Any], outcomes: Sequence[Outcome]) -> list[str]:
    """Draw the PNG plots into ``out_dir`` and return their file names."""
    _bars(
        metrics["by_language"],
        "Hits and citation recall by language",
        out_dir / HITS_BY_LANGUAGE_PNG,
    )
    _bars(metrics["by_tag"], "Hits and citation recall by tag", out_dir / HITS_BY_TAG_PNG)
    _latency(outcomes, metrics, out_dir / LATENCY_PNG)
    _margin(outcomes, out_dir / MARGIN_PNG)
    return [HITS_BY_LANGUAGE_PNG, HITS_BY_TAG_PNG, LATENCY_PNG, MARGIN_PNG]


def summary_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures as ``(name, value)`` pairs, for the report and the terminal."""
    rows = [
        (
            "questions",
            f"{metrics['questions']} ({metrics['answerable']} answerable, "
            f"{metrics['unanswerable']} unanswerable)",
        ),
    ]
    rows += [(f"retrieval {name}", _fmt(v)) for name, v in metrics["retrieval"].items()]
    rows += [(f"citation {name}", _fmt(v)) for name, v in metrics["citations"].items()]
    rows += [(f"abstention {name}", _fmt(v)) for name, v in metrics["abstention"].items()]
    rows += [(f"quotes {name}", str(v)) for name, v in metrics.get("quotes", {}).items()]
    rows += [(f"latency {name}", f"{v:.0f} ms") for name, v in metrics["latency_ms"].items()]
    return rows


def summary_table(metrics: dict[str, Any]) -> str:
    """The headline figures, then hit@1/hit@5/citation recall by language, as plain text.

    Example:
        >>> print(summary_table(metrics))  # doctest: +SKIP
        questions                     80 (67 answerable, 13 unanswerable)
        retrieval hit@1               0.627
    """
    rows = summary_rows(metrics)
    for language, figures in metrics["by_language"].items():
        values = ", ".join(f"{name} {_fmt(figures[name])}" for name in BREAKDOWN_SERIES)
        rows.append((f"language {language}", values))
    width = max(len(name) for name, _ in rows) + 2
    return "\n".join(f"{name:<{width}}{value}" for name, value in rows)


def _summary(metrics: dict[str, Any]) -> list[str]:
    return _table(("metric", "value"), summary_rows(metrics))


def _breakdown(
    title: str, groups: dict[str, dict[str, float]], counts: dict[str, int]
) -> list[str]:
    rows = [
        (name, str(counts.get(name, 0)), *(_fmt(g[s]) for s in BREAKDOWN_SERIES))
        for name, g in groups.items()
    ]
    return [
        f"### {title}",
        "",
        *_table((title.split()[-1], "answerable", *BREAKDOWN_SERIES), rows),
        "",
    ]


def _per_question(outcomes: Sequence[Outcome]) -> list[str]:
    rows = []
    for o in outcomes:
        rank = o.first_support_rank
        cited = list(dict.fromkeys(c.doc_id for c in o.citations))
        rows.append(
            (
                o.question_id,
                _cell(o.question, MAX_QUESTION_CHARS),
                "yes" if o.answerable else "no",
                "-" if not o.answerable else (str(rank) if rank else "none"),
                "<br>".join(_cell(d) for d in cited) or "-",
                "abstained" if o.abstained else "answered",
            )
        )
    header = ("id", "question", "answerable", "first supporting rank", "cited sources", "abstained")
    return _table(header, rows)


def _coverage(unmatched: dict[str, list[tuple[str, str, str]]]) -> list[str]:
    lines = ["## Gold quotes not found whole in the index", ""]
    if not unmatched:
        return [
            *lines,
            "Every gold quote occurs whole (after normalisation) in a stored passage.",
            "",
        ]
    lines += [
        "A quote listed here points at a loader/quote mismatch (or a document missing from the "
        "index); a question whose quotes are all *missing* can never be scored as retrieved.",
        "",
    ]
    rows = [
        (qid, _cell(doc), _cell(quote, MAX_QUESTION_CHARS), COVERAGE_WORDING.get(status, status))
        for qid, items in unmatched.items()
        for doc, quote, status in items
    ]
    return [*lines, *_table(("id", "doc", "quote", "status"), rows), ""]


def write_report(
    out_dir: Path,
    metrics: dict[str, Any],
    outcomes: Sequence[Outcome],
    unmatched: dict[str, list[tuple[str, str, str]]] | None = None,
    title: str = "Fineprint evaluation",
) -> Path:
    """Write ``report.md`` and its plots into ``out_dir``.

    Args:
        out_dir: Output folder (created if needed).
        metrics: The figures from ``compute_metrics``.
        outcomes: One outcome per question, in question order.
        unmatched: ``{question_id: [(doc, quote, status)]}`` for gold quotes that no stored
            passage contains whole; ``status`` is ``"split"`` or ``"missing"``.
        title: The report's heading.

    Returns:
        The path of ``report.md``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(out_dir, metrics, outcomes)
    answerable = [o for o in outcomes if o.answerable]
    language_counts: dict[str, int] = {}
    tag_counts: dict[str, int] = {}
    for o in answerable:
        language_counts[o.language] = language_counts.get(o.language, 0) + 1
        for tag in o.tags:
            tag_counts[tag] = tag_counts.get(tag, 0) + 1
    lines = [
        f"# {title}",
        "",
        "Metric definitions and the support rule: `evals/README.md`.",
        "",
        "## Summary",
        "",
        *_summary(metrics),
        "",
        "## Breakdowns (answerable questions)",
        "",
        *_breakdown("By language", metrics["by_language"], language_counts),
        *_breakdown("By tag", metrics["by_tag"], tag_counts),
        "## Plots",
        "",
        *(f"![{name.removesuffix('.png')}]({name})\n" for name in plots),
        *_coverage(unmatched or {}),
        "## Per question",
        "",
        *_per_question(outcomes),
        "",
    ]
    path = out_dir / REPORT_NAME
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
