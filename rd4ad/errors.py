"""The one exception type users see: a message naming the file or key and what to do."""


class RD4ADError(Exception):
    """A user-facing error; the CLI prints its message without a traceback."""
