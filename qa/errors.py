"""Errors meant for the user: every one subclasses ``FineprintError`` and carries its message.

The CLI shows a ``FineprintError`` as a one-line message (``click.ClickException``) and the web
page shows it in the chat; anything else is a bug and keeps its traceback. Messages say what is
wrong and, where there is one, what to do about it.
"""

from __future__ import annotations


class FineprintError(Exception):
    """Base class of every error a user can cause or fix; ``str(error)`` is the message."""


class SettingsError(FineprintError):
    """A setting (a ``FINEPRINT_*`` variable or a command-line option) has a bad value."""


class LoadError(FineprintError):
    """A file cannot be loaded (unreadable, undecodable, empty, too large, damaged)."""


class CorpusError(FineprintError):
    """The corpus folder is missing or is not a folder."""


class IndexMissingError(FineprintError):
    """There is no index at the configured place yet."""


class IndexMismatchError(FineprintError):
    """The index on disk was built with other settings than the ones asked for."""


class IndexBusyError(FineprintError):
    """Another ingest is writing to the index (one writer at a time)."""


class IndexUnreachableError(FineprintError):
    """The Chroma server holding the index does not answer (not running, wrong address)."""


class IndexChangingError(FineprintError):
    """A read met another process's write half done, twice; asking again will work."""


class IndexDamagedError(FineprintError):
    """The index's manifest is unreadable, damaged or of an unknown version."""


class ModelError(FineprintError):
    """An embedding model cannot be loaded."""


class FilterError(FineprintError):
    """A search filter is malformed: an unknown field, a bad date or a reversed date range."""


class QuestionError(FineprintError):
    """The input to the answer chain is malformed (not a question, or a bad ``k``)."""


class ServeError(FineprintError):
    """The web chat cannot start as configured (address, login, no corpus and no index)."""


class EvaluationError(FineprintError):
    """A question file or benchmark is malformed or cannot be run as asked."""


class VersionError(FineprintError):
    """A series or version asked for does not exist (no such series, no version on a date)."""
