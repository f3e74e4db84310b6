"""The Value: one real number, its gradient, and how it was computed.

Every operation computes its result *and* the local derivative of the result with respect to each
input, right then, in the forward pass. The new Value records ``parents`` (the inputs, in order,
duplicates kept) and ``local_grads`` (one number per parent). Backward then needs one rule,
``parent.grad += local * node.grad``, applied along every edge in reverse topological order
(``engine/backward.py``).

The operations themselves are a table (``engine/operations.py``): one short rule each, on plain
floats, returning its value and its local derivatives side by side. ``@operation``
(``engine/operation.py``) turns such a rule into an operation on Values, yours as well as ours.

A Value holds numbers and references to its parents, never closures, so the graph has no reference
cycles: it is freed the moment the last reference to the output goes.
"""

import math
import weakref

from engine import modes
from engine.backward import backward, hooked, pass_back, topological_order
from engine.create_graph import backward_with_graph
from engine.checks import real_number


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can find its gradient.

    Args:
        data: a real number (int, float, bool or a numpy scalar), stored as a Python float.
        label: a name shown in drawings and explanations.
        op, parents, local_grads: how it was computed, filled in by operations (a leaf has none).
            ``op`` is the operation's name, and carries its rule (``op.rule``, engine/operation.py),
            which ``backward(create_graph=True)`` runs again on the parents as Values.

    Every function of ``FUNCTIONS`` is also a method: ``x.tanh()`` is ``tanh(x)``.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> y.data, x.grad          # y = x^2 + 2x, dy/dx = 2x + 2
    (15.0, 8.0)
    """

    __slots__ = ("_data", "grad", "_label", "op", "parents", "local_grads", "_hooks", "__weakref__")

    def __init__(self, data, label="", op="", parents=(), local_grads=()):
        self._data = data if type(data) is float else real_number(data, "Value.data")  # as the setters below do
        self.grad = 0.0
        self._label = label if type(label) is str else not_a_label(label)
        self.op = op
        if modes.switched and not modes.recording():  # under no_grad nothing is recorded: backward stops here
            parents = local_grads = ()
        self.parents = parents
        self.local_grads = local_grads
        self._hooks = None  # a list, once register_hook is called
        if modes.switched and op and modes.checking() and not math.isfinite(self.data):
            inputs = ", ".join(f"{p.label or p.op or 'value'}={p.data!r}" for p in parents) or "constants only"
            raise FloatingPointError(f"operation {op!r} produced {self.data!r} from inputs {inputs}")

    # data and label are checked when assigned, as in the constructor: `v.data = "abc"` fails on that
    # line, not inside the next operation, and `v.label = 5` fails there, not later in draw.
    # The engine's own operations read the stored float, _data, directly (engine/operation.py and the
    # fused sum/dot/dots): a property read costs five slot reads, 15-18% of a training step.
    @property
    def data(self):
        """The number, a Python float."""
        return self._data

    @data.setter
    def data(self, number):
        self._data = number if type(number) is float else real_number(number, "Value.data")

    @property
    def label(self):
        """A name shown in drawings and explanations ("" for none)."""
        return self._label

    @label.setter
    def label(self, text):
        self._label = text if type(text) is str else not_a_label(text)

    # The operators + - * / ** (either side may be a number, a constant), -x, abs(x), and every
    # function of FUNCTIONS as a method (x.tanh()) are operations of the table in engine/operations.py,
    # which installs them on this class: x * y is mul(x, y), 2 ** x is pow(2, x).

    # Ordering compares data, so max(values) returns a Value and the gradient flows to it.
    # == and hash stay by identity: a Value is a node in a graph, not a number.
    def __lt__(self, other):
        return self.data < data_of(other)

    def __le__(self, other):
        return self.data <= data_of(other)

    def __gt__(self, other):
        return self.data > data_of(other)

    def __ge__(self, other):
        return self.data >= data_of(other)

    __hash__ = object.__hash__

    def __float__(self):  # math.exp(v) would silently drop the graph: say what to write instead
        raise TypeError(
            "a Value is not converted to a float implicitly, since the graph (and the gradient) would be lost: "
            "use the engine's function, v.exp() or engine.exp(v) rather than math.exp(v), or v.data for the number"
        )

    def __bool__(self):  # as PyTorch's bool(tensor): a Value is true unless its data is 0
        return self.data != 0.0

    def backward(self, grad=1.0, create_graph=False):
        """Fill in ``.grad`` of every Value this one depends on: d(self)/d(that Value), times ``grad``.

        Leaves (Values with no parents) accumulate across calls, as in PyTorch: call ``zero_grad()``
        between steps. Every other node's grad is recomputed from zero on each call.
        With ``create_graph=True`` every grad is a Value, recorded as a graph of the same operations,
        so it can be drawn, explained and differentiated again (its ``.data`` is the plain grad).

        >>> x = Value(2.0)
        >>> y = x * x * x
        >>> y.backward(); x.grad
        12.0
        >>> y.backward(); x.grad    # leaves accumulate
        24.0
        >>> x.zero_grad(); y.backward(create_graph=True); x.grad.data, type(x.grad).__name__
        (12.0, 'Value')
        """
        if not isinstance(create_graph, bool):
            raise TypeError(f"backward(create_graph) must be True or False, got {type(create_graph).__name__}: "
                            f"{create_graph!r}")
        (backward_with_graph if create_graph else backward)(self, real_number(grad, "backward(grad)"))

    def zero_grad(self):
        """Set the grad of every Value in this Value's graph (itself included) to 0."""
        for node in topological_order(self):
            node.grad = 0.0

    def register_hook(self, hook):
        """Call ``hook(grad)`` once this Value's gradient is complete during backward.

        If the hook returns a number, it replaces the gradient (for a leaf: the gradient this backward
        adds); under ``backward(create_graph=True)`` it gets a Value and may return one. Returns a handle
        whose ``remove()`` unregisters the hook.

        >>> x = Value(2.0)
        >>> y = x * 3
        >>> handle = y.register_hook(lambda g: print(f"dy/dy = {g}"))
        >>> y.backward()
        dy/dy = 1.0
        """
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        self._hooks = [*(self._hooks or ()), hook]
        hooked.add(self)
        return HookHandle(self, hook)

    # micrograd's names, so that code written for micrograd runs with only the import changed.
    _prev = property(lambda self: set(self.parents), doc="micrograd's name: the set of parents")
    _op = property(lambda self: self.op, doc="micrograd's name for ``op``")
    _backward = pass_back  # micrograd's name: this node's chain-rule step, parent.grad += local * grad

    def __repr__(self):
        name = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name}{op})"


class HookHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook off again."""

    def __init__(self, value, hook):
        self._value, self._hook = weakref.ref(value), hook  # a handle kept around keeps no graph alive

    def remove(self):
        value = self._value()
        if value is not None and self._hook in (value._hooks or ()):
            value._hooks.remove(self._hook)
            if not value._hooks:
                value._hooks = None
                hooked.discard(value)


def not_a_label(label):
    """The TypeError for a label that is not a str."""
    raise TypeError(f"Value.label must be a str, got {type(label).__name__}: {label!r}")


def data_of(x, where="the other side of a comparison"):
    """A Value's data, or a number as a float; TypeError naming ``where`` for anything else."""
    return x.data if isinstance(x, Value) else real_number(x, where)
