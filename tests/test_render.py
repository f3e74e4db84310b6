"""engine.render: which renderer draws, how it fails, and graphviz-pure drawing what dot draws.

graphviz-pure is a port of Graphviz to Rust that pip installs; chainrule uses it where Graphviz's
``dot`` is not installed. The comparison at the bottom renders every kind of drawing the project
makes with both and checks that the pictures hold the same nodes, clusters, edges and texts.
"""

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Value, draw, render as rendering
from engine.render import ENVIRONMENT_VARIABLE, GraphvizNotFound, RenderError, render, renderer
from example_graphs import build, classic_chain
from nn import MLP

ROOT = Path(__file__).resolve().parents[1]


# -------------------------------------------------------------------- choosing the renderer


def test_dot_is_preferred_and_graphviz_pure_is_found_beside_python_without_path(monkeypatch, tmp_path):
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    if shutil.which("dot"):
        assert renderer() == ("dot", shutil.which("dot"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, and the virtual environment not activated
    name, path = renderer()
    assert name == "graphviz-pure" and Path(path).parent == Path(sys.executable).parent
    assert render("digraph { a -> b }", "svg").lstrip().startswith(b"<?xml")


def test_the_environment_variable_forces_a_renderer(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "graphviz-pure")
    assert renderer()[0] == "graphviz-pure"
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "neato")
    with pytest.raises(ValueError, match="CHAINRULE_RENDERER must be one of dot, graphviz-pure .*'neato'"):
        renderer()


def test_without_any_renderer_the_error_says_what_to_install(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(rendering, "find_program", lambda name: None)
    with pytest.raises(GraphvizNotFound) as error:
        render("digraph { a }")
    message = str(error.value)
    assert "\n" not in message and "dot or graphviz-pure was not found" in message
    assert "pip install graphviz-pure" in message and "apt-get install graphviz" in message


@pytest.mark.parametrize("name", ["dot", "graphviz-pure"])
def test_a_failure_names_the_renderer_and_what_it_said_in_one_line(name, monkeypatch, request):
    if name == "dot":
        request.getfixturevalue("graphviz_dot")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, name)
    with pytest.raises(RenderError) as error:
        render("digraph { a -> ")
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{name} (") and "could not render the drawing as svg" in message
    assert "syntax error" in message.lower()
    with pytest.raises(ValueError, match="a format is a name such as 'svg'"):
        render("digraph { a }", "svg -o /tmp/x")


# -------------------------------------------------------------------- in a browser, under Pyodide


class _PageGlobals:
    """What Pyodide's ``js`` module shows of a page: its globals, here perhaps a chainruleRender."""

    def __init__(self, **globals_):
        self.__dict__.update(globals_)


def test_under_pyodide_the_page_renders_through_its_hook(monkeypatch, dot_program):
    asked = []

    def chainrule_render(source, format):  # as the page's viz.renderString(source, {format}) would
        asked.append((source, format))
        drawn = subprocess.run([dot_program, f"-T{format}"], input=source, capture_output=True, text=True)
        return drawn.stdout  # the real picture, from this machine's renderer

    monkeypatch.setitem(sys.modules, "js", _PageGlobals(chainruleRender=chainrule_render))
    monkeypatch.setattr(sys, "platform", "emscripten")
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    graph = draw(y)
    assert renderer() == ("browser", chainrule_render)
    picture = graph.pipe("svg", encoding="utf-8")
    assert asked == [(graph.source, "svg")] and "<svg" in picture and "grad 6" in picture
    assert rendering.BROWSER_HOOK == "chainruleRender"


def test_under_pyodide_without_the_hook_the_error_says_how_to_provide_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "js", _PageGlobals())
    monkeypatch.setattr(sys, "platform", "emscripten")
    with pytest.raises(GraphvizNotFound) as error:
        render("digraph { a }")
    message = str(error.value)
    assert "\n" not in message and "globalThis.chainruleRender(source, format)" in message
    assert "@viz-js/viz" in message


def test_under_pyodide_a_failing_or_wrong_hook_is_a_render_error(monkeypatch):
    def throwing(source, format):
        raise RuntimeError("Error: syntax error in line 1\nnear '->'")  # how a JsException reads

    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setitem(sys.modules, "js", _PageGlobals(chainruleRender=throwing))
    with pytest.raises(RenderError, match=r"^the page's chainruleRender could not render the drawing as svg: "
                       r"Error: syntax error in line 1 near '->'$"):
        render("digraph { a -> ")
    monkeypatch.setitem(sys.modules, "js", _PageGlobals(chainruleRender=lambda source, format: None))
    with pytest.raises(RenderError, match="returned NoneType, not the picture as text"):
        render("digraph { a }")


# -------------------------------------------------------------------- graphviz-pure against dot


def _main_demo():
    """demos/main.py, loaded from its file (demos is not a package)."""
    spec = importlib.util.spec_from_file_location("chainrule_main_demo", ROOT / "demos" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _network(**options):
    """The main demo's MLP(2, [6, 6, 1]) with one point's hinge loss, drawn with a cluster per module."""
    model = MLP(2, [6, 6, 1], init="uniform", seed=0)
    loss = _main_demo().one_example(model, [0.3, -0.2], 1)
    return draw(loss, modules=model, max_nodes=1000, **options)


def _classic(**options):
    net = classic_chain()
    net.C.backward()
    return draw(net.C, params=net.parameters, **options)


def _recipe(recipe):
    def drawing():
        output = build(recipe)[1]
        output.backward()
        return draw(output)

    return drawing


def _markup():
    x = Value(2.0, label='a<b> & "c" {d|e}\\')
    y = (x * 3).tanh()
    y.backward()
    return draw(y)


DRAWINGS = {
    "classic chain": _classic,
    "classic chain, no grads, top to bottom": lambda: _classic(show_grad=False, rankdir="TB"),
    "classic chain, ops in boxes": lambda: _classic(show_ops=False),
    "every operation": _recipe(([0.3, -1.2, 0.8], [(op, 2 + i, i % 3) for i, op in enumerate(
        ["add", "sub", "mul", "square", "tanh", "sigmoid", "sin", "scale", "sum", "dot"])])),
    "one leaf": lambda: draw(Value(1.5, label="x")),
    "markup in labels": _markup,
    "neuron": lambda: draw(_main_demo().neuron()),
    "main demo's network": lambda: _network(show_ops=False),
    "main demo's network, with ops": lambda: _network(),
}


def picture(svg):
    """What a reader sees in an SVG: node, cluster and edge ids, and every text, in order of appearance."""
    groups = dict.fromkeys(("node", "cluster", "edge"), None)
    for kind in groups:
        groups[kind] = sorted(re.findall(rf'<g id="([^"]*)" class="{kind}">', svg))
    texts = sorted(html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    return groups, texts


# What dot draws for each drawing, committed, so that graphviz-pure is checked against it on every
# machine; where dot is installed (always in CI) the reference is made again and must not change.
# Rewrite it with: python tests/test_render.py
REFERENCE = ROOT / "tests" / "render_reference.json"


def pictures_by(renderer_name):
    """{drawing name: its picture} as ``renderer_name`` renders every drawing of DRAWINGS."""
    previous = os.environ.get(ENVIRONMENT_VARIABLE)
    os.environ[ENVIRONMENT_VARIABLE] = renderer_name
    try:
        result = {}
        for name, make in DRAWINGS.items():
            groups, texts = picture(make().pipe(format="svg", encoding="utf-8"))
            result[name] = {**groups, "texts": texts}
        return result
    finally:
        if previous is None:
            del os.environ[ENVIRONMENT_VARIABLE]
        else:
            os.environ[ENVIRONMENT_VARIABLE] = previous


@pytest.mark.parametrize("name", DRAWINGS)
def test_graphviz_pure_draws_what_dot_draws(name, monkeypatch):
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))[name]
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "graphviz-pure")
    groups, texts = picture(DRAWINGS[name]().pipe(format="svg", encoding="utf-8"))
    assert {kind: len(ids) for kind, ids in groups.items()} == {kind: len(reference[kind]) for kind in groups}
    assert groups == {kind: reference[kind] for kind in groups}
    assert texts == reference["texts"]


def test_the_reference_is_what_dot_draws(graphviz_dot):
    assert pictures_by("dot") == json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_a_network_drawn_with_dot_reads_in_natural_order(monkeypatch, graphviz_dot):
    """Weights w.0 .. w.5 then b top to bottom in each neuron's box, neurons 0 .. 5 in each layer."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "dot")
    svg = _network(show_ops=False).pipe(format="svg", encoding="utf-8")
    top = {}  # the y of each box's first text: its label
    for body in re.findall(r'<g id="n\d+" class="node">(.*?)</g>', svg, re.DOTALL):
        y, text = re.search(r'<text[^>]* y="([-\d.]+)"[^>]*>([^<]*)</text>', body).groups()
        top[text] = float(y)

    def from_top(names):
        return sorted(names, key=top.__getitem__)

    neuron = [f"layers.1.neurons.0.w.{i}" for i in range(6)] + ["layers.1.neurons.0.b"]
    assert from_top(neuron) == neuron
    for layer in (0, 1):
        sums = [f"z{layer}_{j}" for j in range(6)]
        assert from_top(sums) == sums


if __name__ == "__main__":  # python tests/test_render.py: write dot's reference pictures
    sys.path.insert(0, str(ROOT / "tests"))
    REFERENCE.write_text(json.dumps(pictures_by("dot"), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")
