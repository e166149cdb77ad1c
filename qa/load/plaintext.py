"""Plain text files: the text with wrapped lines joined; the title is a short first line."""

from __future__ import annotations

from typing import Any

from qa.load.text import join_wrapped_lines

_MAX_TITLE_CHARS = 120


def load_plaintext(text: str) -> tuple[str, dict[str, Any]]:
    """Return the text (wrapped sentences joined) and, if the first line looks like one, a title.

    Example:
        >>> load_plaintext("Retention\\nLogs are deleted\\nafter 30 days.\\n")
        ('Retention\\nLogs are deleted after 30 days.\\n', {'title': 'Retention'})
    """
    text = join_wrapped_lines(text)
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    metadata: dict[str, Any] = {}
    if first and len(first) <= _MAX_TITLE_CHARS and not first.endswith((".", ",", ";")):
        metadata["title"] = first
    return text.strip("\n") + "\n", metadata
