"""Every op against PyTorch in float64: value and gradient, including the non-finite cases a student hits."""

import math

import pytest

from engine import Value

# name -> (chainrule op on Values/numbers, torch op on tensors/numbers); all take two arguments
# so that unary ops, binary ops and ops with a constant on either side share one table.
UNARY = {
    "neg": (lambda x: -x, lambda t, x: -x),
    "abs": (lambda x: abs(x), lambda t, x: x.abs()),
    "exp": (lambda x: x.exp(), lambda t, x: x.exp()),
    "log": (lambda x: x.log(), lambda t, x: x.log()),
    "sqrt": (lambda x: x.sqrt(), lambda t, x: x.sqrt()),
    "tanh": (lambda x: x.tanh(), lambda t, x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda t, x: x.sigmoid()),
    "relu": (lambda x: x.relu(), lambda t, x: x.relu()),
    "leaky_relu": (lambda x: x.leaky_relu(0.01), lambda t, x: t.nn.functional.leaky_relu(x, 0.01)),
    "sin": (lambda x: x.sin(), lambda t, x: x.sin()),
    "cos": (lambda x: x.cos(), lambda t, x: x.cos()),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
POINTS = [-1000.0, -8.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 1000.0]


def same(a, b, rel=1e-9):
    """Equal as floats: nan matches nan, infinities match by sign, finite numbers to ``rel``."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


def torch_value_and_grads(torch, f, *xs):
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*tensors)
    out.backward()
    return out.item(), [t.grad.item() for t in tensors]


def chainrule_value_and_grads(f, *xs):
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    return out.data, [v.grad for v in values]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", POINTS)
def test_unary_ops_match_torch(torch, name, x):
    ours, theirs = UNARY[name]
    value, grads = chainrule_value_and_grads(ours, x)
    t_value, t_grads = torch_value_and_grads(torch, lambda v: theirs(torch, v), x)
    assert same(value, t_value), (name, x, value, t_value)
    assert same(grads[0], t_grads[0]), (name, x, grads, t_grads)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("a", [-8.0, -1.5, 0.0, 0.5, 2.0, 3.0])
@pytest.mark.parametrize("b", [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
def test_binary_ops_match_torch_with_values_and_constants(torch, name, a, b):
    op = BINARY[name]
    # Value with Value
    value, grads = chainrule_value_and_grads(op, a, b)
    t_value, t_grads = torch_value_and_grads(torch, op, a, b)
    assert same(value, t_value) and all(map(same, grads, t_grads)), (a, name, b, value, grads, t_value, t_grads)
    # Value with a constant on the right, and a constant on the left
    _check_constant_side(torch, op, a, b)


def _check_constant_side(torch, op, a, b):
    value, grads = chainrule_value_and_grads(lambda x: op(x, b), a)
    t_value, t_grads = torch_value_and_grads(torch, lambda x: op(x, b), a)
    assert same(value, t_value) and same(grads[0], t_grads[0]), ("Value op const", a, b, value, grads, t_grads)
    value, grads = chainrule_value_and_grads(lambda x: op(a, x), b)
    base = torch.tensor(a, dtype=torch.float64)
    t_value, t_grads = torch_value_and_grads(torch, lambda x: op(base, x), b)
    assert same(value, t_value) and same(grads[0], t_grads[0]), ("const op Value", a, b, value, grads, t_grads)


NON_FINITE = [
    ("1/0", lambda x: x / 0.0, 1.0),
    ("log(0)", lambda x: x.log(), 0.0),
    ("log(-1)", lambda x: x.log(), -1.0),
    ("(-8)**0.5", lambda x: x**0.5, -8.0),
    ("exp(1000)", lambda x: x.exp(), 1000.0),
    ("tanh(1000)", lambda x: x.tanh(), 1000.0),
    ("sigmoid(-1000)", lambda x: x.sigmoid(), -1000.0),
    ("relu(0)", lambda x: x.relu(), 0.0),
    ("abs(0)", lambda x: abs(x), 0.0),
    ("0**0", lambda x: x**0, 0.0),
    ("0**-1", lambda x: x**-1, 0.0),
    ("sqrt(0)", lambda x: x.sqrt(), 0.0),
    ("2**x at 1000", lambda x: 2**x, 1000.0),
]


@pytest.mark.parametrize("name, f, x", NON_FINITE, ids=[case[0] for case in NON_FINITE])
def test_non_finite_table_matches_torch(torch, name, f, x):
    value, grads = chainrule_value_and_grads(f, x)
    t_value, t_grads = torch_value_and_grads(torch, f, x)
    assert same(value, t_value), (name, value, t_value)
    assert same(grads[0], t_grads[0]), (name, grads, t_grads)


def test_the_documented_non_finite_answers():
    assert (Value(1) / 0).data == math.inf
    assert Value(0).log().data == -math.inf
    assert math.isnan(Value(-1).log().data) and math.isnan((Value(-8) ** 0.5).data)
    assert isinstance((Value(-8) ** 0.5).data, float)  # never complex
    assert Value(1000).exp().data == math.inf
    t = Value(1000.0)
    y = t.tanh()
    y.backward()
    assert (y.data, t.grad) == (1.0, 0.0)
    s = Value(-1000.0).sigmoid()
    assert s.data == 0.0
