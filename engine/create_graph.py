"""Gradients as Values: ``backward(create_graph=True)``, so that a gradient can be differentiated again.

The same rule as backward, ``parent.grad += local * node.grad``, computed with Values instead of
floats: every gradient is then a graph of its own, which can be drawn, explained and differentiated
again (second derivatives, Newton's method, Hessian-vector products, gradient penalties). The local
derivatives are recomputed as Values by each node's own rule, run on its parents (an Op carries
it: engine/operation.py): ``tanh``'s ``1 - t*t`` becomes a graph of a tanh, a product and a
subtraction. As elsewhere here, nodes are known by their attributes; a new Value is made with the
output's own class.
"""

from engine import modes
from engine.backward import CONSTANT, interior_order, run_hooks, topological_order
from engine.checks import real_number


def backward_with_graph(output, grad=1.0):
    """``backward`` where every grad is a Value (PyTorch's create_graph=True); leaves accumulate as ever."""
    grads, Value = gradient_graph(output, grad), type(output)
    with modes.enable_grad():  # a leaf's sum of old and new is part of its gradient's graph
        for node in topological_order(output):
            new = grads.get(node)
            new = Value(0.0) if new is None else new  # no path from output to node: a constant 0
            if node._hooks and not node.parents:  # an interior node's hooks ran in gradient_graph
                new = run_hooks(node, new, gradient_as_value(Value))
            before = node.grad
            node.grad = new if node.parents or (type(before) is float and before == 0.0) else before + new


def gradient_graph(output, grad=1.0):
    """d output / d node for every node output depends on, as recorded Values, by node; no .grad is changed."""
    name = output.label or "output"
    grads = {output: type(output)(grad, label=f"d{name}/d{name}")}  # the seed, a constant: 1 (or the grad given)
    with modes.enable_grad():  # recorded even inside no_grad: these graphs are what was asked for
        for node in interior_order(output):
            grad = grads.get(node)
            if grad is None:
                continue  # nothing reaches this node: it passes nothing back
            if node._hooks:  # its gradient is complete: a hook sees it, as a Value, and may replace it
                grad = grads[node] = run_hooks(node, grad, gradient_as_value(type(output)))
            for parent, local in zip(node.parents, local_grads_as_values(node)):
                flow = local * grad
                if type(flow) is float:  # a masked zero times anything: no edge at all
                    continue
                grads[parent] = grads[parent] + flow if parent in grads else flow
    return grads


def gradient_as_value(Value):
    """What makes a hook's replacement a gradient here: a Value as it is, a number as a constant Value."""
    return lambda replaced, where: replaced if isinstance(replaced, Value) else Value(real_number(replaced, where))


def local_grads_as_values(node):
    """``node.local_grads``, recomputed from its inputs as Values by its own rule, so they can be differentiated."""
    rule = getattr(node.op, "rule", None)  # an Op (engine/operation.py) carries it; a plain str does not
    if rule is CONSTANT:
        return node.local_grads  # sum, max: constants, whose derivatives are 0
    if rule is None:
        raise TypeError(f"{node.op or 'a Value'!r} was made by Value(..., parents=..., local_grads=...), without a "
                        "rule, so its local derivatives cannot be differentiated: make it with @engine.operation")
    try:
        return rule(*node.parents)[1]
    except TypeError as error:
        raise TypeError(
            f"operation {node.op!r} cannot be differentiated again, since its rule works on floats only ({error}). "
            "Write it with engine.numerics' functions (exp, log, sqrt, tanh, sigmoid, sin, cos, divide, power), "
            "which take Values too, and arithmetic, instead of math's"
        ) from None
