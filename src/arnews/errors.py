"""User-facing errors: one clear line, no traceback."""


class ArnewsError(Exception):
    """An error caused by the user's input or setup, reported as one line.

    The message says what is wrong and where (file, line, field, or config key) and
    what to do about it. Entry points print it and exit non-zero.
    """
