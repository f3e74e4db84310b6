"""Reverse mode: order the graph, then apply the chain rule at every node, output first.

    parent.grad += local * node.grad        for every (parent, local) edge of every node

A node's turn comes only after every node that uses it has had its turn (reverse topological
order), so its grad is complete when it passes it on; a parent reached along several paths sums
them. Nothing here recurses, so a chain of a million nodes is fine. This module knows nodes only by
their attributes (``parents``, ``local_grads``, ``grad``) and imports nothing from ``value.py``.
"""

import math
import weakref

from engine import modes
from engine.checks import real_number


class MaskedZero(float):
    """A local derivative that is 0 by construction (relu at x <= 0, x**0): it passes nothing back.

    Times anything it is 0, so an inf or nan arriving from above stays out: PyTorch masks such
    gradients rather than multiplying them (``sqrt(relu(x))`` at x < 0 gives x.grad 0, not nan).
    """

    __slots__ = ()

    def __mul__(self, other):
        return 0.0

    __rmul__ = __mul__


ZERO = MaskedZero(0.0)
CONSTANT = "constant"  # a node's rule when its local derivatives do not depend on its inputs (sum, max)


def pass_back(node):
    """The chain rule at one node: each parent gets ``local * node.grad`` added to its grad.

    ``backward``, ``backward_steps``, ``explain`` and micrograd's ``v._backward()`` all use this rule.
    """
    grad, parents = node.grad, node.parents
    if len(parents) == 1:  # most nodes (relu(x), x * 2): zip costs more than the addition (W3's loop -50%)
        parents[0].grad += node.local_grads[0] * grad
        return
    for parent, local in zip(parents, node.local_grads):
        parent.grad += local * grad


def topological_order(output):
    """Every Value that ``output`` depends on, output first, each before all of its parents.

    The interior nodes come first, then the leaves (no parents) in the order they are first met.
    The order depends only on the graph (parents in their recorded order), so it is the same on
    every run.
    """
    order = interior_order(output)
    leaves, seen = [], set()
    for node in order:
        for parent in node.parents:
            if not parent.parents and parent not in seen:
                seen.add(parent)
                leaves.append(parent)
    return order + leaves if order else [output]


def interior_order(output):
    """The nodes that have parents, output first, each before all of its parents.

    A depth-first walk with an explicit stack: a node is pushed, then a marker, then its parents;
    when the marker comes back off the stack, everything behind the node is done. Leaves are not
    walked: they only receive gradients, and weights (leaves) are most of a network's nodes.
    """
    order, done, stack = [], set(), [output] if output.parents else []
    push, pop = stack.append, stack.pop  # bound once: these run once per node and edge (the walk -15%)
    while stack:
        node = pop()
        if node is _PARENTS_DONE:
            order.append(pop())
        elif node not in done:
            done.add(node)
            push(node)
            push(_PARENTS_DONE)
            for parent in node.parents:
                if parent.parents and parent not in done:
                    push(parent)
    order.reverse()
    return order


_PARENTS_DONE = object()


def backward(output, grad=1.0):
    """Set ``v.grad`` to d(output)/dv * grad for every v in output's graph; leaves accumulate."""
    if hooked or (modes.switched and modes.checking()):
        return watched_backward(output, grad)
    order = interior_order(output)
    start(order, output, grad)
    for node in order:
        # A zero grad passes on only zeros: skip it (behind a ReLU that is off, say), unless a local
        # derivative is inf or nan, as 0 * inf = nan. (A sum of floats is finite only if all are.)
        if node.grad != 0.0 or not math.isfinite(sum(node.local_grads)):
            pass_back(node)


def start(order, output, grad):
    """Before a backward pass: interior grads start again from 0, the output's is ``grad``.

    Leaves keep theirs and accumulate, as in PyTorch (call ``zero_grad()`` between steps).
    """
    for node in order:
        node.grad = 0.0
    output.grad = grad if output.parents else output.grad + grad


# -------------------------------------------------------------------- the rare case: hooks and anomalies

# Values with hooks, held weakly. While it is empty (almost always), backward takes the plain path.
hooked = weakref.WeakSet()


def watched_backward(output, grad):
    """``backward`` with hooks called and, under ``detect_anomaly``, every new gradient checked."""
    order = topological_order(output)
    interior = [node for node in order if node.parents]
    leaves_before = {leaf: leaf.grad for leaf in order if not leaf.parents and leaf._hooks}
    start(interior, output, grad)
    for node in interior:
        if node._hooks:
            node.grad = run_hooks(node, node.grad)
        pass_back(node)
        if modes.switched and modes.checking():
            check_gradients(node)
    for leaf, before in leaves_before.items():  # a leaf's grad is complete once every node is done
        leaf.grad = before + run_hooks(leaf, leaf.grad - before)


def run_hooks(node, grad, as_gradient=real_number):
    """Give each hook this pass's gradient ``grad``; what one returns (a number) replaces it. Returns the result."""
    for hook in list(node._hooks):
        replaced = hook(grad)
        if replaced is not None:
            name = f"{getattr(hook, '__name__', hook)!r} on {node.label or node.op or 'a leaf'}"
            grad = as_gradient(replaced, f"what hook {name} returned (a new gradient, or None)")
    return grad


def check_gradients(node):
    """Under ``detect_anomaly``: raise FloatingPointError if passing back through ``node`` made inf or nan."""
    for parent, local in zip(node.parents, node.local_grads):
        if not math.isfinite(parent.grad):
            raise FloatingPointError(
                f"backward through operation {node.op!r} (value {node.data!r}, grad {node.grad!r}) "
                f"gave {parent.label or parent.op or 'its input'} the gradient {parent.grad!r} "
                f"(local derivative {local!r})"
            )
