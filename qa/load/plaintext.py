"""Plain text files: the text as it is; the title is a short first line, if there is one."""

from __future__ import annotations

from typing import Any

_MAX_TITLE_CHARS = 120


def load_plaintext(text: str) -> tuple[str, dict[str, Any]]:
    """Return the text and, where the first line looks like a title, that title."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    metadata: dict[str, Any] = {}
    if first and len(first) <= _MAX_TITLE_CHARS and not first.endswith((".", ",", ";")):
        metadata["title"] = first
    return text.strip("\n") + "\n", metadata
