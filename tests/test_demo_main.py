"""``python demos/main.py OUT_DIR``: README's first command, run as a new user runs it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def run_demo(*args, path=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if path is not None:
        env["PATH"] = str(path)
    return subprocess.run(
        [sys.executable, str(ROOT / "demos" / "main.py"), *map(str, args)], capture_output=True, text=True,
        env=env, timeout=120,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_it_reaches_full_training_accuracy_and_says_so_last(demo):
    _, stdout = demo
    assert stdout.strip().splitlines()[-1] == "training accuracy: 1.000"


def test_it_writes_the_curves_and_the_decision_boundary(demo):
    out, stdout = demo
    for name in ("training.png", "decision_boundary.png"):
        assert (out / name).read_bytes().startswith(PNG), name
        assert f"wrote {out / name}" in stdout


def test_it_draws_one_example_through_the_trained_network(demo, dot_program):
    out, _ = demo
    svg = (out / "graph.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    for name in ("layers.0.neurons.0", "layers.2.neurons.0", "z0_0", "a1_5", "score", "margin", "loss"):
        assert name in svg  # module clusters, and each neuron's sum and activation named


def test_it_writes_the_stepper_for_one_neuron(demo, dot_program):
    out, _ = demo
    html = (out / "neuron_stepper.html").read_text(encoding="utf-8")
    steps = re.search(r'<script type="application/json" class="chainrule-steps">(.*?)</script>', html, re.DOTALL)
    texts = [step["text"] for step in json.loads(steps.group(1))["steps"]]
    assert texts[0].startswith("step 1 of ") and "out.grad = 1" in texts[0]
    assert any("w1.grad" in text for text in texts) and any("b.grad" in text for text in texts)


def test_it_explains_one_weight_and_prints_the_same(demo):
    out, stdout = demo
    text = (out / "explanation.txt").read_text(encoding="utf-8")
    weight = re.match(r"d loss / d (layers\.0\.neurons\.\d+\.w\.\d)", text).group(1)
    assert "path 1 of 6" in text and "path 6 of 6" in text  # through each of the 6 neurons of layer 1
    total = float(re.search(r"^ += (\S+)  \(sum over 6 paths\)$", text, re.MULTILINE).group(1))
    assert total != 0.0  # the point lies near the boundary, where the hinge loss still pushes
    assert f"d loss / d {weight} = {total:.4g}" in stdout
    assert text.strip() in stdout


def test_without_graphviz_it_writes_the_dot_source_and_a_one_line_hint(demo, tmp_path):
    no_programs = tmp_path / "bin"
    no_programs.mkdir()
    result = run_demo(tmp_path / "out", path=no_programs)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "graph.dot").read_text(encoding="utf-8").startswith("digraph")
    assert not (tmp_path / "out" / "graph.svg").exists() and not (tmp_path / "out" / "neuron_stepper.html").exists()
    hints = [line for line in result.stdout.splitlines() if "Graphviz" in line]
    assert len(hints) == 1 and "apt-get install graphviz" in hints[0]
    assert result.stdout.strip().splitlines()[-1] == "training accuracy: 1.000"
    # Seeded: the same numbers as the run with Graphviz.
    out, _ = demo
    assert (tmp_path / "out" / "explanation.txt").read_text() == (out / "explanation.txt").read_text()


def test_help_names_the_output_directory():
    result = run_demo("--help")
    assert result.returncode == 0 and "OUT_DIR" in result.stdout
