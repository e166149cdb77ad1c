"""The one error a loader raises for a file it cannot use."""


class LoadError(ValueError):
    """A file that cannot be loaded; the message is the reason shown to the user."""
