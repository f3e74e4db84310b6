"""Gradients as functions, as in JAX: ``grad(f)(x)`` is df/dx at x, as a plain float.

``f`` takes Values and returns a Value; the wrappers make fresh leaves for the arguments being
differentiated (and copies of any other Value passed as an argument), run ``f`` with the graph
recorded (even inside ``no_grad``), call ``backward()`` and hand back numbers. Values passed as
arguments are never touched; Values that ``f`` reaches in other ways (a model's weights) get
gradients as with any ``backward()``.
"""

from engine.modes import enable_grad
from engine.value import Value, data_of


def value_and_grad(f, argnums=0):
    """Return a function computing ``(f(*args), gradient)`` with plain floats.

    Args:
        f: a function of Values (or numbers) returning a Value.
        argnums: which positional argument to differentiate (an int), or several (a tuple of ints).

    Returns:
        A function of the same arguments returning ``(value, grad)``: ``grad`` is a float for an int
        ``argnums`` and a tuple of floats, one per index, for a tuple.

    >>> from engine import value_and_grad
    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(3.0, 2.0)
    (8.0, (2.0, 4.0))
    """
    if not callable(f):
        raise TypeError(f"value_and_grad needs a callable f, got {type(f).__name__}")
    indices = _check_argnums(argnums)

    def wrapped(*args):
        for i in indices:
            if i >= len(args):
                raise ValueError(f"argnums asks for argument {i}, but the function got {len(args)} arguments")
        # Fresh leaves for every argument that is a Value, differentiated or not, so that backward
        # adds nothing to the caller's own Values (those reached otherwise, like a model's weights, do
        # get gradients, as with any backward).
        inputs = [Value(arg.data, label=arg.label) if isinstance(arg, Value) else arg for arg in args]
        for i in indices:
            inputs[i] = Value(data_of(args[i], f"argument {i}"), label=f"arg{i}")
        with enable_grad():
            out = f(*inputs)
            if not isinstance(out, Value):
                data_of(out, "the result")  # a constant: raises unless it is a number
                grads = tuple(0.0 for _ in indices)
                return float(out), _shape(grads, argnums)
            out.backward()
        grads = tuple(inputs[i].grad for i in indices)
        return out.data, _shape(grads, argnums)

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return wrapped


def grad(f, argnums=0):
    """Return a function computing the gradient of ``f`` (floats), like ``value_and_grad`` without the value.

    >>> from engine import grad
    >>> df = grad(lambda x: x ** 3)
    >>> df(2.0)                      # d/dx x^3 = 3x^2
    12.0
    """
    both = value_and_grad(f, argnums)

    def wrapped(*args):
        return both(*args)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped


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
