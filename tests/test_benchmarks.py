"""The benchmark's correctness part, on tiny sizes: every engine computes the same thing.

Timings live in ``benchmarks/run.py``; nothing here times anything. These use the very functions
the benchmark runs, so a workload that drifts apart between engines fails here first.
"""

import json
import sys
from pathlib import Path

import pytest

# benchmarks/ sits beside the packages and is not installed: import it from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
from benchmarks import chain, networks  # noqa: E402
from engine import topological_order  # noqa: E402

ENGINES = {"chainrule", "chainrule-own", "micrograd", "torch-scalar", "torch-vectorised"}
DIGITS_ENGINES = ENGINES - {"chainrule-own"}  # the learner's own MLP runs W1 only


# -------------------------------------------------------------------- W1, W2: the same network everywhere


def test_moons_step_agrees_across_engines(torch, micrograd):
    engines = networks.engines(*networks.moons_workload(points=8, sizes=(4, 4, 1)))
    first = networks.check_agreement(engines, networks.one_step)
    second = networks.check_agreement(engines, networks.one_step)  # after one SGD update: still the same weights
    assert set(first) == ENGINES
    assert max(first.values()) <= 1e-12 and max(second.values()) <= 1e-12


def test_digits_samples_agree_across_engines(torch, micrograd):
    engines = networks.engines(*networks.digits_workload(samples=3, sizes=(5, 10)), networks.running("digits_sample"))
    errors = networks.check_agreement(engines, networks.first_samples)
    assert set(errors) == DIGITS_ENGINES
    assert max(errors.values()) <= 1e-12


def test_a_wrong_engine_is_caught(torch, micrograd):
    engines = networks.engines(*networks.moons_workload(points=8, sizes=(4, 4, 1)))
    micrograd_engine = engines[list(networks.ENGINES).index("micrograd")]
    micrograd_engine.model.layers[0].neurons[0].w[0].data += 1e-6
    with pytest.raises(networks.EnginesDisagree, match="micrograd and chainrule disagree"):
        networks.check_agreement(engines, networks.one_step)


def test_the_learners_own_mlp_makes_one_dot_node_per_neuron():
    model = networks.OwnMLP(2, [3, 1])
    (score,) = model((0.5, -1.0))
    ops = [node.op for node in topological_order(score) if node.parents]
    assert sorted(ops) == ["dot"] * 4 + ["relu"] * 3
    assert len(model.parameters()) == 3 * 3 + 4


def test_micrograd_exp_and_log_give_their_derivatives(micrograd):
    x = micrograd.Value(2.0)
    y = networks.micrograd_log(networks.micrograd_exp(x) * x)  # log(x e^x) = log x + x;  d/dx = 1/x + 1
    y.backward()
    assert y.data == pytest.approx(2.0 + 0.6931471805599453, rel=1e-15)
    assert x.grad == pytest.approx(1.5, rel=1e-15)


# -------------------------------------------------------------------- W3, W4: the chain


def test_chain_matches_its_closed_form():
    assert chain.check_chain(1000) <= 1e-12


def test_micrograd_recursion_depth_is_where_backward_starts_failing(micrograd):
    steps = chain.micrograd_recursion_steps()
    assert 10 < steps < sys.getrecursionlimit()
    # Where exactly it fails moves by a step with the caller's own stack depth, which differs between
    # the search and this test on Python 3.13 (not on 3.11): allow that, and no more.
    assert chain.micrograd_backward_fails(steps + 2)
    assert not chain.micrograd_backward_fails(steps - 2)


def test_chain_memory_counts_nodes_and_sees_who_frees_the_graph(micrograd):
    report = chain.memory_report(nodes=2000)
    assert report["chainrule"]["nodes"] == 2 * 1000 + 1  # constants are not nodes
    assert report["micrograd"]["nodes"] == 4 * 500 + 1  # micrograd wraps each constant in a node
    assert report["chainrule"]["freed_by_refcount"] is True
    assert report["micrograd"]["freed_by_refcount"] is False  # its closures make cycles
    assert all(r["bytes_per_node"] > 0 for r in report.values())


# -------------------------------------------------------------------- the whole run, at --quick sizes


def test_quick_run_prints_every_row_and_writes_json(torch, micrograd, tmp_path, capsys):
    from benchmarks import run

    path = tmp_path / "results.json"
    assert run.main(["--quick", "--json", str(path)]) == 0
    table = capsys.readouterr().out
    report = json.loads(path.read_text())
    assert set(report["results"]) == {"W1", "W2", "W3", "W4", "W5"}
    assert {row["engine"] for row in report["rows"] if row["workload"].startswith("W1")} == ENGINES
    assert {row["engine"] for row in report["rows"] if row["workload"].startswith("W2")} == DIGITS_ENGINES
    assert len(report["targets"]) == 8
    assert "chainrule-own" in report["results"]["W1"]["agreement"]
    assert {"platform", "python", "cpu_count", "date"} <= set(report["machine"])
    assert all(target["name"] in table for target in report["targets"])


# -------------------------------------------------------------------- the W2 floor


def test_the_floor_counts_the_work_of_one_digit():
    from benchmarks import floor

    weights, X, y, _ = networks.digits_workload(samples=1)
    model = networks.copy_weights(nn.MLP(64, [32, 10]), weights)
    seconds, (multiply_adds, nodes, parents, live_edges) = floor.loops(model, tuple(X[0]), y[0])
    assert multiply_adds == 32 * 65 + 10 * 33  # every weight and bias once
    loss = nn.cross_entropy(model(X[0]), y[0])
    interior = [node for node in topological_order(loss) if node.parents]
    assert nodes == len(interior)
    edges = sum(len(node.parents) for node in interior)
    first_layer = 32 * 65  # the walk does not look into a first-layer neuron's weights
    assert parents == edges - first_layer
    assert 0 < live_edges < edges  # ReLUs that are off pass no gradient
    assert len(seconds) == 4 and all(s > 0 for s in seconds)


def test_the_floor_rejects_no_samples(capsys):
    from benchmarks import floor

    with pytest.raises(SystemExit):
        floor.main(["--samples", "0"])
    assert "--samples must be at least 1, got 0" in capsys.readouterr().err


def test_gc_share_rejects_no_repetitions(capsys):
    from benchmarks import gc_share

    with pytest.raises(SystemExit):
        gc_share.main(["--repetitions", "0"])
    assert "--repetitions must be at least 1, got 0" in capsys.readouterr().err
