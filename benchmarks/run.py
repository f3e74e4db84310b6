"""chainrule against micrograd and PyTorch, in one run, with the targets of issue 6.

    pip install -e ".[bench]"                  # micrograd==0.1.0 and torch==2.13.0
    python benchmarks/run.py                   # every workload: 2 to 4 minutes on a busy 2-core machine
    python benchmarks/run.py --json out.json   # also write every number, to regenerate the README table
    python benchmarks/run.py --quick           # tiny sizes and few repetitions: checks that it all runs

W1  micrograd's demo step: MLP(2, [16, 16, 1]) on 100 moons points, hinge loss + L2, backward, SGD;
    besides nn.MLP ("chainrule"), a learner's own MLP on the public engine API ("chainrule-own").
W2  the digits network MLP(64, [32, 10]): forward, cross-entropy and backward, per sample.
W3  the chain y = y * 1.0001 + 0.0001, a million steps, forward and backward.
W4  bytes per node of a million-node chain, and whether deleting it frees it without the cyclic collector.
W5  wall time for nn.fit to bring MLP(64, [32, 10]) to 96% test accuracy on the digits.

Engines are timed in turn within each repetition (see ``benchmarks/timing.py``), so the machine's
drift hits all of them alike; W1 and W2 first check that every engine computes the same losses and
gradients from the same weights, and stop with a message if not. Progress goes to stderr, the
table to stdout.
"""

import argparse
import datetime
import gc
import importlib.util
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

# Measure this checkout's engine and nn, whatever copy of chainrule is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import chain, networks, timing, training  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """How big each workload is and how often it repeats; ``FULL`` is what the targets are stated for."""

    moons_points: int = 100
    moons_sizes: tuple = (16, 16, 1)
    digits_samples: int = 200  # W2 cycles through these
    digits_sizes: tuple = (32, 10)
    chain_steps: int = 1_000_000
    memory_nodes: int = 1_000_000
    repetitions: int = 11  # W1 and W2
    chain_repetitions: int = 3  # W3: each takes seconds
    seconds_per_repetition: float = 1.0  # one engine's turn in W1 and W2
    fit_sizes: tuple = (32, 10)
    fit_target: float = 0.96
    fit_samples: int = None  # None: all 1,797 digits
    fit_max_epochs: int = 40


FULL = Sizes()
QUICK = Sizes(
    moons_points=8, moons_sizes=(4, 4, 1), digits_samples=4, digits_sizes=(4, 10), chain_steps=10_000,
    memory_nodes=10_000, repetitions=2, chain_repetitions=1, seconds_per_repetition=0.01,
    fit_target=0.3, fit_samples=200, fit_max_epochs=5,
)


# -------------------------------------------------------------------- the workloads


def run_network(workload, names, check, work, unit, sizes, workers, progress):
    """W1 and W2: check that the engines called ``names`` compute the same thing from the same weights, then time them.

    ``check(engine)`` is what the agreement check runs (in this process, not timed); ``work`` is the
    factory each engine's worker loads to be timed.
    """
    progress("checking that all engines compute the same losses and gradients")
    agreement = networks.check_agreement(networks.engines(*workload, names), check)
    workers.load(work, *workload, names=names)
    timers = {name: workers[name].time for name in names}
    timings = timing.interleave(timers, unit, sizes.repetitions, sizes.seconds_per_repetition, progress)
    return {"agreement": agreement, "timings": timings}


def run_moons(sizes, workers, progress):
    """W1: micrograd's demo step (forward, hinge loss + L2, backward, SGD) in every engine."""
    workload = networks.moons_workload(sizes.moons_points, sizes.moons_sizes)
    names = [name for name in networks.running("moons_step") if name in workers]
    return run_network(workload, names, networks.one_step, networks.step_work, "step", sizes, workers, progress)


def run_digits(sizes, workers, progress):
    """W2: forward, cross-entropy and backward per sample in every engine but the learner's own MLP (W1 only)."""
    workload = networks.digits_workload(sizes.digits_samples, sizes.digits_sizes)
    names = [name for name in networks.running("digits_sample") if name in workers]
    return run_network(workload, names, networks.first_samples, networks.sample_work, "sample", sizes, workers,
                       progress)


def run_chain(sizes, workers, progress):
    """W3: chainrule's chain forward+backward (freeing it counts too), and micrograd's RecursionError depth."""
    steps = sizes.chain_steps
    progress(f"checking the {steps:,}-step chain against its closed form")
    error = workers["chainrule"].call(chain.check_chain, steps)
    workers["chainrule"].load(chain.chain_work, steps)
    timings = timing.interleave(
        {"chainrule": workers["chainrule"].time}, "chain", sizes.chain_repetitions, 0, progress, units={"chainrule": 1}
    )
    progress("finding where micrograd's recursive backward gives up")
    return {
        "steps": steps,
        "error": error,
        "timings": timings,
        "micrograd_recursion_error_steps": workers["micrograd"].call(chain.micrograd_recursion_steps),
        "recursion_limit": sys.getrecursionlimit(),
    }


def run_memory(sizes, workers, progress):
    """W4, in this process: tracemalloc counts only what the chain allocates, whatever else the process holds."""
    progress(f"tracemalloc on chains of about {sizes.memory_nodes:,} nodes")
    return chain.memory_report(sizes.memory_nodes)


def run_fit(sizes, workers, progress):
    """W5, in chainrule's worker, where nothing but chainrule sits in the heap."""
    progress(f"nn.fit to {sizes.fit_target:.0%} test accuracy on the digits")
    return workers["chainrule"].call(
        training.time_to_accuracy, sizes.fit_target, sizes.fit_sizes, sizes.fit_max_epochs, sizes.fit_samples
    )


# -------------------------------------------------------------------- the table


@dataclass
class Row:
    """One line of the table; every cell is already text."""

    workload: str
    engine: str
    versus: str  # against micrograd: "47.4x" is 47.4 times faster (or, for memory, smaller)
    result: str
    spread: str
    note: str = ""


@dataclass
class Target:
    name: str
    goal: str
    measured: str
    passed: bool


def seconds_text(s):
    if s >= 1.0:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} µs"


def ratio(reference, value):
    """How many times ``value`` fits into ``reference``: speed-up (or memory saving) against micrograd."""
    return reference / value


def timing_rows(workload, timings):
    """One row per engine: ratio to micrograd first, then median per unit and the interquartile range."""
    reference = timings["micrograd"].median if "micrograd" in timings else None
    rows = []
    for name, t in timings.items():
        q1, q3 = t.quartiles
        versus = "" if reference is None else f"{ratio(reference, t.median):.1f}x"
        rows.append(
            Row(
                workload, name, versus, f"{seconds_text(t.median)} /{t.unit}",
                f"{seconds_text(q1)} – {seconds_text(q3)}", f"{len(t.seconds)} reps x {t.units_per_repetition}",
            )
        )
    return rows


def build_rows(results, sizes):
    w1 = f"W1 moons step MLP(2, {list(sizes.moons_sizes)}), {sizes.moons_points} points"
    w2 = f"W2 digits MLP(64, {list(sizes.digits_sizes)}) fwd+bwd"
    rows = timing_rows(w1, results["W1"]["timings"]) + timing_rows(w2, results["W2"]["timings"])

    w3 = results["W3"]
    rows += timing_rows(f"W3 chain of {w3['steps']:,} steps fwd+bwd", w3["timings"])
    rows.append(
        Row(rows[-1].workload, "micrograd", "", "RecursionError", "",
            f"from {w3['micrograd_recursion_error_steps']} steps (recursion limit {w3['recursion_limit']})")
    )

    memory = results["W4"]
    reference = memory["micrograd"]["bytes_per_node"]
    for name, m in memory.items():
        freed = "freed by refcount" if m["freed_by_refcount"] else "NOT freed without gc"
        rows.append(
            Row(f"W4 memory, chain of ~{sizes.memory_nodes:,} nodes", name,
                f"{ratio(reference, m['bytes_per_node']):.1f}x", f"{m['bytes_per_node']:.0f} B/node", "",
                f"{m['nodes']:,} nodes, {m['bytes'] / 2**20:.0f} MiB; {freed}")
        )

    fit = results["W5"]
    epochs = f"{fit['epochs']} epoch{'' if fit['epochs'] == 1 else 's'}"
    rows.append(
        Row(f"W5 nn.fit {fit['network']} to {fit['target']:.0%}", "chainrule", "", f"{fit['seconds']:.1f} s", "",
            f"{epochs}, test accuracy {fit['test_accuracy']:.1%}, {fit['optimizer']}")
    )
    return rows


def check_targets(results):
    """The targets of issue 6, each with what this run measured."""
    w1, w2 = results["W1"]["timings"], results["W2"]["timings"]
    chainrule_step = w1["chainrule"].median
    versus_micrograd = ratio(w1["micrograd"].median, chainrule_step)
    own_versus_micrograd = ratio(w1["micrograd"].median, w1["chainrule-own"].median)
    versus_torch = ratio(w1["torch-scalar"].median, chainrule_step) if "torch-scalar" in w1 else None
    per_sample = ratio(w2["micrograd"].median, w2["chainrule"].median)
    steps, chain_seconds = results["W3"]["steps"], results["W3"]["timings"]["chainrule"].median
    memory = results["W4"]["chainrule"]
    fit = results["W5"]
    fit_seconds = f"{fit['seconds']:.1f} s" + ("" if fit["reached"] else f" (stopped at {fit['test_accuracy']:.1%})")
    return [
        Target("W1 chainrule (nn.MLP) vs micrograd, per step", ">= 90x", f"{versus_micrograd:.1f}x",
               versus_micrograd >= 90),
        Target("W1 chainrule-own (a learner's MLP) vs micrograd, per step", ">= 70x", f"{own_versus_micrograd:.1f}x",
               own_versus_micrograd >= 70),
        Target("W1 chainrule vs torch-scalar, per step", ">= 25x",
               "no torch" if versus_torch is None else f"{versus_torch:.1f}x", versus_torch and versus_torch >= 25),
        Target("W2 chainrule vs micrograd, per sample", ">= 110x", f"{per_sample:.1f}x", per_sample >= 110),
        Target(f"W3 {steps:,}-step chain fwd+bwd", "< 5 s", seconds_text(chain_seconds), chain_seconds < 5.0),
        Target("W4 bytes per node", "<= 200", f"{memory['bytes_per_node']:.0f}", memory["bytes_per_node"] <= 200),
        Target("W4 graph freed by reference counting", "yes", "yes" if memory["freed_by_refcount"] else "no",
               memory["freed_by_refcount"]),
        Target(f"W5 nn.fit to {fit['target']:.0%} test accuracy", "< 60 s", fit_seconds,
               fit["reached"] and fit["seconds"] < 60.0),
    ]


def columns(lines, right=()):
    """Lists of cells as fixed-width text: each column as wide as its widest cell, those in ``right`` right-aligned."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    def cell(i, text):
        return text.rjust(widths[i]) if i in right else text.ljust(widths[i])

    return ["  ".join(cell(i, text) for i, text in enumerate(line)).rstrip() for line in lines]


def format_table(rows, targets, quick):
    """The results table (ratios to micrograd beside each engine), a note on method, then the targets."""
    header = ["workload", "engine", "vs micrograd", "result (median)", "spread (IQR)", "notes"]
    shown, previous = [], None
    for row in rows:
        shown.append(["" if row.workload == previous else row.workload, row.engine, row.versus, row.result, row.spread,
                      row.note])
        previous = row.workload
    table = columns([header] + shown, right={2, 3})
    lines = [table[0], "-" * len(table[0]), *table[1:], ""]
    lines.append("vs micrograd: how many times faster (W1-W3) or smaller (W4) than micrograd 0.1.0, from the medians.")
    lines.append("chainrule: nn.MLP with nn's losses and SGD. chainrule-own (W1 only): a learner's own MLP on the public")
    lines.append("engine API (engine.Value, engine.dots, .relu(), engine.sum; nothing from nn), in benchmarks/networks.py.")
    lines.append("Each engine runs in a process of its own; garbage collector at Python's defaults; torch on 1 thread.")
    if quick:
        lines.append("--quick: tiny sizes; the targets are stated for the full sizes, so these verdicts mean little.")
    lines.append("")
    verdicts = [[t.name, t.goal, t.measured, "not run" if t.passed is None else "PASS" if t.passed else "FAIL"]
                for t in targets]
    lines += columns([["target", "goal", "measured", "verdict"]] + verdicts)
    return "\n".join(lines)


# -------------------------------------------------------------------- machine and JSON


def machine():
    """Where the numbers come from: they mean little without it."""
    torch = importlib.import_module("torch") if importlib.util.find_spec("torch") else None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch and torch.__version__,
        "torch_threads": torch and torch.get_num_threads(),
        "micrograd": metadata.version("micrograd"),
        "gc_enabled": gc.isenabled(),
        "gc_thresholds": gc.get_threshold(),
        "recursion_limit": sys.getrecursionlimit(),
    }


def as_json(value):
    """Timings and dataclasses as plain dicts, recursively, for json.dump."""
    if isinstance(value, timing.Timing):
        return value.as_dict()
    if isinstance(value, (Row, Target, Sizes)):
        return asdict(value)
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


# -------------------------------------------------------------------- main


WORKLOADS = {"W1": run_moons, "W2": run_digits, "W3": run_chain, "W4": run_memory, "W5": run_fit}


def main(argv=None):
    parser = argparse.ArgumentParser(description="chainrule against micrograd and PyTorch (issue 6's benchmark).")
    parser.add_argument("--json", metavar="PATH", help="also write every result, with the machine, as JSON")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repetitions (a smoke test)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if importlib.util.find_spec("micrograd") is None:
        print("the benchmark compares chainrule with micrograd, which is not installed: pip install -e \".[bench]\"",
              file=sys.stderr)
        return 2
    engines = networks.ENGINES
    if importlib.util.find_spec("torch") is None:  # PyTorch has no wheel for every Python: measure the rest
        engines = {name: engine for name, engine in engines.items() if not name.startswith("torch")}
        print("torch is not installed: the torch engines are left out (pip install -e \".[bench]\")", file=sys.stderr)

    start = time.perf_counter()

    def progress(message):
        print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        with timing.Workers(engines) as workers:
            results = {}
            for name, run in WORKLOADS.items():
                results[name] = run(sizes, workers, lambda message, name=name: progress(f"{name}: {message}"))
    except networks.EnginesDisagree as problem:
        print(f"benchmark aborted: {problem}", file=sys.stderr)
        return 1
    rows, targets = build_rows(results, sizes), check_targets(results)
    table = format_table(rows, targets, args.quick)
    print(table)
    progress("done")
    if args.json:
        report = {
            "machine": machine(),
            "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
            "sizes": sizes,
            "seconds": time.perf_counter() - start,
            "results": results,
            "rows": rows,
            "targets": targets,
            "table": table,
        }
        Path(args.json).write_text(json.dumps(as_json(report), indent=2) + "\n")
        progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
