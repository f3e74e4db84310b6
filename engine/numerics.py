"""Float functions with IEEE-754 answers instead of Python exceptions.

Python raises where PyTorch (and the IEEE standard) return inf or nan: ``1/0`` raises
ZeroDivisionError, ``math.log(0)`` raises ValueError, ``math.exp(1000)`` raises OverflowError, and
``(-8) ** 0.5`` even returns a complex number. A student who divides by zero should see ``inf`` in the
graph, not a traceback, so every operation computes through these.
"""

import math

inf, nan = math.inf, math.nan


def divide(a, b):
    """a / b, with a/0 = +-inf (sign of a times sign of the zero) and 0/0 = nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)


def exp(x):
    """e^x, with exp(large) = inf."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x):
    """ln x, with log(0) = -inf and log(negative) = nan."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan


def sqrt(x):
    """sqrt(x), with sqrt(negative) = nan (never a complex number)."""
    return math.sqrt(x) if x >= 0.0 else nan


def sin(x):
    """sin(x), with sin(+-inf) = nan."""
    return math.sin(x) if math.isfinite(x) else nan


def cos(x):
    """cos(x), with cos(+-inf) = nan."""
    return math.cos(x) if math.isfinite(x) else nan


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = exp(x)
    return e / (1.0 + e)


def power(a, b):
    """a ** b as a real number: (-8) ** 0.5 = nan, 0 ** -1 = inf, overflow = +-inf."""
    try:
        return math.pow(a, b)
    except OverflowError:
        # |a ** b| is too large: the sign is negative only for a negative base and an odd integer exponent.
        return -inf if a < 0.0 and _is_odd_integer(b) else inf
    except ValueError:
        if a == 0.0:  # zero to a negative power
            return math.copysign(inf, a) if _is_odd_integer(b) else inf
        return nan  # negative base, fractional exponent


def power_by_constant(a, c):
    """a ** c for a constant exponent c, as PyTorch computes it: 0.5 as sqrt, -0.5 as 1/sqrt, -1 as
    1/a, 2 and 3 as products, -2 as 1/a^2 (so (-inf) ** 0.5 is nan, not inf), anything else as ``power``."""
    if c == 0.5:
        return sqrt(a)
    if c == -0.5:
        return divide(1.0, sqrt(a))
    if c == -1.0:
        return divide(1.0, a)
    if c == 2.0:
        return a * a
    if c == 3.0:
        return a * a * a
    if c == -2.0:
        return divide(1.0, a * a)
    return power(a, c)


def _is_odd_integer(b):
    return math.isfinite(b) and b.is_integer() and b % 2.0 == 1.0


def softplus(x):
    """ln(1 + e^x) without overflow; x itself above 20, where they agree to double precision, as in PyTorch."""
    return x if x > 20.0 else math.log1p(exp(x))
