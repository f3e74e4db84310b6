"""Reverse mode: order the graph, then apply the chain rule along every edge.

    parent.grad += local * node.grad        for every (parent, local) of every node, output first

Processing a node only after every node that uses it (reverse topological order) means its grad is
complete when it is passed on; a parent reached along several paths sums them. The walk uses an
explicit stack, so a chain of a million nodes needs no recursion.
"""

import math

from engine import modes
from engine.value import hooks


def topological_order(output):
    """Every Value that ``output`` depends on, itself first, each before all of its parents.

    A depth-first walk with an explicit stack: a node is pushed, then a marker, then its parents;
    when the marker comes back off the stack, all of the node's parents are done. The order depends
    only on the graph (parents in their recorded order), never on ``id()``, so it is the same on
    every run.
    """
    order = []
    visited = set()
    stack = [output]
    push, pop = stack.append, stack.pop  # bound once: this loop runs once per node and edge
    while stack:
        node = pop()
        if node is _PARENTS_DONE:
            order.append(pop())
        elif node not in visited:
            visited.add(node)
            push(node)
            push(_PARENTS_DONE)
            for parent in node.parents:
                if parent not in visited:
                    push(parent)
    order.reverse()
    return order


_PARENTS_DONE = object()


def backward(output, grad=1.0):
    """Set ``v.grad`` to d(output)/dv * grad for every v in output's graph (leaves accumulate)."""
    order = topological_order(output)
    # Hooked nodes, with their grads before this pass (only a leaf's is kept: it accumulates).
    hooked = {node: node.grad for node in order if node in hooks} if hooks else {}
    for node in order:
        if node.parents:
            node.grad = 0.0
    if output.parents:
        output.grad = grad
    else:
        output.grad += grad
    check = modes.anomaly_enabled
    for node in order:
        if hooked and node in hooked:
            _run_hooks(node, hooked[node] if not node.parents else 0.0)
        g = node.grad
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * g
        if check:
            check_gradients(node)


def _run_hooks(node, before):
    """Give each hook the gradient of this pass (a leaf's grad minus what it held before); a number replaces it."""
    for hook in list(hooks[node]):
        replaced = hook(node.grad - before)
        if replaced is not None:
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
