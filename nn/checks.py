"""Checking settings and data where they come in: each raises an error naming the setting and the bad value.

Whether something is a number at all is ``engine.checks.real_number``'s question (a TypeError if
not); these add the ranges that settings need, and ``rows`` turns a data set's rows into tuples of floats.
"""

import math
import numbers

from engine import Value
from engine.checks import real_number


def whole_number(n, name, smallest=1):
    """n itself, if it is an int >= smallest (bools are not counts)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < smallest:
        raise ValueError(f"{name} must be a whole number >= {smallest}, got {n!r}")
    return n


def integer(n, name):
    """n itself, if it is an int of any sign (a seed): a TypeError for anything else, bools included."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}: {n!r}")
    return n


def finite(x, name):
    """x as a float, if it is a finite real number."""
    x = real_number(x, name)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    return x


def positive(x, name):
    x = finite(x, name)
    if x <= 0.0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def non_negative(x, name):
    x = finite(x, name)
    if x < 0.0:
        raise ValueError(f"{name} must be >= 0, got {x!r}")
    return x


def fraction(x, name):
    """x as a float, if 0 <= x < 1 (a probability of dropping, a decay rate)."""
    x = finite(x, name)
    if not 0.0 <= x < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {x!r}")
    return x


def paired(first, second, first_name, second_name):
    """Check that two sequences pair up one to one (rows and labels, predictions and targets) and are not empty."""
    if len(first) != len(second):
        raise ValueError(f"got {len(first)} {first_name} but {len(second)} {second_name}; they must pair up one to one")
    if not first:
        raise ValueError(f"got no {first_name}")


# -------------------------------------------------------------------- the rows of a data set


def rows(X):
    """Each row as a tuple of floats, once, so that the first layer's ``engine.dots`` converts nothing.

    Rows that are not flat sequences of numbers (an RNN's sequences of vectors) are kept as they are;
    a row that is neither is a TypeError naming it.
    """
    converted = []
    for i, row in enumerate(X):
        try:
            converted.append(tuple(map(float, row)))
        except (TypeError, ValueError):  # only now, off the fast path, ask what the row is
            converted.append(_other_row(row, i))
    return converted


def _other_row(row, i):
    """``row`` itself if it is a sequence whose items are numbers, Values or vectors; else name what is wrong."""
    wanted = "each row must be a sequence of numbers (for an RNN, of vectors)"
    if not _is_sequence(row):
        raise TypeError(f"row {i} of X is {type(row).__name__}: {row!r}; {wanted}")
    for j, item in enumerate(row):
        if not (isinstance(item, (numbers.Real, Value)) or _is_sequence(item)):
            raise TypeError(f"row {i} of X holds {type(item).__name__}: {item!r} at [{j}]; {wanted}")
    return row


def _is_sequence(x):
    return hasattr(x, "__len__") and hasattr(x, "__iter__") and not isinstance(x, (str, bytes))
