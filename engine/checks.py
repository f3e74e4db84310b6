"""The one check for "a real number", used wherever a number comes in from outside."""

import numbers


def real_number(x, where):
    """``x`` as a Python float, or an error that names ``where`` and what it got.

    Accepts int, float, bool, fractions and numpy scalars: anything ``numbers.Real``, which a Value
    is not (where a Value is allowed, the caller reads its ``.data`` first).

    >>> real_number(3, "lr")
    3.0
    >>> real_number("3", "lr")
    Traceback (most recent call last):
    TypeError: lr must be a real number (int, float, bool), got str: '3'
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: {x!r} is too large for a float") from None
    raise TypeError(f"{where} must be a real number (int, float, bool), got {type(x).__name__}: {x!r}")
