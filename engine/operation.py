"""Making operations: ``@operation`` turns a rule on floats into an operation on Values.

A rule takes plain floats and returns ``(value, local_derivatives)``: the result, and d result / d
each parameter, side by side. The operation reads the data of the Values it is given, calls the
rule, and makes the new Value with the Values as parents and their local derivatives beside them.
Every built-in operation is made this way (``engine/operations.py``), and so can yours be.
"""

import builtins
import functools
import inspect
import operator
from itertools import compress

from engine.backward import CONSTANT, MaskedZero
from engine.checks import real_number
from engine.value import Value


class Op(str):
    """An operation's name as drawings show it ("tanh", "*2"), carrying ``rule``, which computed the node.

    ``op.rule(*node.parents)`` gives ``(value, local_grads)`` again. Run on the parents as Values, the
    local derivatives come out as a graph, which is how ``backward(create_graph=True)`` differentiates
    them again. ``rule`` is CONSTANT where the local derivatives do not depend on the inputs (sum,
    max); a node made by hand, with a plain str as its op, has none. One Op serves every node of
    its operation, so recording the rule costs a node nothing.
    """

    def __new__(cls, name, rule):
        op = super().__new__(cls, name)
        op.rule = rule
        return op


def operation(rule):
    """Turn ``rule``, a function on floats returning ``(value, local_derivatives)``, into an operation on Values.

    ``local_derivatives`` holds one number per parameter of ``rule``: d value / d that parameter.
    Arguments that are Values become the new node's parents, with their local derivatives; numbers
    are constants and stay out of the graph (a parameter with a default may be left out). The
    node's op is the rule's name. A rule that returns anything else (the wrong number of
    derivatives, a Value, a string) gets a TypeError that names it.

    >>> import math
    >>> @operation
    ... def softplus(x):
    ...     return math.log1p(math.exp(x)), (1 / (1 + math.exp(-x)),)
    >>> y = softplus(Value(0.5))
    >>> y.op, len(y.parents), round(y.local_grads[0], 4)
    ('softplus', 1, 0.6225)
    """
    parameters = list(inspect.signature(rule).parameters.values())
    arity, name = len(parameters), getattr(rule, "__name__", "operation")
    if not parameters or any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters):
        raise TypeError(f"operation {name!r} needs a rule with one or more plain parameters, like f(x) or f(a, b)")
    wheres = [f"{name}({p.name})" for p in parameters]  # what an error about each argument calls it
    op = Op(name, rule)

    @functools.wraps(rule)
    def apply(*args):
        if len(args) != arity or not _VALUE.issuperset(map(type, args)):
            return with_constants(args)
        value, local_grads = _checked(rule(*map(_DATA, args)), name, arity)
        return Value(value, "", op, args, local_grads)

    @functools.wraps(rule)
    def apply_to_one(x):  # the same for a rule of one parameter, without loops: relu 0.4 us, not 0.9
        if type(x) is not Value:
            return with_constants((x,))
        result = rule(x._data)
        try:
            value, local_grads = result
            (local,) = local_grads
        except (TypeError, ValueError):
            value = local = None
        if type(value) is not float or type(local_grads) is not tuple or type(local) not in _DERIVATIVE:
            value, local_grads = _checked(result, name, 1)
        return Value(value, "", op, (x,), local_grads)

    def with_constants(args):
        """Numbers among the arguments (or defaults left out): constants, which get no edge."""
        if len(args) != arity:
            args = _complete(args, parameters, name)
        numbers = [a._data if isinstance(a, Value) else real_number(a, w) for a, w in zip(args, wheres)]
        value, local_grads = _checked(rule(*numbers), name, arity)
        is_value = [isinstance(a, Value) for a in args]
        parents, local_grads = tuple(compress(args, is_value)), tuple(compress(local_grads, is_value))

        def rule_of_the_values(*values):  # the rule, with this node's constants put back among its parents
            given = iter(values)
            value, local_grads = rule(*[next(given) if v else a for a, v in zip(args, is_value)])
            return value, tuple(compress(local_grads, is_value))

        return Value(value, "", Op(name, rule_of_the_values), parents, local_grads)

    return apply_to_one if arity == 1 else apply


def _complete(args, parameters, name):
    """The arguments with the rule's defaults filled in, or the TypeError Python would give."""
    try:
        bound = inspect.Signature(parameters).bind(*args)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None
    bound.apply_defaults()
    return bound.args


def _checked(result, name, arity):
    """What a rule returned, as (float, tuple of floats), or a TypeError naming the rule and the problem."""
    if type(result) is tuple and len(result) == 2:
        value, local_grads = result
        if type(value) is float and type(local_grads) is tuple and len(local_grads) == arity and \
                _DERIVATIVE.issuperset(map(type, local_grads)):
            return result
        if isinstance(local_grads, (tuple, list)) and len(local_grads) == arity:
            value = real_number(value, f"the value that operation {name!r} returned")
            where = f"the derivative that operation {name!r} returned for parameter"
            return value, tuple(real_number(d, f"{where} {i}") for i, d in enumerate(local_grads))
    raise TypeError(f"operation {name!r} must return (value, local_derivatives) with one derivative per "
                    f"parameter ({arity}); got {result!r}")


def arithmetic(symbol, constant_right=None):
    """``operation`` for the operators + - * / **, on a leaner path: three times faster.

    They are most of the nodes a loop like ``y = y * 1.0001 + 0.0001`` makes, so they take two
    arguments only and trust their rules (the table in operations.py, checked by the tests) instead of checking
    what each returns. A constant shows in the op's name: ``x * 2`` has op "*2", ``2 ** x`` "2**".
    Anything but a Value or a number on either side is NotImplemented, so Python raises TypeError.
    ``constant_right`` is the rule for a Value with a constant on the right, where it differs
    (PyTorch computes ``x ** 0.5`` as a square root, ``x ** y`` as a power).
    """

    def make(rule):
        rule_with_constant = constant_right or rule
        op = Op(symbol, rule)

        @functools.wraps(rule)
        def apply(a, b):
            if isinstance(a, Value):
                if isinstance(b, Value):
                    value, local_grads = rule(a._data, b._data)
                    return Value(value, "", op, (a, b), local_grads)
                c = b if type(b) is float else _number_or_none(b)
                if c is None:
                    return NotImplemented
                value, (local, _) = rule_with_constant(a._data, c)
                return Value(value, "", constant_op(symbol, c, True, rule_with_constant), (a,), _one(local))
            c = a if type(a) is float else _number_or_none(a)
            if c is None:
                return NotImplemented
            value, (_, local) = rule(c, b._data)
            return Value(value, "", constant_op(symbol, c, False, rule), (b,), _one(local))

        return apply

    return make


def _one(local):
    """``(local,)``; for x + c and x - c the same tuple every time: W4's chain then takes 192 bytes a node, not 216."""
    return (1.0,) if local == 1.0 else (local,)


def _number_or_none(x):
    """x as a float if it is a real number, else None."""
    try:
        return x if type(x) is float else real_number(x, "operand")
    except TypeError:
        return None


@functools.lru_cache(maxsize=4096)  # a chain y * 1.0001 shares one name, not a million copies
def constant_op(symbol, c, on_the_right, rule=CONSTANT):
    """'*2', '2**', '1/': an operator's name with the constant on its side, carrying the rule of its one edge."""
    text = repr(int(c)) if c.is_integer() and builtins.abs(c) < 1e16 else repr(c)

    def one_edge(x):  # the rule with the constant put back beside the one parent
        value, local_grads = rule(x, c) if on_the_right else rule(c, x)
        return value, (local_grads[0 if on_the_right else 1],)

    return Op(symbol + text if on_the_right else text + symbol, CONSTANT if rule is CONSTANT else one_edge)


_VALUE, _DERIVATIVE = {Value}, {float, MaskedZero}
_DATA = operator.attrgetter("data")
