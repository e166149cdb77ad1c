"""Decoding bytes into text, with the checks every text format shares."""

from __future__ import annotations

from qa.errors import LoadError
from qa.load.text import remove_invisible

_BINARY_PROBE = 8192


def decode_text(data: bytes) -> str:
    """Decode ``data`` as UTF-8, refusing binary, non-UTF-8 and empty content.

    Args:
        data: The file's bytes.

    Returns:
        The text with every line ending a ``\\n`` and invisible characters removed. Unicode
        compatibility normalisation waits until the markup is parsed (``qa.load.corpus``).

    Raises:
        LoadError: With a reason a person can act on.

    Example:
        >>> decode_text(b"hello\\r\\n")
        'hello\\n'
    """
    if b"\x00" in data[:_BINARY_PROBE]:
        msg = "binary file (contains NUL bytes), not text"
        raise LoadError(msg)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"not valid UTF-8 (bad byte at position {exc.start}); re-save the file as UTF-8"
        raise LoadError(msg) from exc
    text = remove_invisible(text)
    if not text.strip():
        msg = "empty file"
        raise LoadError(msg)
    return text
