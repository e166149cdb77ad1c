"""Drill: a corpus full of files people really drop in a folder; is every one accounted for?

Writes good documents beside broken ones (binary, empty, not UTF-8, a damaged PDF, unclosed
front matter, headings only, an unsupported type, a broken link, a link loop, a file over the
size limit) and a large text without punctuation, runs ``fineprint ingest`` as a user would, and
checks that every entry of the folder appears in its report: added, or skipped with a reason.

Example:
    python evals/drills/bad_files.py --big-mb 1
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from common import run_ingest

DEFAULT_BIG_MB = 0.5
GOOD = {
    "policy.md": "# Privacy\n\nWe keep your orders for two years. We never sell your data.\n",
    "notes.txt": "Support notes\nTickets are deleted after ninety days.\n",
    "page.html": "<html><body><main><p>We use one cookie to keep you signed in.</p>"
    "</main></body></html>",
}
BAD = {
    "binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "empty.txt": b"",
    "latin1.txt": "Café receipts are kept for a year.".encode("latin-1"),
    "broken.pdf": random.Random(7).randbytes(2048),
    "unclosed.md": b"---\ntitle: Draft\nWe keep logs.\n",
    "headings.md": b"# Title\n\n## Section\n\n### Another\n",
    "slides.pptx": b"PK\x03\x04",
}
# Over the loader's 50 MB limit without writing 50 MB: a sparse file.
HUGE_BYTES = 51 * 1024 * 1024


def write_corpus(root: Path, big_mb: float) -> Path:
    """The drill's corpus under ``root``; returns the folder."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    for name, data in BAD.items():
        (corpus / name).write_bytes(data)
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "loop").symlink_to(corpus)
    with (corpus / "huge.txt").open("wb") as handle:
        handle.truncate(HUGE_BYTES)
    words = " ".join("word" for _ in range(int(big_mb * 1024 * 1024 / 5)))
    (corpus / "no-punctuation.txt").write_text(f"Run-on text\n{words}\n", encoding="utf-8")
    return corpus


def entries(corpus: Path) -> set[str]:
    """Every entry a user would expect in the report: files, links, and link loops as folders."""
    found: set[str] = set()
    for path in corpus.rglob("*"):
        relative = path.relative_to(corpus).as_posix()
        if path.is_symlink() and path.resolve() == corpus.resolve():
            found.add(relative + "/")
        elif path.is_file() or path.is_symlink():
            found.add(relative)
    return found


def main(argv: list[str] | None = None) -> int:
    """Ingest the drill's corpus and compare its report with the folder; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--big-mb", type=float, default=DEFAULT_BIG_MB, help="Size of the run-on text."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fp-bad-") as work:
        root = Path(work)
        corpus = write_corpus(root, args.big_mb)
        expected = entries(corpus)
        started = time.perf_counter()
        done = run_ingest(corpus, root / "index")
        seconds = time.perf_counter() - started
    reported: dict[str, str] = {}
    for line in done.stdout.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and parts[0] in ("added", "updated", "unchanged"):
            reported[parts[1]] = parts[0]
        elif len(parts) == 2 and parts[0] == "skipped":
            doc_id, _, reason = parts[1].partition(": ")
            reported[doc_id] = f"skipped: {reason}"
    missing = sorted(expected - set(reported))
    print(f"ingest exit status {done.returncode} in {seconds:.1f} s (3 = some files skipped)")
    print(f"entries accounted for: {len(expected) - len(missing)}/{len(expected)}")
    for doc_id in sorted(reported):
        print(f"  {doc_id}: {reported[doc_id]}")
    for doc_id in missing:
        print(f"  NOT REPORTED: {doc_id}")
    return 1 if missing or done.returncode not in (0, 3) else 0


if __name__ == "__main__":
    sys.exit(main())
