"""Float functions with IEEE-754 answers instead of Python exceptions.

Python raises where PyTorch (and the IEEE standard) return inf or nan: ``1/0`` raises
ZeroDivisionError, ``math.log(0)`` raises ValueError, ``math.exp(1000)`` raises OverflowError, and
``(-8) ** 0.5`` even returns a complex number. A student who divides by zero should see ``inf`` in the
graph, not a traceback, so every operation computes through these.

Each also takes a Value, and is then the Value's own operation, recorded in the graph (an
operation's rule never sees a Value when it computes a node). That is how a rule's local
derivatives are differentiated again: ``backward(create_graph=True)`` runs the same rule on the
node's inputs as Values (engine/backward.py), and ``d/dx tanh(x) = 1 - t*t`` becomes a graph.
"""

import math

inf, nan = math.inf, math.nan


def divide(a, b):
    """a / b, with a/0 = +-inf (sign of a times sign of the zero) and 0/0 = nan."""
    if type(a) is not float or type(b) is not float:
        return a / b  # a Value's division: the same IEEE answers
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)


def exp(x):
    """e^x, with exp(large) = inf."""
    if type(x) is not float:
        return x.exp()
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x):
    """ln x, with log(0) = -inf and log(negative) = nan."""
    if type(x) is not float:
        return x.log()
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan


def sqrt(x):
    """sqrt(x), with sqrt(negative) = nan (never a complex number)."""
    if type(x) is not float:
        return x.sqrt()
    return math.sqrt(x) if x >= 0.0 else nan


def tanh(x):
    """tanh(x) (math.tanh never overflows)."""
    if type(x) is not float:
        return x.tanh()
    return math.tanh(x)


def is_zero(x):
    """x == 0, for a Value too (a Value's == is identity: it is a node, not a number)."""
    return x == 0.0 if type(x) is float else x.data == 0.0


def sin(x):
    """sin(x), with sin(+-inf) = nan."""
    if type(x) is not float:
        return x.sin()
    return math.sin(x) if math.isfinite(x) else nan


def cos(x):
    """cos(x), with cos(+-inf) = nan."""
    if type(x) is not float:
        return x.cos()
    return math.cos(x) if math.isfinite(x) else nan


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if type(x) is not float:
        return x.sigmoid()
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = exp(x)
    return e / (1.0 + e)


def power(a, b):
    """a ** b as a real number: (-8) ** 0.5 = nan, 0 ** -1 = inf, overflow = +-inf."""
    if type(a) is not float or type(b) is not float:
        return a ** b
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
    if type(a) is not float:
        return a ** c  # a Value to the constant c: the operation whose rule calls this with floats
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
    if type(x) is not float:
        return x.softplus()
    return x if x > 20.0 else math.log1p(exp(x))
