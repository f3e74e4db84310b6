"""Reverse mode: order the graph, then apply the chain rule along every edge.

    parent.grad += local * node.grad        for every (parent, local) of every node, output first

Processing a node only after every node that uses it (reverse topological order) means its grad is
complete when it is passed on; a parent reached along several paths sums them. The walk uses an
explicit stack, so a chain of a million nodes needs no recursion. A node whose grad is exactly 0
passes on only zeros, so its edges are skipped (unless a local derivative is inf or nan, as
0 * inf = nan): behind a ReLU that is off, or for an example the hinge loss is done with, no edge
costs an addition.
"""

import math
import numbers

from engine import modes
from engine.value import Leaves, hooked


def topological_order(output):
    """Every Value that ``output`` depends on, itself first, each before all of its parents.

    The interior nodes come first, output first; the leaves (no parents) follow, in the order they
    were first met. The order depends only on the graph (parents in their recorded order), never
    on ``id()``, so it is the same on every run.
    """
    interior, leaves = interior_and_leaves(output)
    return interior + leaves


def interior_and_leaves(output, keep_leaves=True):
    """The interior nodes in topological order (output first), and the leaves as first met.

    A depth-first walk with an explicit stack: a node is pushed, then a marker, then its parents;
    when the marker comes back off the stack, all of the node's parents are done. Leaves are set
    aside as soon as they are seen: they need no ordering (nothing comes after them in backward),
    and weights, which are leaves, are most of a network's nodes. With ``keep_leaves=False`` they
    are not even collected (the leaves list then holds only an output that is itself a leaf), and
    a node whose parents are a ``Leaves`` tuple (a neuron's weights and bias) is not looked inside.
    """
    interior, leaves = [], []
    if not output.parents:
        return interior, [output]
    visited = set()
    stack = [output]
    # Bound once: this loop runs once per node and edge.
    push, pop, add, append = stack.append, stack.pop, visited.add, interior.append
    while stack:
        node = pop()
        if node is _PARENTS_DONE:
            append(pop())
        elif node not in visited:
            add(node)
            push(node)
            push(_PARENTS_DONE)
            parents = node.parents
            if keep_leaves:
                for parent in parents:
                    if parent in visited:
                        continue
                    if parent.parents:
                        push(parent)
                    else:
                        add(parent)
                        leaves.append(parent)
            elif type(parents) is not Leaves:  # a Leaves tuple has nothing behind it to walk
                for parent in parents:
                    if parent.parents and parent not in visited:
                        push(parent)
    interior.reverse()
    return interior, leaves


_PARENTS_DONE = object()


def backward(output, grad=1.0):
    """Set ``v.grad`` to d(output)/dv * grad for every v in output's graph (leaves accumulate)."""
    any_hooks = len(hooked) > 0  # asked once: most graphs have no hooks at all
    # Leaves need no work of their own (they only receive), unless one has a hook to call.
    interior, leaves = interior_and_leaves(output, keep_leaves=any_hooks)
    # Hooked leaves, with their grads before this pass: a leaf accumulates, its hook sees this pass's part.
    hooked_leaves = {leaf: leaf.grad for leaf in leaves if leaf._hooks}
    for node in interior:
        node.grad = 0.0
    if output.parents:
        output.grad = grad
    else:
        output.grad += grad
    check = modes.anomaly_enabled
    for node in interior:
        if any_hooks and node._hooks:
            _run_hooks(node, 0.0)
        g, parents, local_grads = node.grad, node.parents, node.local_grads
        # A zero gradient passes on only zeros (behind a ReLU that is off, say), so skip them, unless
        # a local derivative is inf or nan: 0 * inf is nan. (A sum of floats is finite only if all are.)
        # Under detect_anomaly every edge is applied and checked.
        if g == 0.0 and not check and math.isfinite(sum(local_grads)):
            continue
        if len(parents) == 1:  # unary ops and ops with a constant: zip would cost more than the addition
            parents[0].grad += local_grads[0] * g
        else:
            for parent, local in zip(parents, local_grads):
                parent.grad += local * g
        if check:
            check_gradients(node)
    # A leaf's gradient is complete once every interior node is done.
    for leaf, before in hooked_leaves.items():
        _run_hooks(leaf, before)


def _run_hooks(node, before):
    """Give each hook the gradient of this pass (a leaf's grad minus what it held before); a number replaces it."""
    for hook in list(node._hooks):
        replaced = hook(node.grad - before)
        if replaced is None:
            continue
        if isinstance(replaced, bool) or not isinstance(replaced, numbers.Real):
            raise TypeError(
                f"hook {getattr(hook, '__name__', hook)!r} on {node.label or node.op or 'a leaf'} returned "
                f"{type(replaced).__name__} {replaced!r}: return a number to replace the gradient, or None"
            )
        node.grad = before + float(replaced)


def check_gradients(node):
    """Under ``detect_anomaly``: raise FloatingPointError if backward through ``node`` made inf or nan."""
    for parent, local in zip(node.parents, node.local_grads):
        if not math.isfinite(parent.grad):
            raise FloatingPointError(
                f"backward through operation {node.op!r} (value {node.data!r}, grad {node.grad!r}) "
                f"gave {parent.label or parent.op or 'its input'} the gradient {parent.grad!r} "
                f"(local derivative {local!r})"
            )
