"""The Value: one real number, its gradient, and how it was computed.

Every operation computes its result *and* the local derivative of the result with respect to each
input, right then, in the forward pass. The new Value records ``parents`` (the inputs, in order,
duplicates kept) and ``local_grads`` (one number per parent). Backward then needs a single rule,
``parent.grad += local * node.grad``, applied along every edge in reverse topological order.

A Value holds numbers and references to its parents, never closures, so the graph has no reference
cycles: it is freed the moment the last reference to the output goes.
"""

import builtins
import math
import numbers
import weakref
from functools import lru_cache
from operator import mul

from engine import modes
from engine.numerics import divide, exp, log, power, sigmoid, sqrt, sin, cos


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can find its gradient.

    Args:
        data: a real number (int, float, bool or a numpy scalar), stored as a Python float.
        label: a name shown in drawings and explanations.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> y.data, x.grad          # y = x^2 + 2x, dy/dx = 2x + 2
    (15.0, 8.0)
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "_hooks", "__weakref__")

    def __init__(self, data, label=""):
        self.data = _as_float(data, "Value(data)")
        self.grad = 0.0
        self.label = _as_label(label)
        self.op = ""
        self.parents = ()
        self.local_grads = ()
        self._hooks = None  # a list once register_hook is called

    # ---------------------------------------------------------------- binary operators
    # Each pairs the Value with another Value or a plain number; a number is a constant and stays
    # out of the graph, but it shows in the op's name ("*2", "2**") so drawings stay readable.

    def __add__(self, other):
        return _binary(self, other, "+", _add)

    def __radd__(self, other):
        return _binary(other, self, "+", _add)

    def __sub__(self, other):
        return _binary(self, other, "-", _sub)

    def __rsub__(self, other):
        return _binary(other, self, "-", _sub)

    def __mul__(self, other):
        return _binary(self, other, "*", _mul)

    def __rmul__(self, other):
        return _binary(other, self, "*", _mul)

    def __truediv__(self, other):
        return _binary(self, other, "/", _div)

    def __rtruediv__(self, other):
        return _binary(other, self, "/", _div)

    def __pow__(self, other):
        return _binary(self, other, "**", _pow)

    def __rpow__(self, other):
        return _binary(other, self, "**", _pow)

    # ---------------------------------------------------------------- unary operations
    # The value, then its local derivative, side by side.

    def __neg__(self):
        """-x;  d/dx = -1"""
        return _unary(self, -self.data, -1.0, "neg")

    def __abs__(self):
        """|x|;  d/dx = sign(x), with sign(0) = 0 as in PyTorch"""
        x = self.data
        return _unary(self, abs(x), (x > 0) - (x < 0) + 0.0, "abs")

    def exp(self):
        """e^x;  d/dx = e^x"""
        out = exp(self.data)
        return _unary(self, out, out, "exp")

    def log(self):
        """ln x;  d/dx = 1/x  (log 0 = -inf, log of a negative number = nan)"""
        x = self.data
        return _unary(self, log(x), divide(1.0, x), "log")

    def sqrt(self):
        """sqrt(x);  d/dx = 1 / (2 sqrt(x))"""
        out = sqrt(self.data)
        return _unary(self, out, divide(1.0, 2.0 * out), "sqrt")

    def tanh(self):
        """tanh(x);  d/dx = 1 - tanh(x)^2"""
        t = math.tanh(self.data)
        return _unary(self, t, 1.0 - t * t, "tanh")

    def sigmoid(self):
        """s(x) = 1 / (1 + e^-x);  d/dx = s(x) (1 - s(x))"""
        s = sigmoid(self.data)
        return _unary(self, s, s * (1.0 - s), "sigmoid")

    def relu(self):
        """max(0, x);  d/dx = 1 if x > 0 else 0 (0 at the kink, as in PyTorch)"""
        x = self.data
        if x > 0.0:
            return _result(x, (self,), _ONE, "relu")
        # "x if not x <= 0" keeps nan as nan, as PyTorch does.
        return _result(x if not x <= 0.0 else 0.0, (self,), _ZERO, "relu")

    def leaky_relu(self, slope=0.01):
        """x if x > 0 else slope * x;  d/dx = 1 if x > 0 else slope"""
        slope = _as_float(slope, "leaky_relu(slope)")
        x = self.data
        if x > 0.0:
            return _unary(self, x, 1.0, "leaky_relu")
        return _unary(self, slope * x, slope, "leaky_relu")

    def sin(self):
        """sin(x);  d/dx = cos(x)"""
        x = self.data
        return _unary(self, sin(x), cos(x), "sin")

    def cos(self):
        """cos(x);  d/dx = -sin(x)"""
        x = self.data
        return _unary(self, cos(x), -sin(x), "cos")

    # ---------------------------------------------------------------- comparisons
    # Ordering compares data, so max(values) returns a Value and the gradient flows to it.
    # == and hash stay by identity: a Value is a node in a graph, not a number.

    def __lt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data < other

    def __le__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data <= other

    def __gt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data > other

    def __ge__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data >= other

    __hash__ = object.__hash__

    def __float__(self):
        return self.data

    # ---------------------------------------------------------------- gradients

    def backward(self, grad=1.0):
        """Fill in ``.grad`` of every Value this one depends on: d(self)/d(that Value), times ``grad``.

        Leaves (Values with no parents) accumulate across calls, as in PyTorch: call ``zero_grad()``
        between steps. Every other node's grad is recomputed from zero on each call.

        >>> x = Value(2.0)
        >>> y = x * x * x
        >>> y.backward(); x.grad
        12.0
        >>> y.backward(); x.grad    # leaves accumulate
        24.0
        """
        from engine.backward import backward

        backward(self, _as_float(grad, "backward(grad)"))

    def zero_grad(self):
        """Set the grad of every Value in this Value's graph (itself included) to 0."""
        from engine.backward import topological_order

        for node in topological_order(self):
            node.grad = 0.0

    def register_hook(self, hook):
        """Call ``hook(grad)`` once this Value's gradient is complete during backward.

        If the hook returns a number, it replaces the gradient (for a leaf: the gradient this backward
        adds). Returns a handle whose ``remove()`` unregisters the hook.

        >>> x = Value(2.0)
        >>> y = x * 3
        >>> handle = y.register_hook(lambda g: print(f"dy/dy = {g}"))
        >>> y.backward()
        dy/dy = 1.0
        """
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = []
            hooked.add(self)
        self._hooks.append(hook)
        return _HookHandle(self, hook)

    # ---------------------------------------------------------------- display

    def __repr__(self):
        name = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name}{op})"


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook off again."""

    __slots__ = ("_value", "_hook")

    def __init__(self, value, hook):
        self._value, self._hook = weakref.ref(value), hook  # a handle kept around keeps no graph alive

    def remove(self):
        value = self._value()
        if value is None or not value._hooks or self._hook not in value._hooks:
            return
        value._hooks.remove(self._hook)
        if not value._hooks:
            value._hooks = None
            hooked.discard(value)


# Every Value that has hooks, held weakly: backward asks once whether it is empty, and if so skips
# looking for hooks at all. (The hooks themselves live on their Value, so a hook that refers to its
# own Value makes an ordinary cycle, which Python's collector frees, not a leak.)
hooked = weakref.WeakSet()


# -------------------------------------------------------------------- building nodes


def _result(data, parents, local_grads, op):
    """A new interior node. Under ``no_grad`` it records no parents, so backward stops there."""
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    if modes.grad_enabled:
        node.parents = parents
        node.local_grads = local_grads
    else:
        node.parents = node.local_grads = ()
    node._hooks = None
    if modes.anomaly_enabled and not math.isfinite(data):
        _raise_anomaly(op, data, parents)
    return node


_new_value = object.__new__


def _unary(x, out, local, op):
    return _result(out, (x,), (local,), op)


# Local derivatives of 1 and 0, one tuple each for all nodes: half the network's nodes are ReLUs.
_ONE, _ZERO = (1.0,), (0.0,)


# The value of each binary primitive beside its local derivatives d/da and d/db.
def _add(a, b):
    return a + b, 1.0, 1.0


def _sub(a, b):
    return a - b, 1.0, -1.0


def _mul(a, b):
    return a * b, b, a


def _div(a, b):
    q = divide(a, b)
    return q, divide(1.0, b), -divide(q, b)


def _pow(a, b):
    out = power(a, b)
    # PyTorch's conventions: d/da is 0 when b == 0 (even at a = 0); d/db is 0 when a == 0 and b >= 0.
    da = 0.0 if b == 0.0 else b * power(a, b - 1.0)
    db = 0.0 if a == 0.0 and b >= 0.0 else out * log(a)
    return out, da, db


def _binary(a, b, symbol, rule):
    """a <symbol> b where at least one side is a Value and the other a Value or a number."""
    if isinstance(a, Value):
        if isinstance(b, Value):
            out, da, db = rule(a.data, b.data)
            return _result(out, (a, b), (da, db), symbol)
        c = b if type(b) is float else _data_of(b)
        if c is None:
            return NotImplemented
        out, da, _ = rule(a.data, c)
        # Adding a constant then costs no tuple of local derivatives per node.
        return _result(out, (a,), _ONE if da == 1.0 else (da,), _constant_op(symbol, c, True))
    c = a if type(a) is float else _data_of(a)
    if c is None:
        return NotImplemented
    out, _, db = rule(c, b.data)
    return _result(out, (b,), _ONE if db == 1.0 else (db,), _constant_op(symbol, c, False))


@lru_cache(maxsize=4096)
def _constant_op(symbol, constant, constant_on_right):
    """The op name that shows a constant: '*2', '**3', '2**', '1/'. Cached: the chain y*1.0001 reuses one."""
    text = repr(int(constant)) if constant.is_integer() and abs(constant) < 1e16 else repr(constant)
    return symbol + text if constant_on_right else text + symbol


# -------------------------------------------------------------------- n-ary nodes


def sum(values):
    """One node for v1 + v2 + ... + vn, with every local derivative 1.

    Numbers among the values are constants: they add to the result but are not parents.
    (Python's built-in ``sum`` works on Values too, but it builds n nodes instead of one.)

    >>> import engine
    >>> xs = [Value(1.0), Value(2.0), Value(3.0)]
    >>> s = engine.sum(xs)
    >>> s.data, len(s.parents)
    (6.0, 3)
    """
    values = tuple(values)
    nodes = tuple(v for v in values if isinstance(v, Value))
    constants = [_as_float(v, "sum(values)") for v in values if not isinstance(v, Value)]
    total = math.fsum(constants) if constants else 0.0
    out = builtins.sum([v.data for v in nodes], total)
    op = _constant_op("sum+", total, True) if total else "sum"
    return _result(out, nodes, (1.0,) * len(nodes), op)


def dot(ws, xs, bias=None):
    """One node for w1*x1 + ... + wn*xn (+ bias): the weighted sum of a neuron.

    d/dwi = xi, d/dxi = wi, d/dbias = 1. Either side may hold Values or plain numbers (numbers are
    constants, as the inputs of a first layer are). One node with up to 2n + 1 parents instead of 2n
    nodes: a fused node, for speed and for smaller drawings. Parents: the weights, the bias, the inputs.

    >>> import engine
    >>> w = [Value(0.5), Value(-1.0)]
    >>> z = engine.dot(w, [2.0, 3.0], bias=Value(0.25))
    >>> z.data, z.local_grads
    (-1.75, (2.0, 3.0, 1.0))
    """
    ws = ws if type(ws) is tuple else tuple(ws)
    xs = xs if type(xs) is tuple else tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot needs two sequences of the same length, got {len(ws)} and {len(xs)}")
    if bias is not None and not isinstance(bias, Value):
        bias = _as_float(bias, "dot(bias)")
    weights = ws if bias is None else (*ws, bias)  # a bias is a weight whose input is the constant 1
    # The shape every neuron has: Values for weights, and inputs that are all Values or all numbers.
    # (issuperset over map(type, ...) checks each item's exact type in C, stopping at the first miss.)
    if _VALUES.issuperset(map(type, weights)):
        prepared = prepare_inputs(xs, bias is not None, "dot(xs)")
        if prepared is not None:
            return dot_node(weights, *prepared)
    # Anything else: numbers on either side are constants, and only the Values become parents.
    xs = xs if bias is None else (*xs, 1.0)
    wd = [_data_or_number(w, "dot(ws)") for w in weights]
    xd = [_data_or_number(x, "dot(xs)") for x in xs]
    edges = [(w, x) for w, x in zip(weights, xd) if isinstance(w, Value)]
    edges += [(x, w) for x, w in zip(xs, wd) if isinstance(x, Value)]
    parents, local_grads = tuple(v for v, _ in edges), tuple(d for _, d in edges)
    return _result(builtins.sum(map(mul, wd, xd), 0.0), parents, local_grads, "dot")


def prepare_inputs(xs, with_bias, where):
    """The inputs of ``dot_node``: ``(inputs, numbers)`` for a tuple ``xs`` of all Values or all numbers.

    ``inputs`` are the Values that become parents (``()`` when xs are constants); ``numbers`` holds
    every x as a float, then 1.0 if ``with_bias`` (a bias's input). None when xs mixes Values and
    numbers. A layer prepares its input once, for all of its neurons. Raises TypeError, naming
    ``where``, for an x that is neither.
    """
    if _FLOATS.issuperset(map(type, xs)):
        return (), (*xs, 1.0) if with_bias else xs
    if _VALUES.issuperset(map(type, xs)):
        numbers = [x.data for x in xs]
        if with_bias:
            numbers.append(1.0)
        return xs, tuple(numbers)
    numbers = tuple(x if isinstance(x, Value) else _as_float(x, where) for x in xs)
    if any(isinstance(x, Value) for x in numbers):
        return None
    return prepare_inputs(numbers, with_bias, where)


def dot_node(weights, inputs, numbers):
    """The dot node from parts that the caller has checked: the sum of weights[i].data * numbers[i].

    ``weights`` are Values (a bias last, its number 1.0); ``inputs, numbers`` come from
    ``prepare_inputs``. Parents: the weights, then the inputs. d/dweight = the number it multiplies;
    d/dinput = the weight it meets. Nothing is checked again, not even the lengths: it is for
    ``engine.dot`` and ``nn``'s neurons, which have checked; elsewhere, call ``engine.dot``.
    """
    wd = [w.data for w in weights]
    out = builtins.sum(map(mul, wd, numbers), 0.0)
    if not inputs:
        # Parents and local derivatives are the caller's own tuples: a first layer's neurons share one.
        return _result(out, weights, numbers, "dot")
    del wd[len(inputs) :]  # the bias meets no input
    return _result(out, weights + inputs, (*numbers, *wd), "dot")


_VALUES, _FLOATS = {Value}, {float}


class Leaves(tuple):
    """A tuple of leaves (Values without parents), such as a neuron's weights and bias.

    A node whose parents are a ``Leaves`` has nothing behind it to walk, so backward's walk does not
    look inside: in a first layer that is every weight. Make one with ``leaves_or_tuple``.
    """

    __slots__ = ()


def leaves_or_tuple(values):
    """``values`` as a ``Leaves`` if every one is a leaf Value, else as a plain tuple."""
    values = tuple(values)
    return Leaves(values) if all(type(v) is Value and not v.parents for v in values) else values


# -------------------------------------------------------------------- checking input


def _as_float(x, where):
    """x as a Python float, or TypeError naming what it got."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: {x!r} is too large for a float") from None
    raise TypeError(f"{where} must be a real number (int, float, bool), got {type(x).__name__}: {x!r}")


def _data_or_number(x, where):
    return x.data if isinstance(x, Value) else _as_float(x, where)


def _data_of(x):
    """x.data for a Value, float(x) for a real number, None for anything else (so Python says TypeError)."""
    if type(x) is float:
        return x
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return _as_float(x, "operand")
    return None


def _as_label(label):
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
    return label


def _raise_anomaly(op, data, parents):
    inputs = ", ".join(f"{p.label or p.op or 'value'}={p.data!r}" for p in parents) or "constants only"
    raise FloatingPointError(f"operation {op!r} produced {data!r} from inputs {inputs}")
