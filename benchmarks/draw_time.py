"""How long draw() takes on a graph of about 300 Values: building the Digraph, and rendering it to SVG.

The graph: a 2-8-8-1 tanh network built from engine.dot, its squared error summed over 5 points.

    PYTHONPATH=. python benchmarks/draw_time.py
"""

import random
import statistics
import time

import engine
from engine import Value, draw, topological_order


def network_loss(points=5, sizes=(2, 8, 8, 1), seed=0):
    rng = random.Random(seed)
    layers = [
        [([Value(rng.uniform(-1, 1)) for _ in range(fan_in)], Value(0.0)) for _ in range(fan_out)]
        for fan_in, fan_out in zip(sizes, sizes[1:])
    ]
    errors = []
    for _ in range(points):
        activations = [rng.uniform(-1, 1) for _ in range(sizes[0])]
        for layer in layers:
            activations = [engine.dot(ws, activations, bias=b).tanh() for ws, b in layer]
        errors.append((activations[0] - rng.uniform(-1, 1)) ** 2)
    loss = engine.sum(errors)
    loss.backward()
    return loss


def median_seconds(work, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    loss = network_loss()
    values = len(topological_order(loss))
    operations = sum(1 for node in topological_order(loss) if node.parents)
    graph = draw(loss)
    build = median_seconds(lambda: draw(loss), repeats=21)
    render = median_seconds(lambda: graph.pipe(format="svg"), repeats=5)
    print(f"graph: {values} Values, {operations} operations ({values + operations} drawn nodes)")
    print(f"draw() building the Digraph: median {build * 1000:.1f} ms over 21 runs")
    print(f"rendering it to SVG with dot: median {render * 1000:.0f} ms over 5 runs")


if __name__ == "__main__":
    main()
