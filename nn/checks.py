"""Checking settings where they come in: each raises ValueError naming the setting and the bad value.

Whether something is a number at all is ``engine.checks.real_number``'s question (a TypeError if
not); these add the ranges that settings need.
"""

import math

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
