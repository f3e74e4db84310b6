"""Graphs shared by the tests of draw, explain and backward_steps.

``classic_chain`` is the seeds' example: three one-neuron layers with sigmoid and a squared error.
``recipes`` draws random graphs as plain data, so that ``build`` can make the same graph twice (one
to step through or explain, one to run ``backward()`` on) and compare their gradients exactly.
"""

from types import SimpleNamespace

from hypothesis import strategies as st

import engine
from engine import Value


def labeled(value, label):
    value.label = label
    return value


def classic_chain(x=0.8, y=0.3, weights=(0.5, -1.2, 0.9), biases=(0.1, 0.4, -0.3)):
    """x -> [w1, b1] -> a1 -> [w2, b2] -> a2 -> [w3, b3] -> a3, and C = (a3 - y)^2.

    Every Value the derivation names is labeled: z = w*a + b, a = sigmoid(z), d = a3 - y.
    """
    net = SimpleNamespace(x=Value(x, label="x"), y=Value(y, label="y"))
    a = net.x
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        w, b = Value(w, label=f"w{layer}"), Value(b, label=f"b{layer}")
        z = labeled(w * a + b, f"z{layer}")
        a = labeled(z.sigmoid(), f"a{layer}")
        vars(net).update({f"w{layer}": w, f"b{layer}": b, f"z{layer}": z, f"a{layer}": a})
    net.d = labeled(a - net.y, "d")
    net.C = labeled(net.d**2, "C")
    net.parameters = [net.w1, net.b1, net.w2, net.b2, net.w3, net.b3]
    return net


# One builder per operation of a random graph; each takes the nodes it picked and gives a new one.
OPERATIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "square": lambda a, b: a * a,  # one parent used twice: two edges
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "sin": lambda a, b: a.sin(),
    "scale": lambda a, b: 0.5 * a,
    "sum": lambda a, b: engine.sum([a, b, a]),
    "dot": lambda a, b: engine.dot([a, b], [b, a], bias=a),
}


@st.composite
def recipes(draw, max_leaves=4, max_operations=10):
    """(leaf values, [(operation, index of a, index of b), ...]): a random graph as plain data."""
    leaves = draw(st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=1, max_size=max_leaves))
    steps = []
    for _ in range(draw(st.integers(1, max_operations))):
        available = len(leaves) + len(steps)
        pick = st.integers(0, available - 1)
        steps.append((draw(st.sampled_from(sorted(OPERATIONS))), draw(pick), draw(pick)))
    return leaves, steps


def build(recipe):
    """The graph of a recipe: (its leaves, its output, every node in creation order)."""
    values, steps = recipe
    nodes = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    for operation, a, b in steps:
        nodes.append(OPERATIONS[operation](nodes[a], nodes[b]))
    return nodes[: len(values)], nodes[-1], nodes
