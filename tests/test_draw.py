"""draw: the graph as Graphviz DOT, its numbers, styling and order, clusters per module, size limit, rendering, files."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine
from engine import Value, draw, render as rendering, stepper, topological_order
from engine.draw import FADED, FILL, GraphvizNotFound, RenderError, drawing_order, edge_id, node_ids, write
from engine.formatting import name, number
from engine.render import ENVIRONMENT_VARIABLE, RENDERERS
from example_graphs import classic_chain

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def drawn(output, **options):
    """The DOT source and the DOT name of every Value in output's graph."""
    return draw(output, **options).source, node_ids(topological_order(output)[::-1])


def line_of(source, dot_id):
    """The one DOT statement whose id attribute is dot_id."""
    (line,) = [line for line in source.splitlines() if re.search(rf"\bid={re.escape(dot_id)}\b", line)]
    return line


def label_of(line):
    return re.search(r'label=("[^"]*"|\S+)', line).group(1).strip('"')


# Every renderer this machine has: graphviz-pure always (a dependency), dot where Graphviz is installed.
PRESENT = [renderer for renderer in RENDERERS if rendering.find_program(renderer)] or ["graphviz-pure"]


@pytest.fixture(params=PRESENT)
def renderer(request, monkeypatch):
    """Each renderer present in turn, forced with CHAINRULE_RENDERER."""
    if not rendering.find_program(request.param):
        pytest.fail(f"{request.param} is not installed: 'pip install graphviz-pure' (a dependency of chainrule)")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, request.param)
    return request.param


# -------------------------------------------------------------------- what the picture holds


def test_one_box_per_value_one_oval_per_operation():
    net = classic_chain()
    net.C.backward()
    source, ids = drawn(net.C)
    order = topological_order(net.C)
    boxes = re.findall(r"^\s*n\d+ \[", source, re.MULTILINE)
    ovals = re.findall(r"^\s*n\d+_op \[", source, re.MULTILINE)
    assert len(boxes) == len(order) == 19
    assert len(ovals) == sum(1 for node in order if node.parents) == 11
    box = line_of(source, ids[net.a3])
    assert f"<b>a3</b>" in box and f"data {number(net.a3.data)}" in box and f"grad {number(net.a3.grad)}" in box
    assert "label=sigmoid" in line_of(source, ids[net.a3] + "_op")


def test_edges_carry_the_local_derivative_and_the_gradient_flowing_back():
    net = classic_chain()
    net.C.backward()
    source, ids = drawn(net.C)
    # z3 -> sigmoid: d a3 / d z3 = a3 (1 - a3); flowing back: that times a3.grad.
    local = net.a3.data * (1 - net.a3.data)
    edge = line_of(source, edge_id(ids[net.a3], 0))
    assert edge.strip().startswith(f"{ids[net.z3]} -> {ids[net.a3]}_op")
    assert f'label="∂ {number(local)}\\n↩ {number(local * net.a3.grad)}"' in edge
    assert f"{ids[net.a3]}_op -> {ids[net.a3]}" in source

    plain = draw(net.C, show_grad=False).source
    assert "↩" not in plain and "grad " not in plain
    assert f'label="∂ {number(local)}"' in plain


def test_a_value_used_twice_has_two_edges_and_constants_show_in_op_names():
    x = Value(3.0, label="x")
    y = (x * x) * 2 + 2**x - 1
    source, ids = drawn(y)
    square = next(node for node in topological_order(y) if node.op == "*")
    assert source.count(f"{ids[x]} -> {ids[square]}_op ") == 2
    ops = [label_of(line) for line in source.splitlines() if re.match(r"\s*n\d+_op \[", line)]
    assert sorted(ops) == sorted(["*", "*2", "2**", "+", "-1"])


def test_leaves_parameters_and_output_are_styled_apart_with_a_legend():
    net = classic_chain()
    source, ids = drawn(net.C, params=net.parameters)
    assert f'bgcolor="{FILL["input"]}"' in line_of(source, ids[net.x])
    assert f'bgcolor="{FILL["parameter"]}"' in line_of(source, ids[net.w2])
    assert f'bgcolor="{FILL["output"]}"' in line_of(source, ids[net.C])
    assert f'bgcolor="{FILL["computed"]}"' in line_of(source, ids[net.z2])
    legend = line_of(source, "legend")
    for text in ("input (a leaf)", "parameter", "output", "computed", "d(result)/d(input)"):
        assert text in legend
    assert "parameter" not in line_of(drawn(net.C)[0], "legend")  # only the roles the drawing shows


def test_show_ops_false_writes_each_operation_into_its_box():
    net = classic_chain()
    source, ids = drawn(net.C, show_ops=False)
    assert "_op" not in source
    assert "<td>sigmoid</td>" in line_of(source, ids[net.a3])
    assert f"{ids[net.z3]} -> {ids[net.a3]} " in source


def test_nodes_are_written_in_natural_order_weights_then_bias_neurons_in_turn():
    model = Model()
    xs = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    (out,) = model(xs)
    out.backward()
    order = drawing_order(out)
    assert all(order.index(parent) < order.index(node) for node in order for parent in node.parents)
    labels = [node.label for node in order if node.label]
    # Each neuron's parents in their recorded order (weights, bias, inputs), walked depth first.
    assert labels == ["w50", "w51", "b5", "w00", "w01", "b0", "x0", "x1", "w10", "w11", "b1"]
    source = draw(out, modules=model).source
    boxes = re.findall(r"<b>(\w+)</b>", source)
    assert [b for b in boxes if b.startswith("w1") or b == "b1"] == ["w10", "w11", "b1"]  # in the neuron's cluster
    assert "mclimit" in source  # Graphviz keeps the order it is given


def test_edges_that_carry_no_gradient_are_faded():
    x, w = Value(-2.0, label="x"), Value(3.0, label="w")
    dead = (x * w).relu()  # relu of a negative: nothing flows back
    y = dead + x
    y.backward()
    source, ids = drawn(y)
    faded = " ".join(f'{key}="{value}"' for key, value in FADED.items())
    relu = dead.parents[0]
    assert faded in line_of(source, edge_id(ids[dead], 0))  # relu passes 0 back
    assert faded in line_of(source, edge_id(ids[relu], 0)) and faded in line_of(source, ids[relu] + "_out")
    assert faded not in line_of(source, edge_id(ids[y], 1))  # y = dead + x: x gets 1
    assert "#d1d5db" not in draw(y, show_grad=False).source
    assert "#d1d5db" not in draw(Value(1.0, label="a") * 2).source  # before backward() nothing is faded


def test_an_unlabelled_node_shows_the_name_explain_gives_it():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = (x * w).tanh()
    source, ids = drawn(y)
    assert name(y.parents[0]) == "(x*w)"
    assert "<td>(x*w)</td>" in line_of(source, ids[y.parents[0]])
    assert "<td>tanh((x*w))</td>" in line_of(source, ids[y])
    assert "<td>leaf</td>" in line_of(drawn(Value(1.0) * 2)[0], "n0")


# -------------------------------------------------------------------- the same source on every run

SCRIPT = textwrap.dedent("""
    from engine import draw
    from example_graphs import classic_chain
    net = classic_chain()
    net.C.backward()
    print(draw(net.C).source, end="")
    """)


def test_dot_source_is_byte_identical_across_runs_and_processes():
    def source():
        net = classic_chain()
        net.C.backward()
        return draw(net.C).source

    first = source()
    assert source() == first
    # Another process has other id()s and another hash seed.
    env = {"PYTHONPATH": f"{ROOT}:{TESTS}", "PYTHONHASHSEED": "12345", "PATH": ""}
    other = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert other.stdout == first


# -------------------------------------------------------------------- big graphs


def chain(n):
    y = Value(0.5, label="x")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def test_past_max_nodes_raises_naming_the_count_and_how_to_shrink():
    y = chain(300)  # 300 Values and 299 operations
    with pytest.raises(ValueError) as error:
        draw(y, max_nodes=500)
    message = str(error.value)
    for text in (
        "599 nodes",
        "300 Values and 299 operations",
        "max_nodes=500",
        "show_ops=False",
        "(300 nodes)",
        "max_nodes=599",
    ):
        assert text in message
    assert draw(y, max_nodes=500, show_ops=False).source.count("<td>tanh</td>") == 299
    assert draw(y, max_nodes=599).source


def test_the_default_limit_refuses_a_huge_graph_quickly():
    with pytest.raises(ValueError, match="max_nodes=600"):
        draw(chain(5_000))


# -------------------------------------------------------------------- one cluster per module


class FakeModule:
    """The nn protocol draw relies on: named_modules() (root first, name "") and parameters()."""

    def __init__(self, own=(), **children):
        self.own, self.children = list(own), children

    def named_modules(self):
        stack = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            for child_name, child in reversed(module.children.items()):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def parameters(self):
        return [p for _, module in self.named_modules() for p in module.own]


class Neuron(FakeModule):
    def __init__(self, fan_in, seed):
        super().__init__(
            [Value(0.1 * (seed + i), label=f"w{seed}{i}") for i in range(fan_in)] + [Value(0.01, label=f"b{seed}")]
        )

    def __call__(self, xs):
        return engine.dot(self.own[:-1], xs, bias=self.own[-1]).tanh()


class Layer(FakeModule):
    def __init__(self, fan_in, width, seed):
        super().__init__(**{str(i): Neuron(fan_in, seed + i) for i in range(width)})

    def __call__(self, xs):
        return [neuron(xs) for neuron in self.children.values()]


class Model(FakeModule):
    def __init__(self):
        super().__init__(first=Layer(2, 2, 0), last=Layer(2, 1, 5))

    def __call__(self, xs):
        return self.children["last"](self.children["first"](xs))


def clusters_of(source):
    """{node id: [titles of the clusters around it, outermost first]} from DOT source."""
    around, titles, where = [], {}, {}
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            around.append(line.split()[1])
        elif line == "}" and around:
            around.pop()
        elif line.startswith("graph [") and around:
            titles[around[-1]] = label_of(line)
        elif match := re.match(r"(n\d+(?:_op)?) \[", line):
            where[match.group(1)] = [titles[name] for name in around]
    return where


def test_values_computed_in_a_module_are_clustered_inside_their_layer():
    model = Model()
    xs = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    (out,) = model(xs)
    target = Value(0.5, label="y")
    loss = (out - target) ** 2
    source, ids = drawn(loss, modules=model)
    where = clusters_of(source)

    first_neuron = model.children["first"].children["1"]
    neuron_of_out = ["Model", "last (Layer)", "last.0 (Neuron)"]
    assert where[ids[out]] == neuron_of_out  # tanh follows its dot
    assert where[ids[out.parents[0]]] == neuron_of_out  # the dot uses that neuron's parameters
    assert where[ids[first_neuron.own[0]]] == ["Model", "first (Layer)", "first.1 (Neuron)"]
    assert where[ids[xs[0]]] == [] and where[ids[target]] == []  # inputs belong to no module
    assert where[ids[loss]] == [] and where[ids[loss.parents[0]]] == []  # the loss is outside the model
    assert f'bgcolor="{FILL["parameter"]}"' in line_of(source, ids[first_neuron.own[0]])


def test_modules_must_follow_the_protocol():
    with pytest.raises(TypeError, match="named_modules"):
        draw(Value(1.0) * 2, modules=object())


# -------------------------------------------------------------------- rendering


def test_renders_to_svg_with_stable_ids(renderer, tmp_path):
    net = classic_chain()
    net.C.backward()
    graph = draw(net.C)
    svg = graph.pipe(format="svg", encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    ids = node_ids(topological_order(net.C)[::-1])
    assert f'<g id="{ids[net.a3]}" class="node">' in svg
    assert f'<g id="{edge_id(ids[net.a3], 0)}" class="edge">' in svg
    assert svg.count('class="node"') == 19 + 11 + 1  # boxes, ovals, legend
    assert "sigmoid" in svg and "∂" in svg
    assert graph._repr_mimebundle_()["image/svg+xml"] == svg
    written = graph.render(outfile=tmp_path / "classic.svg")
    assert open(written, encoding="utf-8").read() == svg
    assert [p.name for p in tmp_path.iterdir()] == ["classic.svg"]  # only the file asked for


def test_labels_with_markup_characters_render(renderer):
    x = Value(2.0, label='a<b> & "c" {d|e}\\')
    y = (x * 3).tanh()
    y.backward()
    svg = draw(y).pipe(format="svg", encoding="utf-8")
    assert "a&lt;b&gt; &amp; &quot;c&quot; {d|e}\\" in svg
    assert draw(x).source.count("->") == 0  # a lone leaf is a drawing too


def test_without_a_renderer_the_source_works_and_rendering_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(rendering, "find_program", lambda name: None)  # neither dot nor graphviz-pure
    net = classic_chain()
    graph = draw(net.C)
    assert graph.source.startswith("digraph chainrule {")
    for render in (
        lambda: graph.pipe(format="svg"),
        lambda: graph.render(outfile=tmp_path / "g.png"),
        lambda: write(graph, tmp_path / "g.svg"),
        lambda: stepper(net.C),
    ):
        with pytest.raises(RenderError) as error:  # the stepper says what it was making, then why it failed
            render()
        message = str(error.value)
        assert "\n" not in message and "dot or graphviz-pure was not found" in message
        for advice in ("pip install graphviz-pure", "apt-get install graphviz", "brew install graphviz"):
            assert advice in message
    with pytest.raises(GraphvizNotFound) as error:
        graph.pipe(format="svg")
    assert graph._repr_mimebundle_() == {"text/plain": str(error.value)}
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the DOT source


def test_write_picks_the_format_by_suffix(renderer, tmp_path):
    graph = draw(classic_chain().C)
    assert write(graph, tmp_path / "g.svg") == str(tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert write(graph, tmp_path / "g.png") == str(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    write(graph, tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == graph.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.png", "g.svg"]  # no temporary files
    with pytest.raises(ValueError, match="can draw to .svg, .png, .pdf or .dot files, not .jpeg"):
        write(graph, tmp_path / "g.jpeg")


def test_a_failed_render_writes_nothing_and_leaves_the_dot_file_alone(renderer, monkeypatch, tmp_path):
    graph = draw(classic_chain().C)
    (tmp_path / "notes.dot").write_text("my notes")
    monkeypatch.setattr(type(graph), "source", property(lambda self: "digraph { a -> "))  # dot cannot read it
    with pytest.raises(RenderError, match=f"^{renderer} .*could not render the drawing as svg"):
        write(graph, tmp_path / "notes.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.dot"]
    assert (tmp_path / "notes.dot").read_text() == "my notes"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_new_files_follow_the_umask_and_old_ones_keep_their_mode(umask, mode, tmp_path):
    graph = draw(classic_chain().C)
    previous = os.umask(umask)
    try:
        write(graph, tmp_path / "new.dot")
        (tmp_path / "old.dot").write_text("")
        os.chmod(tmp_path / "old.dot", 0o604)
        write(graph, tmp_path / "old.dot")
    finally:
        os.umask(previous)
    assert (tmp_path / "new.dot").stat().st_mode & 0o777 == mode
    assert (tmp_path / "old.dot").stat().st_mode & 0o777 == 0o604


def test_a_failed_write_removes_its_temporary_file(monkeypatch, tmp_path):
    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write(draw(classic_chain().C), tmp_path / "g.dot")
    assert list(tmp_path.iterdir()) == []


def test_importing_the_engine_does_not_import_graphviz():
    code = "import sys, engine; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"


# -------------------------------------------------------------------- bad input


def test_bad_input_says_what_was_wrong():
    y = Value(1.0) * 2
    with pytest.raises(TypeError, match="draw needs a Value to draw, got float"):
        draw(1.0)
    with pytest.raises(ValueError, match="rankdir.*LR, TB, RL, BT, got 'XY'"):
        draw(y, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes.*positive int, got 0"):
        draw(y, max_nodes=0)
    with pytest.raises(TypeError, match="show_grad.*True or False, got 'yes'"):
        draw(y, show_grad="yes")
    with pytest.raises(TypeError, match="params.*must hold Values, got float"):
        draw(y, params=[1.0])
