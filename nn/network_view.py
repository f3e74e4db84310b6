"""A network as a picture that can be read: neurons in columns, each weight a line, every number on hover.

    x0 ( )---------( L0.N0 )---( L1.N0 )---( L2.N0 )         blue line: a positive weight
    x1 ( )---------( L0.N1 )---( L1.N1 )                     orange line: a negative weight
                                                             thick line: a large gradient (or weight)

An op graph (``engine.draw``) shows every multiplication and is right for one neuron; for a network
it is a tangle. Here, as in TensorFlow Playground, the inputs are a column of their own, each layer's
neurons a column of circles, and each weight one line. Hovering over a line or a circle in the SVG
shows its numbers (Graphviz writes each ``tooltip`` as the SVG element's title).

A layer with more than ``MAX_EDGES`` (256) weights is too dense to draw line by line: micrograd's
MLP(2, [16, 16, 1]) has 256 between its hidden layers and is drawn with lines; the digits'
MLP(64, [32, 10]) has 2048 and 320, drawn as heat maps, one coloured cell per weight (a row per
neuron, a column per input). A column of more than ``MAX_COLUMN`` (32) units is one narrow strip of
cells instead of circles, and the layers beside it are heat maps.
"""

import math
from numbers import Real

from engine import Value, enable_grad
from engine.draw import FILL
from engine.render import drawing_class
from engine.formatting import number
from nn.layers import Layer, Sequential

SHOWS = ("grad", "weight")  # what a line's width (and a heat map's colour) shows
MAX_EDGES = 256  # a layer with more weights than this is a heat map
MAX_COLUMN = 32  # a column with more units than this is a strip of cells
POSITIVE, NEGATIVE, ZERO = "#2563eb", "#ea580c", "#9ca3af"  # blue, orange, grey: Playground's colours
OFF = "#e5e7eb"  # a ReLU that is off
MIN_WIDTH, MAX_WIDTH = 0.5, 6.0  # points
NEWLINE = "\\n"  # a line break in a DOT string (a tooltip's too)


def draw_network(model, x, show="grad", max_edges=MAX_EDGES):
    """Draw ``model`` as columns of neurons joined by its weights, after a forward pass on one input ``x``.

    Each line is a weight: its colour is the weight's sign (blue +, orange -), its width grows with
    sqrt(|weight.grad|) (``show="grad"``) or sqrt(|weight|) (``show="weight"``), scaled so the largest
    in the network is 6 pt wide. Each circle shows a neuron's activation; hovering shows its weighted
    sum z = w . x + b, its activation, its bias and b.grad, which is d loss / d z (summed over the
    examples of the last backward). Gradients are read as they are: call ``loss.backward()`` first.
    The model is not changed, except for what a forward pass does (forward hooks run).

    Args:
        model: an ``MLP``, a ``Sequential`` of ``Layer``s, or one ``Layer``.
        x: one input, ``model.nin`` numbers (or Values).
        show: "grad" or "weight": what a line's width and a heat map cell's colour show.
        max_edges: a layer with more weights than this is drawn as a heat map.

    Returns:
        A ``graphviz.Digraph``: it displays as SVG in Jupyter, and ``.pipe(format="svg")`` renders it.

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> model([1.0, -1.0]).backward()
    >>> graph = draw_network(model, [1.0, -1.0])
    >>> "L1.N0.w2" in graph.source        # the line from L0.N2 to L1.N0; graph.pipe("svg") renders it
    True
    """
    layers = _layers(model)
    inputs = _inputs(x, layers[0].nin)
    _check_options(show, max_edges)
    columns = _forward(layers, inputs)  # per layer: [(z, activation) of each neuron]
    # A layer is a heat map when it has too many weights for lines, or when a column it joins is a strip.
    heat = [layer.nin * layer.nout > max_edges or max(layer.nin, layer.nout) > MAX_COLUMN for layer in layers]
    largest = max((abs(_shown(w, show)) for layer, h in zip(layers, heat) if not h for w in _weights(layer)),
                  default=0.0)  # the widest line, in the whole network: widths compare across layers
    flowing = any(w.grad for layer in layers for w in _weights(layer))
    # The more neurons in a column, the more lines fan out of each: wider gaps keep them apart.
    fanning = [max(layer.nin, layer.nout) for layer, h in zip(layers, heat) if not h]
    ranksep = 1.2 + 0.07 * max(fanning) if fanning else 0.6
    graph = drawing_class()(
        name="network",
        graph_attr={"rankdir": "LR", "ranksep": f"{ranksep:.2f}", "nodesep": "0.12", "fontname": "Helvetica",
                    "splines": "line", "outputorder": "edgesfirst", "labelloc": "b", "labeljust": "l",
                    "label": _legend(show, largest, heat, max_edges, flowing)},
        node_attr={"fontname": "Helvetica", "fontsize": "9", "shape": "circle", "fixedsize": "true",
                   "width": "0.72", "style": "filled", "penwidth": "0.8"},
        edge_attr={"arrowhead": "none"},
    )
    _input_column(graph, inputs)
    for i, (layer, units) in enumerate(zip(layers, columns)):
        _neuron_column(graph, i, layer, units, output=i == len(layers) - 1)
        if heat[i]:
            _heat_map(graph, i, layer, show)
        else:
            _edges(graph, i, layer, show, largest)
    return graph


# -------------------------------------------------------------------- what is drawn


def _forward(layers, values):
    """Each layer's (weighted sum, activation) per neuron, by a forward pass that records the graph."""
    columns = []
    with enable_grad():  # recorded, so each activation's parent is the weighted sum it came from
        for layer in layers:
            values = layer(values)
            linear = layer.activation == "linear"
            columns.append([(v.data if linear else v.parents[0].data, v.data) for v in values])
    return columns


def _weights(layer):
    return [w for neuron in layer.neurons for w in neuron.w]


def _shown(weight, show):
    return weight.grad if show == "grad" else weight.data


def _input_id(k, count):
    return "inputs" if count > MAX_COLUMN else f"x{k}"


def _neuron_id(i, j, count):
    return f"L{i}" if count > MAX_COLUMN else f"L{i}_N{j}"


def _column(graph, nodes):
    """Nodes drawn one above another, in the order given: one rank, one column."""
    with graph.subgraph() as column:
        column.attr(rank="same")
        for node_id, attributes in nodes:
            column.node(node_id, **attributes)
        for (above, _), (below, _) in zip(nodes, nodes[1:]):
            column.edge(above, below, style="invis")  # holds the order: N0 at the top, as in the names


def _input_column(graph, inputs):
    count = len(inputs)
    tips = [f"x{k} = {number(v)} (input {k})" for k, v in enumerate(inputs)]
    if count > MAX_COLUMN:
        _column(graph, [("inputs", _strip(f"x<br/>{count}", inputs, tips, FILL["input"]))])
        return
    _column(graph, [(f"x{k}", {"label": f"x{k}{NEWLINE}{number(v)}", "tooltip": tip, "fillcolor": FILL["input"]})
                    for k, (v, tip) in enumerate(zip(inputs, tips))])


def _neuron_column(graph, i, layer, units, output):
    tips = []
    for j, ((z, a), neuron) in enumerate(zip(units, layer.neurons)):
        activation = "" if layer.activation == "linear" else f"{NEWLINE}{layer.activation}(z) = {number(a)}"
        tips.append(
            f"L{i}.N{j} (layers.{i}.neurons.{j}){NEWLINE}z = w . x + b = {number(z)}{activation}"
            f"{NEWLINE}b = {number(neuron.b.data)}{NEWLINE}d loss / d z = b.grad = {number(neuron.b.grad)}"
        )
    fill = FILL["output"] if output else FILL["computed"]
    if layer.nout > MAX_COLUMN:
        caption = f"L{i}<br/>{layer.nout}"
        _column(graph, [(f"L{i}", _strip(caption, [a for _, a in units], tips, fill))])
        return
    nodes = []
    for j, ((z, a), tip) in enumerate(zip(units, tips)):
        off = layer.activation == "relu" and a == 0  # a ReLU that passes nothing on for this input
        nodes.append((f"L{i}_N{j}", {"label": f"L{i}.N{j}{NEWLINE}{number(a)}", "tooltip": tip,
                                     "fillcolor": OFF if off else fill}))
    _column(graph, nodes)


def _edges(graph, i, layer, show, largest):
    for j, neuron in enumerate(layer.neurons):
        head = _neuron_id(i, j, layer.nout)
        for k, w in enumerate(neuron.w):
            tail = _input_id(k, layer.nin) if i == 0 else _neuron_id(i - 1, k, layer.nin)
            size = abs(_shown(w, show))
            width = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * math.sqrt(size / largest) if largest else MIN_WIDTH
            colour = POSITIVE if w.data > 0 else NEGATIVE if w.data < 0 else ZERO
            if size == 0:
                colour += "40"  # faded: nothing flows (or weighs) here
            tip = (f"L{i}.N{j}.w{k} ({w.label or 'a weight'})"
                   f"{NEWLINE}weight {number(w.data)}{NEWLINE}grad {number(w.grad)}")
            # The id names the weight as the tip does, so a page can tell which line was clicked.
            graph.edge(tail, head, id=f"L{i}.N{j}.w{k}", color=colour, penwidth=f"{width:.2f}", tooltip=tip)


def _heat_map(graph, i, layer, show):
    """One cell per weight, a row per neuron and a column per input, coloured by its grad (or value)."""
    values = [[_shown(w, show) for w in neuron.w] for neuron in layer.neurons]
    largest = max(abs(v) for row in values for v in row) or 1.0
    rows = []
    for j, (neuron, row) in enumerate(zip(layer.neurons, values)):
        cells = "".join(
            _cell(v, largest, f"L{i}.N{j}.w{k}: weight {number(w.data)}, grad {number(w.grad)}")
            for k, (w, v) in enumerate(zip(neuron.w, row))
        )
        rows.append(f"<tr>{cells}</tr>")
    caption = (f"L{i}: {layer.nout} x {layer.nin} weights, coloured by {show}<br/>"
               f"(blue +, orange -; strongest |{show}| = {number(largest)})")
    label = (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
             f'<tr><td colspan="{layer.nin}">{caption}</td></tr>{"".join(rows)}</table>>')
    graph.node(f"L{i}_heat", label=label, shape="plain", style="", fixedsize="false")
    # Invisible lines keep the heat map between the columns it joins.
    graph.edge(_input_id(0, layer.nin) if i == 0 else _neuron_id(i - 1, 0, layer.nin), f"L{i}_heat", style="invis")
    graph.edge(f"L{i}_heat", _neuron_id(i, 0, layer.nout), style="invis")


def _cell(value, largest, tip, size=10):
    # href: Graphviz's dot writes a cell's tooltip only for a cell that links somewhere.
    return (f'<td width="{size}" height="{size}" fixedsize="true" bgcolor="{_shade(value, largest)}" '
            f'href="#" tooltip="{tip}"></td>')


def _strip(caption, values, tips, fill):
    """A column too tall for circles: one small cell per unit, shaded by its value, numbers on hover."""
    largest = max(map(abs, values)) or 1.0
    rows = "".join(f"<tr>{_cell(v, largest, tip.replace(NEWLINE, '; '), size=14)}</tr>"
                   for v, tip in zip(values, tips))
    label = (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="0" bgcolor="{fill}">'
             f'<tr><td>{caption}</td></tr>{rows}</table>>')
    return {"label": label, "shape": "plain", "style": "", "fixedsize": "false"}


def _shade(value, largest):
    """White for 0, deepening to blue (positive) or orange (negative) as |value| nears ``largest``."""
    colour = POSITIVE if value > 0 else NEGATIVE
    strength = min(abs(value) / largest, 1.0)
    channels = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in channels)


def _legend(show, largest, heat, max_edges, flowing):
    """The picture's key, written under it."""
    size = f"|{show}|"
    lines = ["circles: each neuron's activation for this input (grey: a ReLU that is off)"]
    if not all(heat):
        lines += [
            f'lines: the weights, <font color="{POSITIVE}">blue</font> positive, '
            f'<font color="{NEGATIVE}">orange</font> negative; faded where {show} is 0',
            f"line width grows with sqrt({size}); the widest is {size} = {number(largest)}",
        ]
    if any(heat):
        lines.append(f"heat maps: layers with more than {max_edges} weights, a cell per weight")
    lines.append("hover over a line, a circle or a cell for its numbers")
    if not flowing:
        lines.append("no gradients yet: call loss.backward() first")
    rows = "".join(f'<tr><td align="left">{line}</td></tr>' for line in lines)
    return f'<<table border="0" cellspacing="1">{rows}</table>>'


# -------------------------------------------------------------------- checking input


def _layers(model):
    if isinstance(model, Layer):
        return [model]
    if not isinstance(model, Sequential):
        raise TypeError(
            f"draw_network draws an nn model (an MLP, a Sequential of Layers or a Layer), got "
            f"{type(model).__name__}: {model!r}; to draw a Value's graph, use engine.draw"
        )
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"draw_network draws networks made of Layers, but model.layers[{i}] is "
                f"{type(layer).__name__}: {layer!r}"
            )
    if not model.layers:
        raise ValueError("draw_network: the model has no layers to draw")
    return model.layers


def _inputs(x, nin):
    """``x`` as a list of floats, checked against the model's ``nin``."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(f"draw_network needs x as a sequence of {nin} numbers, got {type(x).__name__}: {x!r}")
    if len(x) != nin:
        raise ValueError(f"draw_network: the model takes {nin} inputs, but x has {len(x)}: {x!r}")
    for k, xk in enumerate(x):
        if isinstance(xk, bool) or not isinstance(xk, (Real, Value)):
            raise TypeError(f"draw_network needs numbers in x, but x[{k}] is {type(xk).__name__}: {xk!r}")
    return [float(xk.data if isinstance(xk, Value) else xk) for xk in x]


def _check_options(show, max_edges):
    if show not in SHOWS:
        raise ValueError(f"draw_network(show=...) must be one of {', '.join(map(repr, SHOWS))}, got {show!r}")
    if isinstance(max_edges, bool) or not isinstance(max_edges, int) or max_edges < 0:
        raise ValueError(f"draw_network(max_edges=...) must be a whole number of weights, got {max_edges!r}")
