"""A/B: this checkout's engine against another revision's, on W1, W2, W3, W5 and W6, taking turns.

    python benchmarks/ab.py a743e17                 # this checkout (B) against revision a743e17 (A)
    python benchmarks/ab.py HEAD --rounds 5 --workloads W1 W2

What a speed trick (or a check that costs time) must show before it goes into the core. The other
revision is checked out into a temporary git worktree; each round runs each side once, in a fresh
process of its own, in turn (A, B, A, B, ...), so the machine's drift hits both alike. Each run
reports the least CPU time (``time.process_time``) of 7 repetitions, which a shared machine's other
work disturbs less than wall time. Prints, per workload, the median over rounds of each side and
their ratio B / A (below 1: this checkout is faster).

W1  micrograd's demo step with nn.MLP: MLP(2, [16, 16, 1]), 100 moons points, hinge + L2, SGD (20 steps).
W2  forward, cross-entropy and backward of MLP(64, [32, 10]) on one digit (1,000 samples).
W3  the chain y = y * 1.0001 + 0.0001, 200,000 steps, forward and backward.
W5  one epoch of nn.fit (W5 of run.py trains to 96%): MLP(64, [32, 10]) on 600 digits, Adam, batches of 32.
W6  recurrent: forward and backward of LSTM(1, 8, nout=1) and RNN(1, 8, nout=1) over a 25-step sequence.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("W1", "W2", "W3", "W5", "W6")  # W4 (memory) is not a time

# Run in a fresh interpreter with the checkout to measure first on sys.path: prints one number, seconds per unit.
_ONE_RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks import chain, networks
workload = sys.argv[2]
if workload == "W1":
    work, units = networks.step_work("chainrule", *networks.moons_workload()), 20
elif workload == "W2":
    work, units = networks.sample_work("chainrule", *networks.digits_workload()), 1000
elif workload == "W3":
    work, units = chain.chain_work(200_000), 1
elif workload == "W6":
    import random, nn
    rng = random.Random(0)
    sequence = [[rng.uniform(-1, 1)] for _ in range(25)]
    models = [nn.LSTM(1, 8, nout=1, seed=0), nn.RNN(1, 8, nout=1, seed=0)]
    def work(n):
        for _ in range(n):
            for model in models:
                model(sequence)[-1][0].backward()
    units = 20
else:
    import nn
    X, y = nn.datasets.digits()
    def work(epochs):
        model = nn.MLP(64, [32, 10], seed=0)
        nn.fit(model, X[:600], y[:600], nn.cross_entropy, nn.Adam(model.parameters(), lr=0.01),
               epochs=epochs, patience=None, progress=False)
    units = 1
work(1)  # warm up: imports, caches
times = []
for _ in range(7):
    start = time.process_time()
    work(units)
    times.append((time.process_time() - start) / units)
print(min(times))
"""


def one_run(checkout, workload):
    """Seconds per unit of ``workload`` with the engine of ``checkout``, measured in a process of its own."""
    result = subprocess.run([sys.executable, "-c", _ONE_RUN, str(checkout), workload],
                            capture_output=True, text=True, check=True)
    return float(result.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare this checkout against (A)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each side takes per workload (default: 3)")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "a"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), args.revision],
                       check=True)
        try:
            for workload in args.workloads:
                a, b = [], []
                for round_ in range(args.rounds):
                    a.append(one_run(other, workload))
                    b.append(one_run(ROOT, workload))
                    print(f"{workload} round {round_ + 1}: A {a[-1]:.6f} s, B {b[-1]:.6f} s", file=sys.stderr)
                ratio = statistics.median(b) / statistics.median(a)
                print(f"{workload}: A ({args.revision}) {statistics.median(a) * 1e3:.3f} ms, "
                      f"B (this checkout) {statistics.median(b) * 1e3:.3f} ms, B/A {ratio:.3f}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
