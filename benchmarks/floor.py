"""How fast could W2 be in pure Python? A floor: the chain rule's own loops, with nothing else.

    python benchmarks/floor.py [--samples 50]

W2 is forward+backward of MLP(64, [32, 10]) with cross-entropy on one digit. Whatever a scalar
engine of the shape issue 6 asks for (nodes holding tuples of parents and local derivatives, an
iterative topological sort, one n-ary node per neuron) does, pure Python has to at least:

    forward:   read each weight's value and multiply-add it with its input   once per weight
    nodes:     make a node and set its fields                                  once per operation
    walk:      look at each parent once, to find the order of the nodes       once per edge, but
                                                                               not into a node whose
                                                                               parents are all leaves
                                                                               (a first-layer neuron)
    backward:  parent.grad += local * grad                                     once per edge whose
                                                                               node's grad is not 0
This script times exactly those loops, on the graphs chainrule builds for the digits (no node is
built, nothing is checked, no loss is computed), adds them up, and sets the sum beside
chainrule's and micrograd's W2 times from ``benchmarks/run.py``'s own harness, measured in this run.
The floor over micrograd's time is the largest ratio any such engine could show on this machine.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from operator import mul
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402
import nn  # noqa: E402
from benchmarks import networks, timing  # noqa: E402
from engine import Value  # noqa: E402

make = object.__new__


def interior_nodes(loss):
    """The nodes of ``loss``'s graph that have parents (leaves have none), output first."""
    return [node for node in engine.topological_order(loss) if node.parents]


def loops(model, x, label):
    """The four loops of one sample: their seconds (each the fastest of 5 runs) and their counts."""
    first, second = model.layers
    hidden = first(x)
    loss = nn.cross_entropy(second(hidden), label)
    loss.backward()
    rows = [((*n.w, n.b), (*x, 1.0)) for n in first.neurons]  # a bias is a weight whose input is 1
    numbers = (*(h.data for h in hidden), 1.0)
    rows += [((*n.w, n.b), numbers) for n in second.neurons]
    interior = interior_nodes(loss)
    # An engine can know, when it makes a node, that all its parents are leaves (a first-layer neuron:
    # its weights and bias, its inputs being constants); the walk need not look behind such a node.
    walked = [node for node in interior if any(parent.parents for parent in node.parents)]
    live = [node for node in interior if node.grad != 0.0]

    def forward():
        for weights, inputs in rows:
            sum(map(mul, [w.data for w in weights], inputs), 0.0)

    def build():  # a Value's public fields, set without the checks of its constructor
        for node in interior:
            new = make(Value)
            new.data, new.grad, new.label, new.op = node.data, 0.0, "", node.op
            new.parents, new.local_grads = node.parents, node.local_grads

    def walk():
        for node in walked:
            for parent in node.parents:
                if parent.parents:
                    pass

    def backward():
        for node in live:
            g = node.grad
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g

    # The fastest of several runs: caches warm, so this is the least these loops can cost.
    seconds = tuple(min(_timed(loop) for _ in range(5)) for loop in (forward, build, walk, backward))
    counts = (
        sum(len(weights) for weights, _ in rows),
        len(interior),
        sum(len(node.parents) for node in walked),
        sum(len(node.parents) for node in live),
    )
    return seconds, counts


def _timed(loop):
    start = time.perf_counter()
    loop()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description="A pure-Python floor for W2, beside chainrule and micrograd.")
    parser.add_argument("--samples", type=int, default=50, help="digits to run the loops on (default 50)")
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error(f"--samples must be at least 1, got {args.samples}")

    if importlib.util.find_spec("micrograd") is None:
        print('the floor is set beside micrograd, which is not installed: pip install -e ".[bench]"', file=sys.stderr)
        return 2

    weights, X, y, lr = networks.digits_workload()
    model = networks.copy_weights(nn.MLP(64, [32, 10]), weights)
    runs = []
    for i in range(min(args.samples, len(X))):
        runs.append(loops(model, tuple(X[i]), y[i]))
    seconds = [statistics.median(run[0][k] for run in runs) for k in range(4)]
    counts = [statistics.median(run[1][k] for run in runs) for k in range(4)]
    floor = sum(seconds)

    engines = ["chainrule", "micrograd"]
    with timing.Workers(engines) as workers:
        workers.load(networks.sample_work, weights, X, y, lr)
        timings = timing.interleave({name: workers[name].time for name in engines}, "sample", 5, 1.0)
    chainrule, micrograd = (timings[name].median for name in engines)

    print("W2, MLP(64, [32, 10]) forward+backward per sample: the pure-Python floor on this machine")
    print(f"  forward: multiply-adds          {counts[0]:7,.0f}   {seconds[0] * 1e6:7.1f} µs")
    print(f"  nodes: one Value per operation  {counts[1]:7,.0f}   {seconds[1] * 1e6:7.1f} µs")
    print(f"  walk: parents looked at         {counts[2]:7,.0f}   {seconds[2] * 1e6:7.1f} µs")
    print(f"  backward: edges carrying a grad {counts[3]:7,.0f}   {seconds[3] * 1e6:7.1f} µs")
    print(f"  floor (the sum)                           {floor * 1e6:7.1f} µs")
    print(f"chainrule (run.py's harness, median)        {chainrule * 1e6:7.1f} µs")
    print(f"micrograd (run.py's harness, median)        {micrograd * 1e3:7.2f} ms")
    print(f"micrograd / floor:     {micrograd / floor:6.1f}x   the most any such engine could reach here")
    print(f"micrograd / chainrule: {micrograd / chainrule:6.1f}x   issue 6 asks for 110x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
