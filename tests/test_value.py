"""The Value: construction, attributes, forward values, op names, comparisons, bad input."""

import math
from fractions import Fraction

import pytest

import engine
from engine import Value


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("data, expected", [(3, 3.0), (2.5, 2.5), (True, 1.0), (Fraction(1, 4), 0.25)])
def test_data_is_stored_as_python_float(data, expected):
    v = Value(data)
    assert type(v.data) is float and v.data == expected
    assert v.grad == 0.0 and v.label == "" and v.op == "" and v.parents == () and v.local_grads == ()


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    for scalar in (np.float64(1.5), np.float32(1.5), np.int64(3)):
        v = Value(scalar)
        assert type(v.data) is float and v.data == float(scalar)


@pytest.mark.parametrize("bad", ["1.0", 1 + 2j, None, [1.0], Value(1.0), {"a": 1}])
def test_non_real_data_raises_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_label_must_be_a_string():
    assert Value(1.0, label="w1").label == "w1"
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


def test_huge_int_is_a_value_error():
    with pytest.raises(ValueError, match="too large"):
        Value(10**400)


def test_huge_int_is_quoted_short_in_the_error():
    with pytest.raises(ValueError) as error:
        Value(10**400)
    assert len(str(error.value)) < 120 and "…" in str(error.value)
    with pytest.raises(ValueError, match="too long to write out"):
        Value(10**5000)  # repr itself would raise past 4300 digits


def test_numpy_bool_is_accepted_like_bool():
    np = pytest.importorskip("numpy")
    assert Value(np.True_).data == 1.0 and Value(np.False_).data == 0.0


def test_a_non_number_from_numpy_is_named_with_its_module():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"got numpy\.ndarray"):
        Value(np.array([1.0]))


# ---------------------------------------------------------------- data and label are checked when assigned


@pytest.mark.parametrize("bad", ["abc", None, [1.0], 1 + 2j])
def test_assigning_data_that_is_not_a_number_fails_on_that_line(bad):
    v = Value(1.0)
    with pytest.raises(TypeError, match=rf"^Value\.data must be a real number \(int, float, bool\), got {type(bad).__name__}"):
        v.data = bad
    assert v.data == 1.0  # unchanged


def test_constructor_and_assignment_give_the_same_messages():
    v = Value(1.0)
    for bad_data in ("abc", 10**400):
        with pytest.raises((TypeError, ValueError)) as in_constructor:
            Value(bad_data)
        with pytest.raises((TypeError, ValueError)) as on_assignment:
            v.data = bad_data
        assert str(in_constructor.value) == str(on_assignment.value)
    with pytest.raises(TypeError) as in_constructor:
        Value(1.0, label=5)
    with pytest.raises(TypeError) as on_assignment:
        v.label = 5
    assert str(in_constructor.value) == str(on_assignment.value) == "Value.label must be a str, got int: 5"
    assert v.label == ""


def test_assigned_data_is_stored_as_a_float_and_used_by_operations():
    v = Value(1.0)
    v.data = 3
    assert type(v.data) is float and (v * 2).data == 6.0
    v.label = "w"
    assert v.label == "w" and "label='w'" in repr(v)


# ---------------------------------------------------------------- conversions a learner slips into


@pytest.mark.parametrize("function", [math.exp, math.tanh, math.log, float])
def test_math_functions_on_a_value_raise_instead_of_dropping_the_graph(function):
    with pytest.raises(TypeError, match=r"v\.exp\(\).*v\.data"):
        function(Value(0.5))


@pytest.mark.parametrize("data, truth", [(0.0, False), (-0.0, False), (2.0, True), (-1e-300, True), (math.nan, True)])
def test_truth_follows_pytorch(data, truth):
    assert bool(Value(data)) is truth  # bool(torch.tensor(0.)) is False, bool(torch.tensor(nan)) is True


# ---------------------------------------------------------------- operators and local derivatives


def test_parents_are_ordered_and_keep_duplicates():
    x, y = Value(3.0), Value(4.0)
    sq = x * x
    assert sq.parents == (x, x) and sq.local_grads == (3.0, 3.0)
    d = y - x
    assert d.parents == (y, x) and d.local_grads == (1.0, -1.0)


@pytest.mark.parametrize(
    "make, value, op",
    [
        (lambda x: x + 2, 5.0, "+2"),
        (lambda x: 2 + x, 5.0, "2+"),
        (lambda x: x - 1.5, 1.5, "-1.5"),
        (lambda x: 10 - x, 7.0, "10-"),
        (lambda x: x * 2, 6.0, "*2"),
        (lambda x: x / 2, 1.5, "/2"),
        (lambda x: 6 / x, 2.0, "6/"),
        (lambda x: x**3, 27.0, "**3"),
        (lambda x: 2**x, 8.0, "2**"),
        (lambda x: -x, -3.0, "neg"),
        (lambda x: abs(-x), 3.0, "abs"),
    ],
)
def test_constants_stay_out_of_the_graph_but_show_in_the_op_name(make, value, op):
    x = Value(3.0)
    out = make(x)
    assert out.data == pytest.approx(value)
    assert out.op == op
    assert all(isinstance(p, Value) for p in out.parents)


@pytest.mark.parametrize(
    "method, x, value, local",
    [
        ("exp", 1.0, math.e, math.e),
        ("log", 2.0, math.log(2.0), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("tanh", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("sigmoid", 0.0, 0.5, 0.25),
        ("relu", -2.0, 0.0, 0.0),
        ("relu", 2.0, 2.0, 1.0),
        ("leaky_relu", -2.0, -0.02, 0.01),
        ("sin", 1.0, math.sin(1.0), math.cos(1.0)),
        ("cos", 1.0, math.cos(1.0), -math.sin(1.0)),
    ],
)
def test_unary_methods_record_their_local_derivative_in_the_forward_pass(method, x, value, local):
    v = Value(x)
    out = getattr(v, method)()
    assert out.data == pytest.approx(value, rel=1e-15)
    assert out.parents == (v,) and out.op == method
    assert out.local_grads[0] == pytest.approx(local, rel=1e-15)


def test_leaky_relu_slope_is_used_and_checked():
    assert Value(-2.0).leaky_relu(0.2).local_grads == (0.2,)
    with pytest.raises(TypeError, match="slope"):
        Value(1.0).leaky_relu("0.1")


@pytest.mark.parametrize("bad", ["2", None, [1], 1j])
def test_arithmetic_with_a_non_number_raises_type_error(bad):
    x = Value(1.0)
    for op in (lambda: x + bad, lambda: bad * x, lambda: x**bad, lambda: x / bad, lambda: bad - x):
        with pytest.raises(TypeError):
            op()


# ---------------------------------------------------------------- n-ary nodes


def test_engine_sum_is_one_node_and_builtin_sum_still_works():
    xs = [Value(float(i)) for i in range(5)]
    s = engine.sum(xs)
    assert s.data == 10.0 and s.parents == tuple(xs) and s.local_grads == (1.0,) * 5 and s.op == "sum"
    b = sum(xs)
    assert b.data == 10.0 and len(engine.topological_order(b)) > 6  # many nodes
    s.backward()
    assert [x.grad for x in xs] == [1.0] * 5


def test_engine_sum_folds_constants():
    x = Value(1.0)
    s = engine.sum([x, 2, 3.5])
    assert s.data == 6.5 and s.parents == (x,) and "5.5" in s.op


@pytest.mark.parametrize("x_are_values", [True, False])
def test_dot_is_one_node_with_both_sides_as_parents(x_are_values):
    ws = [Value(0.5), Value(-1.0), Value(2.0)]
    xs_data = [1.0, 2.0, 3.0]
    xs = [Value(x) for x in xs_data] if x_are_values else xs_data
    b = Value(0.25)
    z = engine.dot(ws, xs, bias=b)
    assert z.data == 0.5 - 2.0 + 6.0 + 0.25 and z.op == "dot"
    z.backward()
    assert [w.grad for w in ws] == xs_data and b.grad == 1.0
    if x_are_values:
        assert len(z.parents) == 7 and [x.grad for x in xs] == [0.5, -1.0, 2.0]
    else:
        assert len(z.parents) == 4


def test_dot_mixed_sides_and_ints():
    w = Value(2.0)
    x = Value(3.0)
    z = engine.dot([w, 4], [x, 1], bias=0.5)  # 2*3 + 4*1 + 0.5
    assert z.data == 10.5
    z.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)


def test_dot_checks_lengths_and_types():
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        engine.dot([Value(1.0)] * 2, [1.0] * 3)
    with pytest.raises(TypeError, match="str"):
        engine.dot([Value(1.0)], ["x"])
    with pytest.raises(TypeError, match="bias"):
        engine.dot([Value(1.0)], [1.0], bias="b")


# ---------------------------------------------------------------- comparisons and identity


def test_ordering_compares_data_and_max_returns_the_value():
    a, b, c = Value(1.0), Value(3.0), Value(2.0)
    assert a < b and b > c and a <= 1 and b >= 3.0 and 0 < a
    best = max([a, b, c])
    assert best is b
    (best * 2).backward()
    assert (a.grad, b.grad, c.grad) == (0.0, 2.0, 0.0)


def test_equality_and_hash_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2


def test_repr():
    x = Value(2.5, label="x")
    assert repr(x) == "Value(data=2.5, grad=0.0, label='x')"
    assert "op='*2'" in repr(x * 2)


def test_dot_of_empty_sequences_is_a_float_zero():
    z = engine.dot([], [])
    assert type(z.data) is float and z.data == 0.0


def test_dots_takes_numpy_scalars_and_ints_as_constants():
    np = pytest.importorskip("numpy")
    x = [Value(1.0), Value(2.0)]
    z = engine.dot([np.float64(0.5), Value(3.0)], x, bias=np.float32(1.0))
    assert z.data == 0.5 * 1.0 + 3.0 * 2.0 + 1.0
    assert [p.data for p in z.parents] == [3.0, 1.0, 2.0] and z.local_grads == (2.0, 0.5, 3.0)
    (first,) = engine.dots([[np.float64(0.5), 2]], [1.0, 2.0], [Value(1.0)])
    assert first.data == 5.5 and first.local_grads == (1.0,)


def test_dots_of_numbers_beside_values_makes_the_graph_the_general_path_makes():
    # An RNN's inputs: numbers (x, and the 1.0 of a second bias) beside Values (the hidden state).
    h = [Value(0.5), Value(-2.0)]
    rows = [[Value(w) for w in (1.0, 2.0, -1.0, 0.5, 3.0)], [Value(w) for w in (-1.0, 0.0, 4.0, 2.0, 1.0)]]
    biases = [Value(0.25), None]
    mixed = engine.dots(rows, [1.5, h[0], 3.0, h[1], 1.0], biases)
    general = engine.dots(rows, [1.5, h[0], 3, h[1], 1], biases)   # ints send it down the general path
    for node, other in zip(mixed, general):
        assert node.data == other.data and node.local_grads == other.local_grads
        assert all(a is b for a, b in zip(node.parents, other.parents)) and len(node.parents) == len(other.parents)
    assert mixed[0].data == 1.5 + 2 * 0.5 - 3.0 - 1.0 + 3.0 + 0.25
    assert mixed[0].parents[-2:] == tuple(h) and mixed[0].local_grads[-2:] == (2.0, 0.5)  # d/dh = its weight


def test_dots_reads_rows_given_as_generators_once():
    # A row is read twice (its numbers, then the node's parents), and a row with a number among its
    # weights is read again by the careful path: each must see the whole row, not an emptied generator.
    w = [Value(1.0), Value(2.0)]
    usual, with_a_number = engine.dots([(x for x in w), iter([1.0, w[0]])], [2.0, 4.0], [Value(0.5), None])
    assert usual.data == 10.5 and usual.parents == (*w, usual.parents[-1]) and usual.local_grads == (2.0, 4.0, 1.0)
    assert with_a_number.data == 6.0 and with_a_number.parents == (w[0],) and with_a_number.local_grads == (4.0,)


def test_dots_checks_its_shapes():
    w = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match="row 1 has 1 weights for 2 inputs"):
        engine.dots([w, w[:1]], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 rows of weights but 1 biases"):
        engine.dots([w, w], [1.0, 2.0], [Value(0.0)])
    with pytest.raises(TypeError, match="dot's input"):
        engine.dots([w], [1.0, "2"])
