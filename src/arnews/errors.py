"""User-facing errors: one clear line, no traceback."""


class ArnewsError(Exception):
    """An error caused by the user's input or setup, reported as one line.

    The message says what is wrong and where (file, line, field, or config key) and
    what to do about it. Entry points print it and exit non-zero.
    """


# How stores word a refused duplicate insert: SQLite, PostgreSQL (psycopg), MySQL.
_DUPLICATE_MARKERS = ("UNIQUE constraint", "UniqueViolation", "duplicate key", "Duplicate entry")


def is_duplicate_insert(exc: BaseException) -> bool:
    """True when a tracking store refused a row another process inserted at the same
    moment (parallel sweep jobs writing the same dataset or experiment tag).

    >>> is_duplicate_insert(Exception('(psycopg.errors.UniqueViolation) duplicate key value'))
    True
    """
    return any(marker in str(exc) for marker in _DUPLICATE_MARKERS)
