"""The benchmark as a Fineprint corpus: one Markdown file per website, one block per paragraph.

Each file has front matter with a unique ``publisher`` tag (so retrieval can be restricted to the
website) and every paragraph under a heading equal to the document title, so the chunker keeps
each paragraph a passage of its own without adding a section name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from qa.errors import EvaluationError
from qa.evaluate.policyqa.data import Benchmark, Paragraph

# The publisher tag written into each website's front matter; ``SearchFilters.publisher`` matches
# a substring, so the delimiters keep "amazon.com" from also matching "smile.amazon.com".
PUBLISHER_PREFIX = "policyqa:"
PUBLISHER_SUFFIX = "|"
# Hidden, so Fineprint's loader ignores it; its presence says the folder is ours to rewrite.
CORPUS_MARKER = ".fineprint-policyqa"
_MARKER_TEXT = "written by fineprint eval-policyqa; files here are replaced\n"
_FALLBACK_NAME = "website"
_UNSAFE_NAME = re.compile(r"[^\w.-]+")
_TITLE_HEADING = re.compile(r"^# ", re.MULTILINE)


def publisher_tag(website: str) -> str:
    """The unique publisher value a website's document carries.

    Example:
        >>> publisher_tag("ebay.com")
        'policyqa:ebay.com|'
    """
    return f"{PUBLISHER_PREFIX}{website}{PUBLISHER_SUFFIX}"


def corpus_filename(website: str) -> str:
    """A safe, stable Markdown file name for a website: runs of unsafe characters become ``_``.

    Example:
        >>> corpus_filename("www.example.com/privacy policy")
        'www.example.com_privacy_policy.md'
    """
    return f"{_UNSAFE_NAME.sub('_', website).strip('._') or _FALLBACK_NAME}.md"


def corpus_markdown(website: str, paragraphs: Sequence[Paragraph]) -> str:
    """One website as Fineprint Markdown: front matter, then each paragraph under a heading.

    Every heading is the document title, which Fineprint leaves out of section paths, so each
    paragraph becomes a section (passages never cross one) with nothing added to its embedding
    text but the title every passage already carries. Line breaks inside a paragraph become
    spaces so a paragraph stays one block.

    Example:
        >>> print(corpus_markdown("a.com", [Paragraph("a.com/0", "a.com", 0, "We\\nsell.")]))
        ---
        title: "a.com"
        publisher: "policyqa:a.com|"
        kind: "policy"
        language: "en"
        ---
        <BLANKLINE>
        # a.com
        <BLANKLINE>
        We sell.
        <BLANKLINE>
    """
    front = {
        "title": website,
        "publisher": publisher_tag(website),
        "kind": "policy",
        "language": "en",
    }
    lines = ["---", *(f"{key}: {json.dumps(value)}" for key, value in front.items()), "---", ""]
    for paragraph in paragraphs:
        lines += [f"# {website}", "", paragraph.text.replace("\n", " ").strip(), ""]
    return "\n".join(lines)


def heading_starts(text: str) -> list[int]:
    """Where each paragraph's block starts in a loaded ``corpus_markdown`` document.

    Front matter is gone once loaded, so the n-th title heading opens the n-th paragraph; a
    passage at offset ``o`` belongs to the last block starting at or before ``o``.

    Example:
        >>> heading_starts("# a.com\\n\\nWe sell.\\n\\n# a.com\\n\\nWe keep.\\n")
        [0, 19]
    """
    return [match.start() for match in _TITLE_HEADING.finditer(text)]


def write_corpus(benchmark: Benchmark, corpus_dir: Path) -> dict[str, str]:
    """Mirror the benchmark's websites as Markdown files under ``corpus_dir``.

    Files are rewritten only when their content changes, and stale files are removed, so
    Fineprint's incremental ingest re-embeds nothing on a re-run. A hidden ``CORPUS_MARKER``
    file marks the folder as this command's.

    Returns:
        The doc_id (file name) of each website.

    Raises:
        EvaluationError: When ``corpus_dir`` holds files this command did not write (nothing is
            deleted then), or two websites map to one file name.
    """
    marker = corpus_dir / CORPUS_MARKER
    expected = {corpus_filename(website) for website in benchmark.websites}
    foreign = [
        path
        for path in (corpus_dir.rglob("*") if corpus_dir.is_dir() else [])
        if path.is_file() and path.relative_to(corpus_dir).as_posix() not in expected
    ]
    if foreign and not marker.exists():
        # Stale files are deleted below: never do that in a folder this command did not make.
        msg = (
            f"{corpus_dir} holds files this command did not write (e.g. {foreign[0].name}); "
            "choose an empty or new --work folder"
        )
        raise EvaluationError(msg)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(_MARKER_TEXT, encoding="utf-8")
    doc_ids: dict[str, str] = {}
    for website, paragraphs in benchmark.websites.items():
        name = corpus_filename(website)
        if name in doc_ids.values():
            msg = f"two websites map to the file name {name}"
            raise EvaluationError(msg)
        path = corpus_dir / name
        content = corpus_markdown(website, paragraphs)
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        doc_ids[website] = name
    for path in corpus_dir.rglob("*"):
        relative = path.relative_to(corpus_dir).as_posix()
        if path.is_file() and relative not in doc_ids.values() and path != marker:
            path.unlink()
    return doc_ids
