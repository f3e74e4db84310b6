"""engine.operation: a rule on floats becomes an operation on Values, checked where it can go wrong."""

import math

import pytest

import engine
from engine import Value, gradcheck


@engine.operation
def softplus(x):
    return math.log1p(math.exp(x)), (1 / (1 + math.exp(-x)),)


@engine.operation
def scaled(x, factor=2.0):
    return factor * x, (factor, x)


def test_a_users_operation_is_a_node_with_its_local_derivative():
    x = Value(0.5, label="x")
    y = softplus(x)
    assert y.op == "softplus" and y.parents == (x,)
    assert y.data == pytest.approx(math.log1p(math.exp(0.5)), rel=1e-15)
    assert y.local_grads == (pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15),)
    y.backward()
    assert x.grad == y.local_grads[0]
    assert softplus.__name__ == "softplus"


def test_numbers_are_constants_and_defaults_may_be_left_out():
    x, f = Value(3.0), Value(4.0)
    assert scaled(x).data == 6.0 and scaled(x).parents == (x,) and scaled(x).local_grads == (2.0,)
    both = scaled(x, f)
    assert both.parents == (x, f) and both.local_grads == (4.0, 3.0)
    assert scaled(2, f).parents == (f,) and scaled(2, f).local_grads == (2.0,)


def test_gradcheck_passes_a_users_operation_and_catches_a_wrong_derivative():
    assert gradcheck(lambda a, b: scaled(softplus(a), b), 0.3, -1.2)

    @engine.operation
    def cube(x):
        return x**3, (2 * x**2,)  # should be 3x^2

    assert not gradcheck(lambda x: cube(x), 0.7)


@pytest.mark.parametrize(
    "rule, message",
    [
        (lambda x: (x, (1.0, 2.0)), "one derivative per parameter"),
        (lambda x: x, "one derivative per parameter"),
        (lambda x: (x, 1.0), "one derivative per parameter"),
        (lambda x: ("one", (1.0,)), "value that operation .* returned .* got str"),
        (lambda x: (x, ("1",)), "derivative that operation .* returned for parameter 0 .* got str"),
        (lambda x: (Value(x), (1.0,)), "got Value"),
        (lambda x: (x, (Value(1.0),)), "got Value"),
    ],
)
def test_a_rule_that_returns_the_wrong_thing_is_a_type_error_naming_it(rule, message):
    def broken(x):
        return rule(x)

    op = engine.operation(broken)
    with pytest.raises(TypeError, match=message) as error:
        op(Value(1.0))
    assert "broken" in str(error.value)


def test_ints_from_a_rule_are_floats_in_the_graph():
    @engine.operation
    def double(x):
        return 2 * int(x), (2,)

    y = double(Value(3.0))
    assert type(y.data) is float and type(y.local_grads[0]) is float and y.data == 6.0


def test_bad_arguments_and_bad_rules():
    with pytest.raises(TypeError, match=r"softplus\(x\) must be a real number"):
        softplus("1")
    with pytest.raises(TypeError, match="softplus"):
        softplus(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match="plain parameters"):
        engine.operation(lambda *xs: (sum(xs), (1.0,) * len(xs)))
    with pytest.raises(TypeError, match="plain parameters"):
        engine.operation(lambda: (1.0, ()))


def test_a_masked_zero_passes_nothing_even_an_infinite_gradient():
    from engine.backward import ZERO

    @engine.operation
    def step(x):  # 1 for x > 0, else 0; its derivative is 0 by construction
        return float(x > 0), (ZERO,)

    x = Value(-1.0)
    (step(x).sqrt()).backward()  # sqrt at 0 sends an infinite gradient down
    assert x.grad == 0.0
    y = Value(-1.0)

    @engine.operation
    def flat(x):  # the same, with an ordinary zero: 0 * inf = nan, as in PyTorch
        return float(x > 0), (0.0,)

    (flat(y).sqrt()).backward()
    assert math.isnan(y.grad)


def test_every_function_is_a_method_a_cli_function_and_an_activation():
    from engine.expressions import FUNCTIONS as CLI_FUNCTIONS
    from nn.layers import ACTIVATIONS

    for function in engine.FUNCTIONS:
        name = function.__name__
        assert getattr(Value, name) is function
        assert CLI_FUNCTIONS[name] is function and ACTIVATIONS[name] is function
