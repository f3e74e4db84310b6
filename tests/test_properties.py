"""Property tests: random expression trees over every op, checked against finite differences and PyTorch.

Points near a kink (relu, abs, leaky_relu at 0) or a domain edge (log, sqrt at 0, a negative base
of a power) are stepped around with ``assume`` instead of loosening the tolerances.
"""

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine import Value, gradcheck

from operations_table import ROWS

N_VARS = 3
UNARY = ["neg"] + [function.__name__ for function in engine.FUNCTIONS]  # each has a row in ROWS
BINARY = ["+", "-", "*", "/", "**"]

finite = st.floats(min_value=1e-3, max_value=3.0) | st.floats(min_value=-3.0, max_value=-1e-3)
leaves = st.one_of(
    st.tuples(st.just("var"), st.integers(0, N_VARS - 1)),
    st.tuples(st.just("const"), finite | st.just(0.0)),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(UNARY), children),
        st.tuples(st.sampled_from(BINARY), children, children),
        st.tuples(st.just("**"), children, st.tuples(st.just("const"), st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, -2.0]))),
        st.tuples(st.just("sum"), st.lists(children, min_size=1, max_size=4)),
        st.tuples(st.just("dot"), st.lists(st.tuples(children, children), min_size=1, max_size=3)),
    ),
    max_leaves=8,
)
points = st.lists(finite, min_size=N_VARS, max_size=N_VARS)


class Backend:
    """Evaluates a tree with chainrule Values or torch tensors, and stops at points it should step around."""

    def __init__(self, torch=None):
        self.torch = torch

    def evaluate(self, tree, xs):
        kind = tree[0]
        if kind == "var":
            return xs[tree[1]]
        if kind == "const":
            return tree[1]
        if kind == "sum":
            terms = [self.evaluate(t, xs) for t in tree[1]]
            return self._sum(terms)
        if kind == "dot":
            pairs = [(self.evaluate(a, xs), self.evaluate(b, xs)) for a, b in tree[1]]
            return self._dot(pairs)
        if kind in BINARY:
            a, b = self.evaluate(tree[1], xs), self.evaluate(tree[2], xs)
            self._check_binary(kind, a, b)
            return _apply_binary(kind, a, b)
        x = self.evaluate(tree[1], xs)
        self._check_unary(kind, x)
        return self._unary(kind, x)

    def _sum(self, terms):
        if self.torch is None:
            return engine.sum(terms)
        return sum(terms[1:], terms[0])

    def _dot(self, pairs):
        if self.torch is None:
            return engine.dot([a for a, _ in pairs], [b for _, b in pairs])
        return sum((a * b for a, b in pairs[1:]), pairs[0][0] * pairs[0][1])

    def _unary(self, name, x):
        if not hasattr(x, "data") or not hasattr(x, "backward"):
            x = Value(x) if self.torch is None else self.torch.tensor(x, dtype=self.torch.float64)
        if self.torch is not None:
            return ROWS[name].torch(self.torch, x)
        return -x if name == "neg" else getattr(x, name)()

    @staticmethod
    def _check_unary(name, x):
        v = _data(x)
        if ROWS[name].kink:
            assume(abs(v) > 1e-3)
        if ROWS[name].positive:
            assume(v > 1e-3)

    @staticmethod
    def _check_binary(name, a, b):
        if name == "/":
            assume(abs(_data(b)) > 1e-2)
        if name == "**":
            base, exponent = _data(a), _data(b)
            assume(abs(exponent) < 4)
            # A negative base is fine (and smooth) for a constant integer exponent: x**3 at x < 0.
            integer_power = not isinstance(b, Value) and not hasattr(b, "requires_grad") and exponent.is_integer()
            assume(base > 1e-2 or (integer_power and abs(base) > 1e-2))


def _apply_binary(name, a, b):
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b, "**": lambda: a**b}[
        name
    ]()


def _data(x):
    if isinstance(x, Value):
        return x.data
    if hasattr(x, "item"):
        return x.item()
    return float(x)


def _tame(value):
    """Keep examples whose value is finite and moderate, so finite differences stay meaningful."""
    assume(math.isfinite(value) and abs(value) < 1e4)


def chainrule_gradients(tree, point):
    xs = [Value(x) for x in point]
    out = Backend().evaluate(tree, xs)
    assume(isinstance(out, Value))
    _tame(out.data)
    out.backward()
    return out.data, [x.grad for x in xs]


def test_every_function_has_a_row():
    assert set(UNARY) == set(ROWS), "add a row to tests/operations_table.py for each function of engine.FUNCTIONS"


@given(trees, points)
def test_gradients_match_central_differences(tree, point):
    value, grads = chainrule_gradients(tree, point)
    assume(all(math.isfinite(g) and abs(g) < 1e4 for g in grads))

    def f(*xs):
        return Backend().evaluate(tree, list(xs))

    report = gradcheck(f, *point, eps=1e-6, atol=1e-5, rtol=1e-4)
    assert report, str(report)


# The torch fixture only hands over the module, so sharing it across examples is safe.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees, point=points)
def test_gradients_match_torch_float64(torch, tree, point):
    value, grads = chainrule_gradients(tree, point)
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = Backend(torch).evaluate(tree, tensors)
    assume(isinstance(out, torch.Tensor) and out.requires_grad)
    out.backward()
    assert out.item() == pytest.approx(value, rel=1e-9, abs=1e-12)
    torch_grads = [0.0 if t.grad is None else t.grad.item() for t in tensors]
    for ours, theirs in zip(grads, torch_grads):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
