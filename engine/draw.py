"""Draw a Value's graph with Graphviz: every number, every local derivative, every gradient.

    [x | data 3 | grad 6] ==(∂ 3, ↩ 3)==> (*) --> [y | data 9 | grad 1]        y = x * x, two edges

Each Value is a box (label, data, grad) and each operation a small oval between its inputs and its
result. The edge from an input to an operation carries the local derivative d(result)/d(input)
recorded in the forward pass (∂) and, with ``show_grad``, the gradient flowing back along it
(↩ = ∂ × result.grad: the term backward adds to the input's grad).

Nodes are named n0, n1, ... in topological order (inputs first), never by ``id()``, so a graph gives
the same DOT source on every run. They are written in the order a reader expects (a neuron's
w.0 .. w.n then b, neurons 0 .. n), the order dot keeps them in, top to bottom. The graphviz package
is imported only here, when something is drawn; ``engine.render`` turns the DOT source into a picture.
"""

import html
import os
import unicodedata

from engine import render as rendering
from engine.backward import topological_order
from engine.clusters import clusters as make_clusters, module_of_each_node, nest, parameter_owners
from engine.files import write_atomically
from engine.formatting import name, number
from engine.render import GraphvizNotFound, RenderError, drawing_class  # noqa: F401 (callers catch these from here)
from engine.value import Value

# A Value's box is filled by the role it plays; the legend lists the roles a drawing shows.
FILL = {"input": "#dbeafe", "parameter": "#fde68a", "output": "#bbf7d0", "computed": "#ffffff"}
LEGEND = {"input": "input (a leaf)", "parameter": "parameter", "output": "output", "computed": "computed"}
OPERATION_STYLE = {"shape": "ellipse", "fontsize": "10", "height": "0.3", "margin": "0.04,0.02"}
SWATCH = 'border="1" width="14" height="14" fixedsize="true"'
FADED = {"color": "#d1d5db", "fontcolor": "#9ca3af"}  # an edge along which no gradient flows
RANKDIRS = ("LR", "TB", "RL", "BT")
RENDERED = (".svg", ".png", ".pdf")  # the picture formats write() renders (graphviz-pure makes no .pdf)


def draw(output, rankdir="LR", show_grad=True, max_nodes=600, modules=None, params=None, show_ops=True):
    """Draw the graph that computed ``output``, with data, grads and the local derivative on every edge.

    Args:
        output: the Value whose graph to draw (call ``output.backward()`` first to see gradients).
        rankdir: "LR" (inputs on the left), "TB" (inputs on top), "RL" or "BT".
        show_grad: show each Value's grad, and on each edge the gradient flowing back along it.
        max_nodes: raise ValueError rather than draw more nodes than this (dot would take long).
        modules: an ``nn`` model: anything whose ``named_modules()`` yields ``(dotted_name, module)``
            pairs, root first, each module with ``parameters()``. Its parameters are styled as such and
            the Values computed inside each module are boxed together, neurons inside their layer.
        params: Values to style as parameters (default: the parameters of ``modules``).
        show_ops: draw each operation as its own small node; False writes it into its result's box,
            which halves the number of nodes.

    Returns:
        A ``graphviz.Digraph``: it displays as SVG in Jupyter, ``.source`` is its DOT text, and
        ``.render()`` / ``.pipe(format="svg")`` render it (with ``engine.render.renderer()``).

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> y.backward()
    >>> draw(y).source.count("n0 -> n1_op")     # x*x: two edges from x into the multiplication
    2
    """
    import graphviz  # here, not at the top: the engine imports nothing outside the standard library

    _check_arguments(output, rankdir, show_grad, max_nodes, show_ops)
    order = topological_order(output)[::-1]  # inputs first, so the numbering follows the computation
    _check_size(order, max_nodes, show_ops)
    ids = node_ids(order)
    owner, module_names = parameter_owners(modules) if modules is not None else ({}, {})
    parameters = set(owner) if params is None else _as_value_set(params)
    where = module_of_each_node(order, owner, module_names)

    graph = drawing_class()(
        name="chainrule",
        # mclimit: few crossing-minimisation passes, so Graphviz keeps the natural order nodes are written in.
        graph_attr={"rankdir": rankdir, "mclimit": "0.01"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    clusters = make_clusters(graphviz, where, module_names)
    roles, natural = set(), drawing_order(output)
    for node in natural:
        role = _role(node, output, parameters)
        roles.add(role)
        box = clusters.get(where[node], graph)
        box.node(ids[node], _value_label(node, role, show_grad, show_op=not show_ops), id=ids[node], shape="plain")
        if show_ops and node.parents:
            box.node(op_id(ids[node]), graphviz.escape(node.op), id=op_id(ids[node]), **OPERATION_STYLE)
    nest(graph, clusters, module_names)
    graph.node("legend", _legend(roles, show_grad), id="legend", shape="plain")
    fade = show_grad and output.grad != 0  # before backward() no gradient flows anywhere: fade nothing
    for node in natural:
        head = op_id(ids[node]) if show_ops else ids[node]
        for position, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            label = edge_label(local, node.grad, show_grad)
            faded = FADED if fade and local * node.grad == 0 else {}
            graph.edge(ids[parent], head, label=label, id=edge_id(ids[node], position), **faded)
        if show_ops and node.parents:
            faded = FADED if fade and node.grad == 0 else {}
            graph.edge(head, ids[node], id=ids[node] + "_out", **faded)
    return graph


def write(graph, path):
    """Write a drawing to ``path``, in the format its suffix names: .svg, .png or .pdf (rendered), or .dot.

    Only ``path`` is written, atomically, with the user's umask: ``check_path`` first says if it cannot
    be, and if rendering fails, RenderError says why and no file is written (never the DOT source in
    place of the picture). graphviz-pure renders .svg and .png; .pdf needs Graphviz's ``dot``.

    Returns:
        the path written.

    >>> from engine import Value
    >>> write(draw(Value(2.0) * 3), "graph.svg")        # doctest: +SKIP
    'graph.svg'
    """
    path = os.fspath(path)
    suffix = check_path(path)
    if suffix == ".dot":
        return write_atomically(path, graph.source.encode("utf-8"))
    return write_atomically(path, rendering.render(graph.source, suffix[1:]))


def check_path(path):
    """Raise an error naming ``path`` if ``write`` could not write a drawing there; else return its suffix.

    The suffix must name a format write() makes, ``path`` must not be a folder, and its folder must
    exist and be writable. write() checks this before rendering, which can take a while, and the CLI
    before it computes anything; without it the error would come last and name the temporary file.

    Returns:
        the suffix, lower-cased: ".svg", ".png", ".pdf" or ".dot".

    >>> check_path("graph.SVG")
    '.svg'
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1]
    if suffix.lower() not in RENDERED + (".dot",):
        raise ValueError(
            f"can draw to {', '.join(RENDERED)} or .dot files, not {suffix or 'a name without a suffix'}: {path!r}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot draw to {path!r}: it is a folder; name a file in it, such as graph{suffix}")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot draw to {path!r}: the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):  # as the kernel will decide (root may write anywhere)
        raise PermissionError(f"cannot write {path!r}: the folder {folder!r} is not writable")
    return suffix.lower()


def drawing_order(output):
    """Every Value of ``output``'s graph, each after its parents, in the order a reader expects.

    A depth-first walk that visits a node's parents in their recorded order and lists each node after
    them: a neuron's w.0 .. w.n then b, then its sum; neuron 0's Values before neuron 1's. dot places
    the nodes of a column in the order they are written (with few crossing-minimisation passes), so
    the picture reads in that order.
    (The reversed topological order lists leaves last and a node's leaves in reverse: w.1, w.0, b.)
    """
    order, seen, stack = [], {output}, [(output, 0)]  # (node, how many of its parents are walked)
    while stack:
        node, walked = stack.pop()
        if walked == len(node.parents):
            order.append(node)
            continue
        stack.append((node, walked + 1))
        parent = node.parents[walked]
        if parent not in seen:
            seen.add(parent)
            stack.append((parent, 0))
    return order


def node_ids(order):
    """The DOT name of each Value of ``order``: n0, n1, ... by position (never ``id()``: stable across runs)."""
    return {node: f"n{position}" for position, node in enumerate(order)}


def op_id(node_id):
    """The DOT name of the small node for the operation that computed node ``node_id``."""
    return f"{node_id}_op"


def edge_id(node_id, position):
    """The DOT name of the edge into node ``node_id`` from its parent number ``position``."""
    return f"{node_id}_e{position}"


# -------------------------------------------------------------------- text inside the picture
# The stepper writes the same texts into the rendered SVG as backward proceeds, so they live here once.


def grad_text(grad):
    return f"grad {number(grad)}"


def flow_text(local, grad):
    """The gradient flowing back along an edge: the term ``local * grad`` that backward adds to the input."""
    return f"↩ {number(local * grad)}"


def edge_label(local, grad, show_grad):
    derivative = f"∂ {number(local)}"
    return f"{derivative}\\n{flow_text(local, grad)}" if show_grad else derivative  # \n: DOT's line break


def _text(text, longest=200):
    """``text`` as Graphviz can take it in an HTML-like label: escaped, control characters and lone
    surrogates written visibly (dot refuses them), and at most ``longest`` characters."""
    if len(text) > longest:
        text = text[: longest - 1] + "…"
    text = "".join(repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)
    return html.escape(text)


def _value_label(node, role, show_grad, show_op):
    """An HTML-like label: one row of cells [label] [op] data [grad]; grad last, where the stepper finds it."""
    # An unlabelled node shows the name explain() gives it (w*x), so the picture and the text agree.
    cells = [f"<b>{_text(node.label)}</b>" if node.label else _text(name(node))]
    if show_op and node.op:
        cells.append(_text(node.op))
    cells.append(f"data {number(node.data)}")
    if show_grad:
        cells.append(grad_text(node.grad))
    row = "".join(f"<td>{cell}</td>" for cell in cells)
    table = f'border="0" cellborder="1" cellspacing="0" cellpadding="4" bgcolor="{FILL[role]}"'
    return f"<<table {table}><tr>{row}</tr></table>>"


def _legend(roles, show_grad):
    rows = [
        f'<tr><td bgcolor="{FILL[role]}" {SWATCH}></td><td align="left">{LEGEND[role]}</td></tr>'
        for role in FILL
        if role in roles
    ]
    edge = 'edge: ∂ = d(result)/d(input)<br align="left"/>'
    if show_grad:
        edge += '↩ = ∂ × result.grad, flowing back<br align="left"/>'
    rows.append(f'<tr><td colspan="2" align="left">{edge}</td></tr>')
    return f'<<table border="0" cellspacing="2"><tr><td colspan="2"><b>legend</b></td></tr>{"".join(rows)}</table>>'


def _role(node, output, parameters):
    if node is output:
        return "output"
    if node in parameters:
        return "parameter"
    return "computed" if node.parents else "input"


# -------------------------------------------------------------------- checking input


def _check_arguments(output, rankdir, show_grad, max_nodes, show_ops):
    if not isinstance(output, Value):
        raise TypeError(f"draw needs a Value to draw, got {type(output).__name__}: {output!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw(rankdir=...) must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw(max_nodes=...) must be a positive int, got {max_nodes!r}")
    for flag, value in (("show_grad", show_grad), ("show_ops", show_ops)):
        if not isinstance(value, bool):
            raise TypeError(f"draw({flag}=...) must be True or False, got {value!r}")


def _check_size(order, max_nodes, show_ops):
    operations = sum(1 for node in order if node.parents) if show_ops else 0
    count = len(order) + operations
    if count <= max_nodes:
        return
    fold = f", pass show_ops=False to write each operation into its result's box ({len(order)} nodes)"
    raise ValueError(
        f"draw: this graph would take {count} nodes ({len(order)} Values and {operations} operations), "
        f"more than max_nodes={max_nodes}. To shrink the picture, draw a part of it (one neuron's output, "
        f"one data point's loss){fold if show_ops else ''}, or pass max_nodes={count} to draw it all "
        "(Graphviz may take a while)."
    )


def _as_value_set(values):
    values = set(values)
    for value in values:
        if not isinstance(value, Value):
            raise TypeError(f"draw(params=...) must hold Values, got {type(value).__name__}: {value!r}")
    return values
