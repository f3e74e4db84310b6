"""``python -m engine``: evaluation, gradients, explanation, drawing, and refusing anything not whitelisted."""

import math
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import ExpressionError, evaluate, main
from engine import Value

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=60
    )


def test_prints_value_every_gradient_and_the_explanation():
    result = run("tanh(w*x + b)", "x=1", "w=2", "b=-0.5", "--wrt", "w")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    value = float(lines[0].split("=")[-1])
    assert value == pytest.approx(math.tanh(1.5), rel=1e-15)
    grads = {line.split("=")[0].strip(): float(line.split("=")[1]) for line in lines[1:4]}
    local = 1 - math.tanh(1.5) ** 2
    assert grads == pytest.approx({"d/dx": 2 * local, "d/dw": 1 * local, "d/db": local}, rel=1e-12)
    assert "path" in result.stdout  # the chain-rule explanation follows


def test_draws_the_graph(tmp_path, dot_program):
    target = tmp_path / "graph.svg"
    result = run("x*x + 2", "x=3", "--draw", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize(
    "expression, offending",
    [
        ("x.__class__", "attribute access"),
        ("__import__('os').system('true')", "__import__"),
        ("[a for a in [x]]", "comprehension"),
        ("(lambda: x)()", "lambda"),
        ("open('f')", "open"),
        ("x if x else x", "conditional"),
        ("x < 2", "comparison"),
        ("x // 2", "operator"),
        ("'text'", "not a number"),
        ("exp(x, x)", "2 arguments"),
        ("tanh(x=x)", "keyword"),
    ],
)
def test_refuses_anything_outside_the_whitelist_in_one_line(expression, offending):
    result = run(expression, "x=1")
    assert result.returncode == 2
    assert offending in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["x*y", "x=1"], "'y' has no value"),
        (["x*2", "x=abc"], "must be a number"),
        (["x*2", "x"], "not name=value"),
        (["x*2", "x=1", "--wrt", "z"], "--wrt"),
        (["x*2", "x=1", "x=2"], "twice"),
        (["x*", "x=1"], "cannot parse"),
    ],
)
def test_bad_names_and_values_are_one_line_errors_with_status_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_evaluate_builds_a_real_graph():
    x = Value(2.0, label="x")
    out = evaluate("-x**2 + leaky_relu(-x, 0.1) + sigmoid(0)", {"x": x})
    out.backward()
    assert out.data == pytest.approx(-4.0 - 0.2 + 0.5)
    assert x.grad == pytest.approx(-4.0 - 0.1)
    with pytest.raises(ExpressionError):
        evaluate("x.data", {"x": x})


@pytest.mark.parametrize(
    "expression, value, grad",
    [("2*x", 6.0, 2.0), ("1-x", -2.0, -1.0), ("2**x", 8.0, 8.0 * math.log(2.0)), ("6/x", 2.0, -6.0 / 9.0), ("3", 3.0, 0.0)],
)
def test_numbers_on_the_left_and_alone(expression, value, grad, capsys):
    assert main([expression, "x=3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert float(lines[0].split("=")[-1]) == pytest.approx(value, rel=1e-15)
    assert float(lines[1].split("=")[-1]) == pytest.approx(grad, rel=1e-15)


def test_an_expression_starting_with_minus_goes_after_double_dash(capsys):
    assert main(["--", "-x*2", "x=1.5"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "-x*2 = -3.0"


@pytest.mark.parametrize(
    "args, message",
    [
        (["x*2", "x=1", "w=3", "--wrt", "w"], "does not appear"),
        (["+".join(["x"] * 5000), "x=1"], "nested too deeply"),
    ],
)
def test_more_one_line_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
