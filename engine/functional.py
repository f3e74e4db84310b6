"""Derivatives as functions, as in JAX: ``grad(f)(x)`` is df/dx at x, ``grad(grad(f))(x)`` is d2f/dx2.

``f`` takes Values and returns a Value. Called with numbers, each function here makes fresh leaves
for the arguments, runs ``f`` with the graph recorded (even inside ``no_grad``) and hands back plain
floats. Called inside another one (``grad(grad(f))``: the outer grad calls the inner with its own
leaves), it hands back Values instead, recorded in the outer one's graph
(``engine.create_graph.gradient_graph``, create_graph=True), so the outer one differentiates them again.
Values passed as arguments at the top level are never touched; Values that ``f`` reaches in other
ways (a model's weights) get gradients as with any ``backward()``.

Reverse mode (``grad``, ``hessian``, ``hvp``) goes from the output back to every input at once;
forward mode (``jvp``) pushes one direction from the inputs to the output, through the same local
derivatives: for a function of n inputs, one backward gives all n partial derivatives, n jvps too.
"""

import contextlib
import threading

from engine.backward import interior_order
from engine.create_graph import gradient_graph, local_grads_as_values
from engine.modes import enable_grad
from engine.operation import operation
from engine.value import Value, data_of

_this_thread = threading.local()  # .depth: how many of these functions are running in this thread


def nested():
    """True inside one of this module's functions (in this thread): results are then Values, not floats."""
    return getattr(_this_thread, "depth", 0) > 0


@operation
def argument(x):
    """x itself, as a node of its own;  d/dx = 1.

    What a nested derivative differentiates: the gradient with respect to this node counts only the
    paths through it, not the other uses of x in the outer function (JAX's "perturbation confusion").
    """
    return x, (1.0,)


@contextlib.contextmanager
def _running():
    _this_thread.depth = getattr(_this_thread, "depth", 0) + 1
    try:
        with enable_grad():
            yield
    finally:
        _this_thread.depth -= 1


def value_and_grad(f, argnums=0):
    """Return a function computing ``(f(*args), gradient)``.

    Args:
        f: a function of Values (or numbers) returning a Value.
        argnums: which positional argument to differentiate (an int), or several (a tuple of ints).

    Returns:
        A function of the same arguments returning ``(value, grad)``: ``grad`` is one number for an
        int ``argnums`` and a tuple, one per index, for a tuple. Floats; Values when it is called
        inside another derivative (``grad(grad(f))``), so that it can be differentiated again.

    >>> from engine import value_and_grad
    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(3.0, 2.0)
    (8.0, (2.0, 4.0))
    """
    _check_function(f, "value_and_grad")
    indices = _check_argnums(argnums)

    def wrapped(*args):
        for i in indices:
            if i >= len(args):
                raise ValueError(f"argnums asks for argument {i}, but the function got {len(args)} arguments")
        inside = nested()
        inputs = list(args) if inside else [Value(a.data, label=a.label) if isinstance(a, Value) else a for a in args]
        for i in indices:  # at the top level, fresh leaves: backward adds nothing to the caller's own Values
            inputs[i] = argument(args[i]) if inside and isinstance(args[i], Value) else \
                Value(data_of(args[i], f"argument {i}"), label=f"arg{i}")
        with _running():
            out = f(*inputs)
            if not isinstance(out, Value):
                value = float(data_of(out, "the result"))  # a constant: raises unless it is a number
                zeros = tuple(Value(0.0) if inside else 0.0 for _ in indices)
                return (Value(value) if inside else value), _shape(zeros, argnums)
            if inside:
                grads = gradient_graph(out)
                found = tuple(grads.get(inputs[i]) for i in indices)
                return out, _shape(tuple(Value(0.0) if g is None else g for g in found), argnums)
            out.backward()
        return out.data, _shape(tuple(inputs[i].grad for i in indices), argnums)

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return wrapped


def grad(f, argnums=0):
    """Return a function computing the gradient of ``f``, like ``value_and_grad`` without the value.

    It nests: ``grad(grad(f))`` is the second derivative, ``grad(grad(grad(f)))`` the third.

    >>> from engine import grad
    >>> f = lambda x: x ** 3
    >>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)      # 3x^2, 6x, 6
    (12.0, 12.0, 6.0)
    """
    both = value_and_grad(f, argnums)

    def wrapped(*args):
        return both(*args)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped


def hessian(f):
    """Return a function computing the matrix of second derivatives of ``f`` at its arguments.

    H[i][j] = d2f / dx_i dx_j, by reverse mode twice: one backward for the gradient (as Values),
    then one backward through each of its entries.

    Returns:
        A function of n numbers returning n tuples of n floats.

    >>> from engine import hessian
    >>> hessian(lambda x, y: x * x * y)(3.0, 2.0)          # [[2y, 2x], [2x, 0]]
    ((4.0, 6.0), (6.0, 0.0))
    """
    _check_function(f, "hessian")

    def wrapped(*xs):
        inputs = _leaves(xs, "hessian")
        with _running():
            out = _one_value(f(*inputs), "hessian")
            gradient = gradient_graph(out)
            rows = [gradient_graph(gradient[x]) if x in gradient else {} for x in inputs]
        return tuple(tuple(_number(row.get(x)) for x in inputs) for row in rows)

    wrapped.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return wrapped


def hvp(f, primals, tangents):
    """The Hessian of ``f`` at ``primals`` times the vector ``tangents``, without building the Hessian.

    H v = d/dx (grad f(x) . v): one backward for the gradient (as Values), one through its dot
    product with v. It costs about two gradients, where the Hessian costs n.

    >>> from engine import hvp
    >>> hvp(lambda x, y: x * x * y, (3.0, 2.0), (1.0, 0.0))    # the first column of [[4, 6], [6, 0]]
    (4.0, 6.0)
    """
    _check_function(f, "hvp")
    directions = _directions(primals, tangents, "hvp")
    inputs = _leaves(primals, "hvp")
    with _running():
        out = _one_value(f(*inputs), "hvp")
        gradient = gradient_graph(out)
        along = [gradient[x] * v for x, v in zip(inputs, directions) if x in gradient]
        second = gradient_graph(sum(along[1:], along[0])) if along else {}
    return tuple(_number(second.get(x)) for x in inputs)


def jvp(f, primals, tangents):
    """Forward mode: ``(f(primals), the derivative of f at primals along tangents)``.

    Each node's tangent is the sum over its parents of local derivative * the parent's tangent,
    computed from the inputs to the output (backward's rule run the other way, with the same local
    derivatives). One jvp gives one directional derivative; a gradient of n inputs needs n of them.

    >>> from engine import jvp
    >>> jvp(lambda x, y: x * x * y, (3.0, 2.0), (1.0, 0.0))    # df/dx = 2xy
    (18.0, 12.0)
    """
    _check_function(f, "jvp")
    directions = _directions(primals, tangents, "jvp")
    inside = nested()
    inputs = [argument(p) if inside and isinstance(p, Value) else Value(data_of(p, f"jvp's primals[{i}]"))
              for i, p in enumerate(primals)]
    with _running():
        out = f(*inputs)
        if isinstance(out, (list, tuple)):
            raise TypeError(f"jvp(f): f must return one Value, got a {type(out).__name__} of {len(out)}; "
                            "for several outputs, call jvp on each, or use jacobian")
        if not isinstance(out, Value):
            return float(data_of(out, "the result")), 0.0
        tangent = {}
        for x, direction in zip(inputs, directions):
            tangent[x] = tangent.get(x, 0.0) + direction
        for node in reversed(interior_order(out)):  # parents first
            locals_ = local_grads_as_values(node) if inside else node.local_grads
            pushed = [local * tangent[parent] for parent, local in zip(node.parents, locals_) if parent in tangent]
            if pushed:
                tangent[node] = sum(pushed[1:], pushed[0])
    derivative = tangent.get(out, 0.0)
    if inside:
        return out, derivative
    return out.data, _number(derivative)


def jacobian(f):
    """Return a function computing d out_i / d x_j for a function returning a list of Values.

    One backward per output (reverse mode): row i is the gradient of output i.

    >>> from engine import jacobian
    >>> jacobian(lambda x, y: [x * y, x + y])(3.0, 2.0)
    ((2.0, 3.0), (1.0, 1.0))
    """
    _check_function(f, "jacobian")

    def wrapped(*xs):
        inputs = _leaves(xs, "jacobian")
        with _running():
            outs = f(*inputs)
            if isinstance(outs, Value) or not isinstance(outs, (list, tuple)):
                raise TypeError(f"jacobian(f): f must return a list or tuple of Values, got {type(outs).__name__}; "
                                "for one Value, use grad")
            rows = [gradient_graph(out) if isinstance(out, Value) else {} for out in outs]
            for i, out in enumerate(outs):
                if not isinstance(out, Value):
                    data_of(out, f"output {i} of f")  # a number is a constant output; anything else is refused
        return tuple(tuple(_number(row.get(x)) for x in inputs) for row in rows)

    wrapped.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return wrapped


# -------------------------------------------------------------------- checks and shapes


def _check_function(f, name):
    if not callable(f):
        raise TypeError(f"{name} needs a callable f, got {type(f).__name__}")


def _leaves(xs, name):
    return [Value(data_of(x, f"{name}'s argument {i}"), label=f"arg{i}") for i, x in enumerate(xs)]


def _one_value(out, name):
    if isinstance(out, Value):
        return out
    if isinstance(out, (list, tuple)):
        raise TypeError(f"{name}(f): f must return one Value, got a {type(out).__name__} of {len(out)}; "
                        "for several outputs, use jacobian")
    return Value(data_of(out, f"what f returned to {name} (one Value)"))  # a constant: its derivatives are 0


def _directions(primals, tangents, name):
    for what, given in (("primals", primals), ("tangents", tangents)):
        if isinstance(given, (str, bytes)) or not hasattr(given, "__len__"):
            raise TypeError(f"{name}'s {what} must be a sequence of numbers, got {type(given).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{name}: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    return [float(data_of(t, f"{name}'s tangents[{i}]")) for i, t in enumerate(tangents)]


def _number(x):
    """A derivative as a float: a Value's data, a constant as it is, 0 where nothing was reached."""
    return 0.0 if x is None else x.data if isinstance(x, Value) else float(x)


def _check_argnums(argnums):
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {type(argnums).__name__}: {argnums!r}")
    indices = (argnums,) if isinstance(argnums, int) else argnums
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise ValueError(f"argnums must hold non-negative ints, got {i!r}")
    if not indices:
        raise ValueError("argnums is an empty tuple: say which argument to differentiate")
    return indices


def _shape(grads, argnums):
    return grads[0] if isinstance(argnums, int) else grads
