"""The table: each built-in operation's value and local derivatives, side by side, one short rule each.

Each rule takes floats and returns its value and its local derivatives, one per parameter;
``@operation`` (``engine/operation.py``) makes it an operation on Values. To add one, write its
rule here with ``@operation`` and, if it is a function of one Value, add it to ``FUNCTIONS``: the
CLI, nn's activations and the tests read that list, and it becomes a Value method.
"""

import builtins

from engine import numerics
from engine.backward import ZERO
from engine.operation import arithmetic, operation
from engine.value import Value


# -------------------------------------------------------------------- one Value, or two, in one node
# Each function takes floats and returns its value and its local derivatives, one per parameter.


@arithmetic("+")
def add(a, b):
    """a + b;  d/da = 1, d/db = 1"""
    return a + b, (1.0, 1.0)


@arithmetic("-")
def sub(a, b):
    """a - b;  d/da = 1, d/db = -1"""
    return a - b, (1.0, -1.0)


@arithmetic("*")
def mul(a, b):
    """a * b;  d/da = b, d/db = a"""
    return a * b, (b, a)


@arithmetic("/")
def div(a, b):
    """a / b;  d/da = 1/b, d/db = -a/b^2 (a/0 = inf and 0/0 = nan, as in IEEE arithmetic)"""
    q = numerics.divide(a, b)
    return q, (numerics.divide(1.0, b), -numerics.divide(q, b))


def power_of_constant(a, c):
    """a^c for a constant c, as PyTorch computes it (see numerics.power_by_constant);  d/da = c a^(c-1)"""
    da = ZERO if c == 0.0 else c * numerics.power_by_constant(a, c - 1.0)  # x**0 is 1 whatever x is
    return numerics.power_by_constant(a, c), (da, 0.0)


@arithmetic("**", power_of_constant)
def pow(a, b):
    """a^b;  d/da = b a^(b-1), d/db = a^b ln a (PyTorch's choices where these are undefined)"""
    out = numerics.power(a, b)
    da = ZERO if numerics.is_zero(b) else b * numerics.power(a, b - 1.0)  # x**0 is 1 whatever x is
    db = 0.0 if numerics.is_zero(a) and b >= 0.0 else out * numerics.log(a)
    return out, (da, db)


@operation
def neg(x):
    """-x;  d/dx = -1"""
    return -x, (-1.0,)


@operation
def abs(x):
    """|x|;  d/dx = sign(x), with sign(0) = 0 as in PyTorch"""
    return builtins.abs(x), ((x > 0.0) - (x < 0.0) + 0.0,)


@operation
def exp(x):
    """e^x;  d/dx = e^x"""
    y = numerics.exp(x)
    return y, (y,)


@operation
def log(x):
    """ln x;  d/dx = 1/x  (log 0 = -inf, log of a negative number = nan)"""
    return numerics.log(x), (numerics.divide(1.0, x),)


@operation
def sqrt(x):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x))"""
    y = numerics.sqrt(x)
    return y, (numerics.divide(1.0, 2.0 * y),)


@operation
def tanh(x):
    """tanh(x);  d/dx = 1 - tanh(x)^2"""
    t = numerics.tanh(x)
    return t, (1.0 - t * t,)


@operation
def sigmoid(x):
    """s(x) = 1 / (1 + e^-x);  d/dx = s(x) (1 - s(x))"""
    s = numerics.sigmoid(x)
    return s, (s * (1.0 - s),)


@operation
def relu(x):
    """max(0, x);  d/dx = 1 if x > 0 else 0, a masked 0 (relu(-0.0) is -0.0, relu(nan) nan with d/dx 1: PyTorch's)"""
    if x < 0.0:
        return 0.0, MASKED
    if x <= 0.0:  # x is 0 (<=, not ==, which is identity for a Value: the rule runs on Values too)
        return x, MASKED
    return x, (1.0,)


MASKED = (ZERO,)  # relu's local derivatives where it is off: half of a network's ReLUs share this tuple


@operation
def leaky_relu(x, slope=0.01):
    """x if x > 0 else slope * x;  d/dx = 1 if x > 0 else slope, d/dslope = 0 if x > 0 else x"""
    return (x, (1.0, 0.0)) if x > 0.0 else (slope * x, (slope, x))


@operation
def softplus(x):
    """ln(1 + e^x), a smooth relu;  d/dx = s(x) = 1 / (1 + e^-x), 1 above x = 20 (as PyTorch)"""
    return numerics.softplus(x), (1.0 if x > 20.0 else numerics.sigmoid(x),)


@operation
def sin(x):
    """sin(x);  d/dx = cos(x)"""
    return numerics.sin(x), (numerics.cos(x),)


@operation
def cos(x):
    """cos(x);  d/dx = -sin(x)"""
    return numerics.cos(x), (-numerics.sin(x),)


# The functions of one Value: the CLI, nn's activations and the tests read this list, and each is
# also a Value method (x.tanh() is tanh(x)). The operators above are Value's own methods.
FUNCTIONS = (exp, log, sqrt, tanh, sigmoid, relu, leaky_relu, softplus, sin, cos, abs)


# -------------------------------------------------------------------- Value's operators and methods
# Each is an operation of this table: x + y is add(x, y), 2 * x is mul(2, x), x.tanh() is tanh(x).

Value.__add__, Value.__sub__, Value.__mul__ = add, sub, mul
Value.__truediv__, Value.__pow__, Value.__neg__, Value.__abs__ = div, pow, neg, abs
Value.__radd__ = lambda self, other: add(other, self)
Value.__rsub__ = lambda self, other: sub(other, self)
Value.__rmul__ = lambda self, other: mul(other, self)
Value.__rtruediv__ = lambda self, other: div(other, self)
Value.__rpow__ = lambda self, other: pow(other, self)
for function in FUNCTIONS:
    setattr(Value, function.__name__, function)
