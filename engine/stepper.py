"""A page that steps through backward: Previous / Next / Play over the drawn graph.

Each step highlights the node being processed, fills in the grads known so far and prints the step's
arithmetic, ``parent.grad: before + local * grad = after``. The first step says why the output's grad
is 1; the leaves, which pass nothing on, finish together in one last step. Clicking a node shows its
chain rule (``explain``), and in practice mode the learner types each gradient before it is shown.

The page is one self-contained HTML file (the graph as inline SVG that fits its container, the steps
as JSON, a little JavaScript; nothing fetched from a network). Labels are data, never markup: the
JSON escapes every character that could end its <script> element, and the script writes text only.
"""

import json
import math
import os
import re
from collections import Counter
from importlib import resources

from engine.backward import topological_order
from engine.draw import draw, edge_id, flow_text, grad_text, node_ids
from engine.explain import explain
from engine.files import write_atomically
from engine.formatting import name, number, wrap
from engine.render import RenderError
from engine.steps import backward_steps
from engine.value import Value

PLAY_INTERVAL_MS = 1000
UNKNOWN_GRAD, UNKNOWN_FLOW = "grad ?", "↩ ?"
WIDTH = 100  # columns of the step texts, as of explanations
EXPLAINED_PATHS = 12  # paths listed when a node is clicked; the rest are counted and summed
EXPLAINED_PATHS_BIG = 3  # the same, in a graph of more than BIG_GRAPH Values (the page stays small)
BIG_GRAPH = 200
MIN_SCALE = 0.45  # fitting never shrinks text below this (a neuron fits 960 px); wider graphs scroll
TEXT_LIMIT = 20_000  # characters of one embedded text: a 100 kB label is cut, not repeated in full per node
EXPLANATION_LIMIT = 6_000  # characters of one node's explanation (twelve paths take about 3,000)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>chainrule: backward, step by step</title></head>
<body>
{fragment}
</body>
</html>
"""

# JSON inside <script> must not contain "</script>" or "<!--" (they end or derail the element) nor
# U+2028/U+2029 (line ends to old JavaScript); escaped, they read the same to JSON.parse.
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


class Stepper:
    """A stepper page: ``.html`` is the whole file, ``save(path)`` writes it, and Jupyter shows it inline."""

    def __init__(self, fragment):
        self.fragment = fragment

    @property
    def html(self):
        return PAGE.format(fragment=self.fragment)

    def save(self, path):
        """Write the page to ``path`` (open it in any browser); returns the path.

        Written to a temporary file first and then renamed, so the file is never seen half written.
        """
        return write_atomically(os.fspath(path), self.html.encode("utf-8"))

    def _repr_html_(self):
        return self.fragment


def stepper(output, **draw_options):
    """Step through ``output.backward()`` node by node in an interactive drawing.

    The grads of the graph are left as they were (the steps run, and are then undone).

    Args:
        output: the Value to run backward from.
        **draw_options: any of ``draw``'s options but ``show_grad`` (rankdir, max_nodes, modules, ...).

    Returns:
        A Stepper: ``.save("backprop.html")`` writes the page, ``.html`` is its text, and in Jupyter it
        displays inline. Raises RenderError, saying why, if the graph cannot be rendered.

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> page = stepper(y)                        # doctest: +SKIP
    >>> page.save("backprop.html")               # doctest: +SKIP
    'backprop.html'
    """
    if not isinstance(output, Value):
        raise TypeError(f"stepper needs a Value, got {type(output).__name__}: {output!r}")
    order = topological_order(output)
    saved = {node: node.grad for node in order}
    try:
        steps = list(backward_steps(output))
        # Drawn with the final grads, so each box is as wide as the numbers it will show.
        svg = _render(draw(output, show_grad=True, **draw_options), output)
    finally:
        for node, grad in saved.items():
            node.grad = grad
    ids = node_ids(order[::-1])
    data = _steps_data(steps, ids)
    data["explanations"] = _explanations(output, order, ids)
    template = resources.files("engine").joinpath("stepper_template.html").read_text(encoding="utf-8")
    # One pass over the template, so a label that reads "__STEPS__" inside the SVG stays a label.
    parts = {"__SVG__": _fitting(svg), "__STEPS__": script_json(data)}
    fragment = re.sub("__SVG__|__STEPS__", lambda match: parts[match[0]], template)
    return Stepper(fragment)


def script_json(data):
    """``data`` as JSON that is safe inside an HTML <script> element, whatever its strings hold.

    Non-ASCII (U+2028, lone surrogates) is written as \\uXXXX escapes and ``<``, ``>``, ``&`` as
    \\u003c, \\u003e, \\u0026; NaN and infinities, which JSON lacks, must have been made strings.

    >>> script_json({"label": "</script><!--\\u2028"})
    '{"label": "\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u2028"}'
    """
    return json.dumps(data, ensure_ascii=True, allow_nan=False).translate(_SCRIPT_SAFE)


def _render(drawing, output):
    try:
        svg = drawing.pipe(format="svg", encoding="utf-8")
    except (RenderError, UnicodeError) as failure:
        raise RenderError(
            f"stepper: the graph of {_cut(name(output), 80)!r} could not be rendered, so no page was made: {failure}"
        ) from failure
    return svg[svg.index("<svg") :]  # inline SVG needs no XML declaration or doctype


def _fitting(svg):
    """The SVG sized by its container: as wide as the page allows, never wider than drawn (viewBox kept).

    Nor narrower than MIN_SCALE of that: a long chain scrolls sideways rather than shrink to specks.
    """
    tag = re.match(r"<svg\b[^>]*>", svg)[0]
    width = re.search(r'\swidth="([\d.]+)pt"', tag)
    fitted = re.sub(r'\s(width|height)="[^"]*"', "", tag)
    natural, least = f"{width[1]}pt", f"{float(width[1]) * MIN_SCALE:.0f}pt"
    style = f' style="max-width: {natural}; min-width: {least}; --natural-width: {natural}"' if width else ""
    return fitted[:-1] + f' width="100%"{style}>' + svg[len(tag) :]


# -------------------------------------------------------------------- the steps, as the page shows them


def _steps_data(steps, ids):
    """What the page's script needs: per step the nodes it completes, the texts to write, the arithmetic.

    Steps of nodes that pass something back are shown one by one; the leaves come last, together.
    """
    working = [step for step in steps if step.updates]
    rank = {node: position for position, node in enumerate(ids)}  # inputs first, as drawn
    leaves = sorted((step for step in steps if not step.updates), key=lambda step: rank[step.node])
    count = len(working) + (1 if leaves else 0)
    shown = [_working_step(step, position, count, ids) for position, step in enumerate(working)]
    if leaves:
        shown.append(_leaves_step(leaves, count, ids, first=not working))
    return {
        "nodes": list(ids.values()),
        "edges": [edge_id(ids[step.node], update.position) for step in steps for update in step.updates],
        "unknown_grad": UNKNOWN_GRAD,
        "unknown_flow": UNKNOWN_FLOW,
        "play_interval_ms": PLAY_INTERVAL_MS,
        "steps": shown,
    }


def _working_step(step, position, count, ids):
    node = _cut(name(step.node), 200)
    if position == 0:
        head = f"step 1 of {count}: {node}.grad = {number(step.grad)} to start with: {_why_one(node)}.\nPass it back:"
    else:
        head = f"step {position + 1} of {count}: {node}.grad = {number(step.grad)} is complete, pass it back:"
    uses = Counter(update.parent for update in step.updates)  # x*x: say which input is which
    return {
        "done": [{"id": ids[step.node], "grad": grad_text(step.grad)}],
        "text": "\n".join([head] + [f"  {_cut(str(update), TEXT_LIMIT)}" for update in step.updates]),
        "question": f"{node}.grad = {number(step.grad)}. What does {node} pass back to each parent?",
        "updates": [
            {
                "parent": ids[update.parent],
                "edge": edge_id(ids[step.node], update.position),
                "grad": grad_text(update.after),
                "flow": flow_text(update.local, update.grad),
                "to": _cut(name(update.parent), 200)
                + (f" (as input {update.position + 1})" if uses[update.parent] > 1 else ""),
                "expected": _json_number(update.local * update.grad),
                "arithmetic": f"∂ × {node}.grad = {number(update.local)} × {number(update.grad)}"
                f" = {number(update.local * update.grad)}",
            }
            for update in step.updates
        ],
    }


def _leaves_step(leaves, count, ids, first):
    """The last step: every leaf's grad is complete, and a leaf has no parents to pass it to."""
    if first:  # the output is a leaf: its one step is also the first
        node = _cut(name(leaves[0].node), 200)
        text = f"step 1 of 1: {node}.grad = 1: {_why_one(node)}; {node} is a leaf, so there is nothing to pass back"
    else:
        head = f"step {count} of {count}: the leaves now hold their gradients:"
        pieces = [f"{_cut(name(step.node), 200)} = {number(step.grad)}" for step in leaves]
        lines = wrap(pieces, WIDTH, indent=len(head) + 1, joint=",")
        text = f"{head} " + "\n".join(lines)
        text += "\n(a leaf has no parents, so backward ends here)"
    return {
        "done": [{"id": ids[step.node], "grad": grad_text(step.grad)} for step in leaves],
        "text": _cut(text, TEXT_LIMIT),
        "question": "",
        "updates": [],
    }


def _why_one(node):
    return f"d{node}/d{node} = 1, since a nudge to {node} changes {node} by just as much"


def _explanations(output, order, ids):
    """Each node's chain-rule expansion, as ``print(explain(output, node))`` writes it, by node id."""
    max_paths = EXPLAINED_PATHS if len(order) <= BIG_GRAPH else EXPLAINED_PATHS_BIG
    return {ids[node]: _cut(str(explain(output, node, max_paths=max_paths)), EXPLANATION_LIMIT) for node in order}


# -------------------------------------------------------------------- texts and numbers for the page


def _cut(text, limit):
    """``text``, or its start and a note of how much was left out when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def _json_number(x):
    """A float for JSON, which has no NaN or infinities: those go as the strings JavaScript's Number() reads."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
