"""engine.max: one node whose gradient goes to the winner, split evenly on a tie (as torch.max)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import Value, gradcheck


def test_the_gradient_goes_to_the_winner_only():
    a, b, c = Value(1.0), Value(4.0), Value(-2.0)
    m = engine.max([a, b, c])
    m.backward()
    assert m.data == 4.0 and (a.grad, b.grad, c.grad) == (0.0, 1.0, 0.0)
    assert m.op == "max" and m.parents == (a, b, c)


def test_a_tie_splits_the_gradient_evenly():
    a, b, c = Value(3.0), Value(3.0), Value(1.0)
    (2 * engine.max([a, b, c])).backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 0.0)
    x, y, z = Value(2.0), Value(2.0), Value(2.0)
    engine.max([x, y, z]).backward()
    assert x.grad == y.grad == z.grad == pytest.approx(1 / 3)


def test_constants_can_win_but_are_not_parents():
    a = Value(1.0)
    m = engine.max([a, 5])
    m.backward()
    assert m.data == 5.0 and m.parents == (a,) and a.grad == 0.0
    b = Value(5.0)
    engine.max([b, 5.0]).backward()
    assert b.grad == 0.5  # tied with a constant, which takes its share


def test_the_same_value_twice_gets_both_shares():
    a = Value(2.0)
    engine.max([a, a, Value(1.0)]).backward()
    assert a.grad == 1.0


def test_nan_wins_and_losers_pass_back_exactly_zero():
    a, b = Value(math.nan), Value(1.0)
    m = engine.max([a, b])
    assert math.isnan(m.data)
    m.backward(math.inf)
    assert a.grad == math.inf and b.grad == 0.0  # a masked zero: 0 * inf is 0 here, as PyTorch's mask gives


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="at least one value"):
        engine.max([])
    with pytest.raises(TypeError, match=r"max\(values\) must be a real number .* got str"):
        engine.max([Value(1.0), "2"])


def test_gradcheck_away_from_ties():
    report = gradcheck(lambda x, y, z: engine.max([x * y, z.tanh(), x + 1]), 0.3, 2.0, -0.5)
    assert report


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the torch fixture is the same each time
@given(st.lists(st.sampled_from([-2.0, -0.5, 0.0, 1.0, 3.0, math.inf, -math.inf, math.nan]), min_size=1, max_size=6))
def test_agrees_with_torch_max_including_ties(torch, numbers):
    xs = [Value(x) for x in numbers]
    m = engine.max(xs)
    m.backward()
    t = torch.tensor(numbers, dtype=torch.float64, requires_grad=True)
    t.max().backward()
    assert m.data == t.max().item() or (math.isnan(m.data) and math.isnan(t.max().item()))
    assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-15, abs=0)
