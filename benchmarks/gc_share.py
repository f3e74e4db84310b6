"""Where the time goes: W1's step with Python's garbage collector on, and with it switched off.

    python benchmarks/gc_share.py [--repetitions 7]

micrograd stores each node's backward step as a closure that refers back to the node, so every
node sits in a reference cycle: nothing of a step's graph is freed until the cyclic collector finds
it, and the collector's passes over ever more objects become most of a step. chainrule's nodes hold
plain tuples, so a graph is freed by reference counting as soon as the loss goes; the collector
still passes over the young nodes, but finds nothing to free. Each engine runs in a process of its
own (as in ``benchmarks/run.py``); medians per step.
"""

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import networks, timing  # noqa: E402

ENGINES = ("chainrule", "micrograd")


def gc_on_and_off(name, repetitions):
    """In a worker: W1 steps of engine ``name`` with the collector on, then off; median seconds of each.

    The on turns run back to back, as ``benchmarks/run.py`` runs them, so each pays for the garbage
    the turns before it left; each off turn starts from a collected heap and leaves its garbage to a
    collection that is not timed.
    """
    work = networks.step_work(name, *networks.moons_workload())
    steps = 1 if name == "micrograd" else 20  # about a second a turn, either way
    work(steps)  # warm up
    on, off = [], []
    for _ in range(repetitions):
        start = time.perf_counter()
        work(steps)
        on.append((time.perf_counter() - start) / steps)
    for _ in range(repetitions):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work(steps)
            off.append((time.perf_counter() - start) / steps)
        finally:
            gc.enable()
    gc.collect()
    return statistics.median(on), statistics.median(off)


def main(argv=None):
    parser = argparse.ArgumentParser(description="W1's step with the garbage collector on and off, per engine.")
    parser.add_argument("--repetitions", type=int, default=7, help="turns of each (default 7)")
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error(f"--repetitions must be at least 1, got {args.repetitions}")
    print("W1, micrograd's demo step (MLP(2, [16, 16, 1]), 100 points), median per step")
    print(f"{'engine':10s}  {'collector on':>12s}  {'collector off':>13s}  share of the step in the collector")
    with timing.Workers(ENGINES) as workers:
        for name, worker in workers.items():
            on, off = worker.call(gc_on_and_off, name, args.repetitions)
            print(f"{name:10s}  {on * 1e3:9.2f} ms  {off * 1e3:10.2f} ms  {1 - off / on:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
