"""The playground's Python (demos/playground/playground.py) and its build script, under CPython.

The same module runs in the browser (tests/test_playground_browser.py drives it there); here each
of its answers is checked against what it should be: derivatives by central differences, errors
as one line, training that learns, explanations that add up to the gradient.
"""

import importlib.util
import json
import math
from importlib import metadata
from pathlib import Path

import pytest

import nn
from engine.expressions import evaluate, parse_variables

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUND = ROOT / "demos" / "playground"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"chainrule_{name}", PLAYGROUND / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


playground = _load("playground")
build = _load("build")


def ask(function, *args):
    """Call one of the module's functions as the page's worker does, and read its JSON answer."""
    return json.loads(function(*args))


def central_difference(expression, values, name, h=1e-6):
    def f(shift):
        variables = parse_variables(values)
        variables[name].data += shift
        return evaluate(expression, variables).data

    return (f(h) - f(-h)) / (2 * h)


# -------------------------------------------------------------------- the expression panel

EXPRESSIONS = [
    ("tanh(w*x + b)", "x=1 w=2 b=-0.5"),
    ("x*x*x - 2*x*y + y**2", "x=1.5, y=-0.25"),
    ("sigmoid(a) * log(b) / sqrt(c)", "a=0.3; b=2.5; c=4"),
    ("exp(sin(x) * cos(y)) + relu(x - y) + softplus(-x)", "x=0.7 y=0.2"),
    ("leaky_relu(x, 0.1) + abs(y) ** 1.5", "x=-2 y=-3"),
]


@pytest.mark.parametrize("expression, values", EXPRESSIONS)
def test_every_gradient_agrees_with_central_differences(expression, values):
    shown = ask(playground.expression, expression, values, "")
    assert set(shown) >= {"value", "gradients", "variables", "wrt", "explanation", "graph", "stepper"}
    assert float(shown["value"]) == evaluate(expression, parse_variables(values)).data
    names = list(parse_variables(values))
    assert [line.split(" = ")[0] for line in shown["gradients"]] == [f"df/d{name}" for name in names]
    variables = parse_variables(values)
    evaluate(expression, variables).backward()
    for name, line in zip(names, shown["gradients"]):
        digits = line.split(" = ")[1]
        assert float(digits) == variables[name].grad  # every digit: repr reads back as the same float
        assert float(digits) == pytest.approx(central_difference(expression, values, name), rel=1e-6, abs=1e-8)
    assert "<svg" in shown["graph"] and "chainrule-stepper" in shown["stepper"]


def test_the_explanation_is_for_the_chosen_name_and_adds_up():
    shown = ask(playground.expression, "tanh(w*x + b)", "x=1 w=2 b=-0.5", "w")
    local = 1 - math.tanh(1.5) ** 2
    assert shown["wrt"] == "w" and shown["explanation"].startswith("df/dw =")
    assert shown["explanation"].rstrip().endswith(f"= {local:.4g}  (sum over 1 path)")
    assert ask(playground.expression, "x*2", "x=1 y=3", "y")["explanation"] == "y does not appear in f, so df/dy = 0"
    assert ask(playground.expression, "x*2", "x=1", "nobody")["wrt"] == "x"  # an unknown choice: the first name


def test_the_variables_come_back_as_a_link_writes_them():
    shown = ask(playground.expression, "w*x", "x = 1.0, w=-0.5", "")
    assert shown["variables"] == [["x", "1"], ["w", "-0.5"]]


@pytest.mark.parametrize("expression, values, message", [
    ("tanh(w*x +", "x=1 w=2", "cannot parse"),
    ("x*y", "x=1", "name 'y' has no value: give it a value, e.g. y=1.0"),
    ("__import__('os').system('true')", "", "not allowed in an expression"),
    ("x.real", "x=1", "not allowed in an expression: attribute access"),
    ("x**99999", "x=2", "is not a finite number: operation '**99999' produced inf"),
    ("1/x", "x=0", "is not a finite number: operation '1/' produced inf from inputs x=0.0 (a division by zero)"),
    ("log(x)", "x=-1", "produced nan"),
    ("x*2", "x=abc", "the value of 'x' must be a number, got 'abc'"),
    ("x*2", "x=1 x=2", "'x' is given twice"),
    ("x*2", "x", "'x' is not name=value"),
    ("f*2", "f=1", "'f' names the expression in the page's link"),
    ("   ", "", "type an expression"),
    ("(" * 600 + "x" + ")" * 600, "x=1", "nested too deeply"),
    ("x" + "+x" * 3000, "x=1", "characters long"),
])
def test_bad_input_gets_one_line_that_names_what_was_wrong(expression, values, message):
    shown = ask(playground.expression, expression, values, "")
    assert list(shown) == ["error"] and "\n" not in shown["error"] and message in shown["error"]


def test_a_graph_too_big_to_draw_still_gives_its_numbers():
    shown = ask(playground.expression, "+".join(["x*y"] * 400), "x=2 y=3", "")
    assert shown["gradients"] == ["df/dx = 1200.0", "df/dy = 800.0"]
    assert shown["graph"] == shown["stepper"] == "" and "nodes" in shown["graph_error"]


# -------------------------------------------------------------------- the network panel


def test_training_lowers_the_loss_and_the_view_has_every_part():
    first = ask(playground.configure, "moons", "4, 4", "tanh", 0.1)
    assert first["step"] == 0 and first["losses"] == [[0, first["loss"], first["test_loss"]]]
    assert first["settings"] == {"dataset": "moons", "hidden": "4, 4", "activation": "tanh", "lr": 0.1}
    grid = first["grid"]
    assert len(grid) == playground.GRID and all(len(row) == playground.GRID for row in grid)
    assert all(0 < p < 1 for row in grid for p in row)
    assert len(first["points"]) + len(first["test_points"]) == playground.SAMPLES
    assert 'id="L0.N0.w0"' in first["network"] and 'id="L2.N0.w3"' in first["network"]
    for _ in range(30):
        later = ask(playground.train, 0, False)
    assert later == {"step": 30, "loss": playground.network.losses[-1][1]}
    later = ask(playground.train, 0, True)
    assert later["step"] == 31 and later["loss"] < 0.9 * first["loss"]
    assert [step for step, _, _ in later["losses"]] == list(range(32))  # a point per slice of training
    x0, x1, y0, y1 = later["extent"]
    assert all(x0 < x < x1 and y0 < y < y1 for x, y, _ in later["points"])


def test_the_loss_curve_is_thinned_but_keeps_its_ends():
    ask(playground.configure, "moons", "2", "tanh", 0.1)
    for _ in range(playground.MAX_LOSSES + 50):
        ask(playground.train, 0, False)
    steps = [step for step, _, _ in playground.network.losses]
    assert len(steps) <= playground.MAX_LOSSES and steps[0] == 0 and steps[-1] == playground.network.steps
    assert steps == sorted(steps)


def test_the_same_settings_train_the_same_way():
    runs = []
    for _ in range(2):
        ask(playground.configure, "xor", "3", "relu", 0.3)
        runs.append(ask(playground.train, 0, True)["loss"])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("dataset", playground.DATASETS)
def test_every_data_set_has_two_classes_in_the_plane(dataset):
    shown = ask(playground.configure, dataset, "2", "tanh", 0.03)
    labels = {label for _, _, label in shown["points"] + shown["test_points"]}
    assert labels == {0, 1}


def test_explaining_a_weight_adds_up_to_its_gradient_on_the_current_example():
    ask(playground.configure, "circles", "3, 2", "sigmoid", 1.0)
    for _ in range(5):
        ask(playground.train, 0, False)
    ask(playground.pick_example, 7)
    shown = ask(playground.explain_weight, "L0.N2.w1")
    net = playground.network
    weight = net.model.layers[0].neurons[2].w[1]
    assert net.example == 7 and shown["grad"] == repr(weight.grad) and weight.grad != 0
    assert "path 2 of 2" in shown["explanation"]  # two neurons in the next layer: two paths
    (total,) = [line for line in shown["explanation"].splitlines() if "(sum over 2 paths)" in line]
    assert total.split("=")[-1].split("(")[0].strip() == f"{weight.grad:.4g}"
    x, label = net.X[7], net.y[7]
    assert shown["example"] == f"example 7: x = ({x[0]:.3f}, {x[1]:.3f}), label {label}"
    # the gradient is the loss on that example alone: the same by hand
    loss = nn.bce_with_logits([net.model(x)], [label])
    net.optimizer.zero_grad()
    loss.backward()
    assert weight.grad == float(shown["grad"])


@pytest.mark.parametrize("call, args, message", [
    ("configure", ("swirl", "4", "tanh", 0.1), "unknown data set 'swirl'; choose one of moons, circles, xor, spiral"),
    ("configure", ("moons", "4, x", "tanh", 0.1), "hidden layers are numbers of neurons such as '4, 4'"),
    ("configure", ("moons", "9", "tanh", 0.1), "up to 6 hidden layers of 1 to 8 neurons each, got '9'"),
    ("configure", ("moons", "1 1 1 1 1 1 1", "tanh", 0.1), "up to 6 hidden layers"),
    ("configure", ("moons", "4", "swish", 0.1), "unknown activation 'swish'"),
    ("configure", ("moons", "4", "tanh", -1), "the learning rate must be a number in (0, 10]"),
    ("pick_example", (10_000,), "an example is a number from 0 to 149"),
    ("explain_weight", ("L9.N0.w0",), "no weight named 'L9.N0.w0'"),
])
def test_bad_settings_get_one_line_and_leave_the_network_as_it_was(call, args, message):
    ask(playground.configure, "moons", "4", "tanh", 0.1)
    before = playground.network
    shown = ask(getattr(playground, call), *args)
    assert list(shown) == ["error"] and message in shown["error"] and playground.network is before


def test_a_network_whose_loss_is_not_finite_stops_with_a_message():
    ask(playground.configure, "spiral", "8, 8", "relu", 3.0)
    playground.network.model.layers[0].neurons[0].w[0].data = math.inf  # where a diverging run ends
    shown = ask(playground.train, 0, False)
    assert shown == {"error": "the loss is nan at step 1: lower the learning rate"}
    assert playground.network.steps == 0


def test_the_lists_are_nn_s_and_the_defaults_are_among_them():
    shown = ask(playground.options)
    assert set(shown["activations"]) <= set(nn.ACTIVATIONS)
    assert all(callable(getattr(nn.datasets, name)) for name in shown["datasets"])
    defaults = shown["defaults"]
    assert defaults["dataset"] in shown["datasets"] and defaults["activation"] in shown["activations"]
    assert defaults["lr"] in shown["learning_rates"] and shown["expression_key"] == "f"


# -------------------------------------------------------------------- what the site is built from


def test_the_browser_wheels_are_chainrule_s_dependencies_in_a_browser():
    markers = pytest.importorskip("packaging.requirements")
    pyodide = {"sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}
    needed = set()
    for line in metadata.requires("chainrule"):
        requirement = markers.Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(pyodide):
            needed.add(requirement.name.lower())
    pinned = {line.split("==")[0].strip().lower() for line in
              (PLAYGROUND / "requirements-browser.txt").read_text().splitlines() if line and not line.startswith("#")}
    assert pinned == needed and "graphviz-pure" not in needed
    everywhere = {markers.Requirement(line).name for line in metadata.requires("chainrule")
                  if markers.Requirement(line).marker is None}
    assert "graphviz-pure" not in everywhere  # elsewhere it is still installed: see the next assertion
    linux = {"sys_platform": "linux", "platform_system": "Linux", "extra": ""}
    assert any(markers.Requirement(line).name == "graphviz-pure" and markers.Requirement(line).marker.evaluate(linux)
               for line in metadata.requires("chainrule"))


def test_the_npm_packages_are_pinned_exactly_and_locked():
    package = json.loads((PLAYGROUND / "package.json").read_text())
    lock = json.loads((PLAYGROUND / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert version[0].isdigit(), f"{name} is pinned to a range ({version}), not a version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert lock["packages"][f"node_modules/{name}"]["integrity"].startswith("sha512-")


def test_build_refuses_a_folder_it_did_not_make_and_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(build.BuildError, match="is not empty and is not an earlier playground build"):
        build.build(tmp_path, quiet=True)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(build.BuildError, match="is a file"):
        build.build(tmp_path / "notes.txt", quiet=True)
    with pytest.raises(build.BuildError, match="would hold the sources"):
        build.build(ROOT.parent, quiet=True)


def test_a_failed_build_leaves_the_old_site_and_no_temporary_folder(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / build.MANIFEST).write_text(json.dumps({"kind": build.KIND}))
    (site / "index.html").write_text("the old site")
    modules = tmp_path / "node_modules"
    for package, names in (("pyodide", build.PYODIDE), ("@viz-js/viz/dist", build.VIZ)):
        (modules / package).mkdir(parents=True)
        for name in names:
            (modules / package / name).write_text("")
    monkeypatch.setattr(build, "_node_modules", lambda quiet: modules)

    def no_pip(folder, quiet):
        raise build.BuildError("pip download failed (exit status 1)")

    monkeypatch.setattr(build, "_wheels", no_pip)
    with pytest.raises(build.BuildError, match="pip download failed"):
        build.build(site, quiet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node_modules", "site"]
    assert (site / "index.html").read_text() == "the old site"


def test_build_says_what_to_install_without_npm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(build.BuildError, match="npm was not found.*Install Node.js"):
        build.build(tmp_path / "site", quiet=True)
    assert list(tmp_path.iterdir()) == []
