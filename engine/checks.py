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
    if isinstance(x, numbers.Real) or _is_numpy_bool(x):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: {shortened(x)} is too large for a float") from None
    kind = f"numpy.{type(x).__name__}" if type(x).__module__ == "numpy" else type(x).__name__  # numpy's bool is "bool"
    raise TypeError(f"{where} must be a real number (int, float, bool), got {kind}: {shortened(x)}")


def _is_numpy_bool(x):
    """numpy's bool is not registered as numbers.Real (its ints and floats are); PyTorch takes it, so do we."""
    return type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_")


def shortened(x, width=80):
    """``repr(x)``, or its start and end around "…" where it is longer than ``width`` characters.

    >>> shortened(10**100, width=20)
    '100000000…000000000'
    >>> shortened(10**5000)
    'an int too long to write out (over 4300 digits)'
    """
    try:
        text = repr(x)
    except ValueError:  # Python refuses to write out an int of more than 4300 digits
        return "an int too long to write out (over 4300 digits)"
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return f"{text[:half]}…{text[-half:]}"
