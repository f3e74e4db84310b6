"""Fused nodes: many parents, one node. ``sum``, ``max``, ``dot`` and a layer's ``dots``.

A sum of n terms as one node, not n - 1: smaller drawings, and far less work in a network. Like
the table's operations (``engine/operations.py``), each node gets its value and its local
derivatives as it is made; unlike them, it takes a sequence, so it is written out by hand here.
"""

import builtins
import math
import operator

from engine.backward import CONSTANT, ZERO
from engine.checks import real_number
from engine.operation import Op, constant_op
from engine.value import Value


def sum(values):
    """One node for v1 + v2 + ... + vn, with every local derivative 1.

    Numbers among the values are constants: they add to the result but are not parents.
    (Python's built-in ``sum`` works on Values too, but it builds n nodes instead of one.)

    >>> import engine
    >>> s = engine.sum([Value(1.0), Value(2.0), 3])
    >>> s.data, len(s.parents), s.op
    (6.0, 2, 'sum+3')
    """
    values = tuple(values)
    nodes = tuple(v for v in values if isinstance(v, Value))
    constant = math.fsum(real_number(v, "sum(values)") for v in values if not isinstance(v, Value))
    op = constant_op("sum+", constant, True) if constant else SUM
    return Value(builtins.sum([v._data for v in nodes], constant), "", op, nodes, (1.0,) * len(nodes))


def max(values):
    """One node for the largest of the values: d/dvi = 1 for the winner, 0 for the others.

    The max gate routes the gradient to the input that won. On a tie the tied inputs share it
    evenly (1/2 each for two), as PyTorch's ``torch.max`` of a tensor does; a nan wins over every
    number. Numbers among the values are constants: they can win, but are not parents.

    >>> import engine
    >>> m = engine.max([Value(1.0), Value(3.0), 2])
    >>> m.data, m.local_grads
    (3.0, (0.0, 1.0))
    >>> a = Value(5.0)
    >>> engine.max([a, 5.0, Value(1.0)]).local_grads     # a ties with the constant: half each
    (0.5, 0.0)
    """
    values = tuple(values)
    if not values:
        raise ValueError("engine.max needs at least one value, got none")
    numbers = [v._data if isinstance(v, Value) else real_number(v, "max(values)") for v in values]
    if any(map(math.isnan, numbers)):  # as torch.max: nan is the answer, and the nans share the gradient
        largest, won = math.nan, [math.isnan(x) for x in numbers]
    else:
        largest = builtins.max(numbers)
        won = [x == largest for x in numbers]
    share = 1.0 / builtins.sum(won)
    parents = tuple(v for v in values if isinstance(v, Value))
    # A loser's 0 is a masked zero: it passes back exactly 0 even when the gradient is inf, as PyTorch's mask does.
    local_grads = tuple(share if w else ZERO for v, w in zip(values, won) if isinstance(v, Value))
    return Value(largest, "", MAX, parents, local_grads)


def dot(ws, xs, bias=None):
    """One node for w1*x1 + ... + wn*xn (+ bias): the weighted sum of a neuron.

    d/dwi = xi, d/dxi = wi, d/dbias = 1. Either side may hold Values or plain numbers (numbers are
    constants, as the inputs of a first layer are). Parents: the weights, the bias, the inputs.

    >>> import engine
    >>> w = [Value(0.5), Value(-1.0)]
    >>> z = engine.dot(w, [2.0, 3.0], bias=Value(0.25))
    >>> z.data, z.local_grads
    (-1.75, (2.0, 3.0, 1.0))
    """
    ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot needs two sequences of the same length, got {len(ws)} and {len(xs)}")
    return dots([ws], xs, [bias])[0]


def dots(weight_rows, xs, biases=None):
    """Each row's weighted sum ``dot(row, xs, bias)``: a whole layer of neurons in one call.

    The same nodes as calling ``dot`` once per row, but when every weight is a Value (a network's
    usual shape) the inputs are read once for all rows, in one short loop. This is where a network's
    speed comes from (nn's ``Layer`` calls it), and it is public so that a network of your own is as fast.

    Args:
        weight_rows: one sequence of weights per neuron, each as long as ``xs``.
        xs: the inputs, Values or numbers.
        biases: one bias per row (a Value, a number or None), or None for no biases.

    >>> import engine
    >>> rows = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
    >>> [z.data for z in engine.dots(rows, [3.0, 4.0], biases=[Value(0.5), None])]
    [11.5, -1.0]
    """
    xs = xs if type(xs) is tuple else tuple(xs)
    # Each row as a tuple, once: both loops below read a row twice, and a generator would be empty the second time.
    rows = [row if type(row) is tuple else tuple(row) for row in weight_rows]
    biases = [None] * len(rows) if biases is None else biases if type(biases) is list else list(biases)
    if len(biases) != len(rows):
        raise ValueError(f"dots: {len(rows)} rows of weights but {len(biases)} biases")
    types, nodes = set(map(type, xs)), None
    if types <= _FLOAT_OR_VALUE:  # a layer's usual inputs: numbers (a first layer), Values, or both (a recurrent cell)
        mixed = len(types) == 2
        inputs = xs if types == _VALUE else tuple([x for x in xs if type(x) is Value]) if mixed else ()
        try:
            nodes = _layer(rows, biases, xs, inputs, [j for j, x in enumerate(xs) if type(x) is Value] if mixed else None)
        except AttributeError:  # a number among the weights or biases: a constant, for the careful loop
            pass
    if nodes is None:  # numbers among the weights or biases, or inputs other than floats and Values
        x_numbers = tuple(x.data if isinstance(x, Value) else real_number(x, "dot's input") for x in xs)
        nodes = [_dot_with_constants(i, row, xs, x_numbers, bias) for i, (row, bias) in enumerate(zip(rows, biases))]
    return nodes


def _layer(rows, biases, xs, inputs, at):
    """``dots`` in a network's usual shape, straight through: every weight a Value, every bias a Value or None.

    ``xs`` holds floats and Values, ``inputs`` the Values among them (none in a first layer, whose
    rows then share one tuple of local derivatives) and ``at`` where those are, when xs holds both
    (else None). Raises AttributeError at a weight or bias that is a number, and returns None for a
    row of the wrong length: ``_dot_with_constants`` then takes over, and names the row.
    """
    numbers = tuple([x if type(x) is float else x._data for x in xs])
    op = None if at else DOT if inputs else DOT_OF_NUMBERS  # None: the op of each node keeps its constants
    nodes, with_bias = [], (*numbers, 1.0)  # a bias is a weight whose input is 1
    for row, bias in zip(rows, biases):  # each row a tuple
        if len(row) != len(xs):
            return None
        w_numbers = [w._data for w in row]
        value = builtins.sum(map(operator.mul, w_numbers, numbers), 0.0)
        if bias is None:
            weights, local_grads = row, numbers
        else:
            weights, local_grads, value = row + (bias,), with_bias, value + bias._data
        if inputs:  # d/dwi = xi, d/db = 1, d/dxi = wi (for the xi that are Values)
            local_grads += tuple(w_numbers) if at is None else tuple([w_numbers[j] for j in at])
        nodes.append(Value(value, "", op or _dot_op(weights, xs, numbers, bias), weights + inputs, local_grads))
    return nodes


def _dot_with_constants(i, row, xs, x_numbers, bias):
    """Row ``i``'s dot node when numbers may be anywhere (``x_numbers``: xs as floats): numbers are
    constants, and only the Values become parents."""
    if len(row) != len(xs):
        raise ValueError(f"dots: row {i} has {len(row)} weights for {len(xs)} inputs")
    if bias is not None and not isinstance(bias, Value):
        bias = real_number(bias, "dot's bias")
    weights, x_numbers = (row, x_numbers) if bias is None else ((*row, bias), (*x_numbers, 1.0))
    w_numbers = [w.data if isinstance(w, Value) else real_number(w, "dot's weight") for w in weights]
    value = builtins.sum(map(operator.mul, w_numbers, x_numbers), 0.0)
    edges = [(w, x) for w, x in zip(weights, x_numbers) if isinstance(w, Value)]
    edges += [(x, w) for x, w in zip(xs, w_numbers) if isinstance(x, Value)]
    parents, local_grads = tuple(v for v, _ in edges), tuple(d for _, d in edges)
    weights = [w if isinstance(w, Value) else n for w, n in zip(weights, w_numbers)]
    return Value(value, "", _dot_op(weights, xs, x_numbers, bias), parents, local_grads)


# The rules of fused nodes, for backward(create_graph=True). A dot node's local derivatives are its
# weights' inputs and its inputs' weights: Values where those are Values, so that they can be
# differentiated again (d/dw (w x) = x, and d/dx of that is 1). The value is not needed, nor computed.
SUM, MAX = Op("sum", CONSTANT), Op("max", CONSTANT)  # every local derivative a constant (max: beyond its kinks)
DOT_OF_NUMBERS = Op("dot", CONSTANT)  # a first layer's: each weight's local derivative is its input, a number


def _weighted_sum_rule(*parents):
    """A hidden layer's dot node, parents w1..wn, [b], x1..xn:  d/dwi = xi, d/db = 1, d/dxi = wi."""
    n, with_bias = divmod(len(parents), 2)
    return None, (*parents[n + with_bias :], *(1.0,) * with_bias, *parents[:n])


DOT = Op("dot", _weighted_sum_rule)


def _dot_op(weights, xs, x_numbers, bias):
    """The op of a dot node with numbers among its weights or inputs: its partners, kept for its rule."""
    inputs = [x if isinstance(x, Value) else n for x, n in zip(xs, x_numbers)] + ([] if bias is None else [1.0])
    partners = tuple([x for w, x in zip(weights, inputs) if isinstance(w, Value)] +
                     [w for x, w in zip(xs, weights) if isinstance(x, Value)])
    return Op("dot", lambda *parents: (None, partners))


_FLOAT, _VALUE, _FLOAT_OR_VALUE = {float}, {Value}, {float, Value}
