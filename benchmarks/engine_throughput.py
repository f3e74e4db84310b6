"""Nodes per second and bytes per node of the engine alone, on the network of micrograd's demo.

A 2-16-16-1 ReLU network built from ``engine.dot`` (one node per neuron's weighted sum, bias
included) and ``relu``, run forward and backward over 100 two-moons points with a hinge loss:

    python benchmarks/engine_throughput.py [--repeats 21]

Prints the graph's size, the median forward+backward time, nodes per second, and the bytes per node
that tracemalloc sees while the graph is alive (the weights, built beforehand, are not counted).
"""

import argparse
import random
import statistics
import time
import tracemalloc

import engine
from engine import Value


def make_network(sizes=(2, 16, 16, 1), seed=0):
    """Weights and biases as Values: a list per layer of (weights tuple, bias) per neuron."""
    rng = random.Random(seed)
    return [
        [(tuple(Value(rng.uniform(-1, 1)) for _ in range(nin)), Value(0.0)) for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:])
    ]


def forward(network, x):
    for depth, layer in enumerate(network):
        x = tuple(engine.dot(w, x, b) for w, b in layer)
        if depth < len(network) - 1:
            x = tuple(v.relu() for v in x)
    return x[0]


def loss_over(network, points, labels):
    return engine.sum([(1 - y * forward(network, x)).relu() for x, y in zip(points, labels)])


def moons(n=100, seed=0):
    """Two interleaved half circles with a little noise, and labels -1 / +1."""
    import math

    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1 - math.cos(t), 0.5 - math.sin(t)
        points.append((x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)))
        labels.append(1 if i % 2 else -1)
    return points, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="forward+backward runs to take the median of")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    network = make_network()
    points, labels = moons()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        loss = loss_over(network, points, labels)
        loss.backward()
        times.append(time.perf_counter() - start)
    nodes = len(engine.topological_order(loss))
    interior = sum(1 for node in engine.topological_order(loss) if node.parents)
    edges = sum(len(node.parents) for node in engine.topological_order(loss))
    del loss

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = loss_over(network, points, labels)
    loss.backward()
    during = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    median = statistics.median(times)
    print(f"graph: {nodes} nodes ({interior} computed, {nodes - interior} weights and biases), {edges} edges")
    print(f"forward+backward: median {median * 1e3:.2f} ms over {args.repeats} runs")
    print(f"nodes per second: {nodes / median:,.0f} (computed nodes: {interior / median:,.0f})")
    graph_bytes = during - before
    print(f"memory of the graph after backward: {graph_bytes / interior:.0f} bytes per computed node, "
          f"{graph_bytes / edges:.0f} per edge (a dot node holds a parent and a local derivative per input)")


if __name__ == "__main__":
    main()
