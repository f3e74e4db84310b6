"""Backward, one node at a time: the walk of ``Value.backward``, paused after every node.

    parent.grad: before + local * grad = after        for each parent of the node being processed

Nodes come in topological order, output first: when a node's turn comes, every node that uses it
has passed its share back, so its grad is complete and it can pass it on to its own parents.
"""

from dataclasses import dataclass

from engine.backward import pass_back, start, topological_order
from engine.formatting import name, number
from engine.checks import real_number
from engine.value import Value


@dataclass(frozen=True)
class Update:
    """One application of the chain rule: ``parent.grad += local * grad`` along one edge.

    ``position`` says which of the node's parents this edge comes from (``x*x`` has two edges to x).
    """

    parent: Value
    position: int
    local: float
    grad: float
    before: float
    after: float

    def __str__(self):
        arithmetic = f"{number(self.before)} + {number(self.local)} * {number(self.grad)} = {number(self.after)}"
        return f"{name(self.parent)}.grad: {arithmetic}"


@dataclass(frozen=True)
class Step:
    """Backward's work on one node: its grad is complete, and it passes ``local * grad`` to each parent.

    ``index`` counts from 0 and ``count`` is the number of steps in all (one per node of the graph).
    """

    index: int
    count: int
    node: Value
    grad: float
    updates: tuple

    def __str__(self):
        head = f"step {self.index + 1} of {self.count}: {name(self.node)}.grad = {number(self.grad)} is complete"
        if not self.updates:
            return head + "; a leaf has nothing to pass on"
        return "\n".join([head + ", pass it back:"] + [f"  {update}" for update in self.updates])


def backward_steps(output, grad=1.0):
    """Run ``output.backward(grad)`` one node at a time, yielding a Step after each node.

    The grads are reset as backward resets them when the first step is taken: every interior node to
    0 (leaves keep theirs and accumulate), the output to ``grad``. Consuming every step leaves exactly
    the grads ``backward()`` gives. Hooks are not called: a step shows the chain rule alone.

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> for step in backward_steps(y):
    ...     print(step)
    step 1 of 2: y.grad = 1 is complete, pass it back:
      x.grad: 0 + 3 * 1 = 3
      x.grad: 3 + 3 * 1 = 6
    step 2 of 2: x.grad = 6 is complete; a leaf has nothing to pass on
    """
    if not isinstance(output, Value):
        raise TypeError(f"backward_steps needs a Value, got {type(output).__name__}: {output!r}")
    return _steps(output, real_number(grad, "backward_steps(grad)"))


def _steps(output, grad):
    order = topological_order(output)
    start([node for node in order if node.parents], output, grad)  # as backward starts
    for index, node in enumerate(order):
        before = {parent: parent.grad for parent in node.parents}
        pass_back(node)  # the chain rule, exactly as backward applies it
        yield Step(index, len(order), node, node.grad, tuple(_updates(node, before)))


def _updates(node, grads):
    """The edges ``pass_back`` just applied, one Update each (a parent met twice, as in x*x, twice)."""
    for position, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        before = grads[parent]
        grads[parent] = after = before + local * node.grad
        yield Update(parent, position, local, node.grad, before, after)
