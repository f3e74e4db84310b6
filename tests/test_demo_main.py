"""``python demos/main.py OUT_DIR``: README's first command, run as a new user runs it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.render import ENVIRONMENT_VARIABLE, find_program

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def run_demo(*args, path=None, renderer=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if path is not None:
        env["PATH"] = str(path)
    env.pop(ENVIRONMENT_VARIABLE, None)
    if renderer is not None:
        env[ENVIRONMENT_VARIABLE] = renderer
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


def test_it_names_exactly_the_files_it_writes(demo):
    out, stdout = demo
    written = re.findall(r"^wrote (\S+)", stdout, re.MULTILINE)
    assert sorted(written) == sorted(str(path) for path in out.iterdir())


def test_it_draws_the_network_on_one_new_point(demo, dot_program):
    out, stdout = demo
    svg = (out / "network.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    for name in ("x0", "x1", "L0.N0", "L1.N5", "L2.N0"):  # the inputs and every layer's neurons
        assert f">{name}</text>" in svg
    weight = re.search(r"d loss / d layers\.0\.neurons\.(\d+)\.w\.(\d)", stdout)
    # The weight the explanation follows, with its numbers on hover.
    assert re.search(rf'xlink:title="L0\.N{weight[1]}\.w{weight[2]} [^"]*weight [^"]*grad (&#45;)?[0-9]', svg)


def test_it_draws_one_neuron_operation_by_operation(demo, dot_program):
    out, _ = demo
    svg = (out / "neuron.svg").read_text(encoding="utf-8")
    for name in ("x1*w1", "x2*w2", "tanh", "out"):
        assert name in svg


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
    assert max(map(len, text.splitlines())) <= 100  # readable in any editor


def test_without_a_renderer_it_writes_the_rest_and_a_one_line_hint(demo, tmp_path):
    no_programs = tmp_path / "bin"
    no_programs.mkdir()
    # dot is asked for and is on no PATH: no renderer at all, even where graphviz-pure is installed.
    result = run_demo(tmp_path / "out", path=no_programs, renderer="dot")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "decision_boundary.png", "explanation.txt", "training.png"  # no picture, and no .dot in its place
    ]
    hints = [line for line in result.stdout.splitlines() if "Graphviz" in line]
    assert len(hints) == 1 and "apt-get install graphviz" in hints[0] and "pip install graphviz-pure" in hints[0]
    assert "network.svg, neuron.svg, neuron_stepper.html were not written" in hints[0]
    assert result.stdout.strip().splitlines()[-1] == "training accuracy: 1.000"
    # Seeded: the same numbers as the run with a renderer.
    out, _ = demo
    assert (tmp_path / "out" / "explanation.txt").read_text() == (out / "explanation.txt").read_text()


def test_without_dot_it_draws_with_graphviz_pure(tmp_path):
    if find_program("graphviz-pure") is None:
        pytest.skip("graphviz-pure is not installed beside this Python")
    no_programs = tmp_path / "bin"
    no_programs.mkdir()
    result = run_demo(tmp_path / "out", path=no_programs)
    assert result.returncode == 0, result.stderr
    for name in ("network.svg", "neuron.svg", "neuron_stepper.html"):
        assert f"wrote {tmp_path / 'out' / name}" in result.stdout
    assert "L2.N0" in (tmp_path / "out" / "network.svg").read_text(encoding="utf-8")


def test_help_names_the_output_directory():
    result = run_demo("--help")
    assert result.returncode == 0 and "OUT_DIR" in result.stdout
