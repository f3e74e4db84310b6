"""A page that steps through backward: Previous / Next / Play over the drawn graph.

Each step highlights the node being processed, fills in the grads known so far and prints the step's
arithmetic, ``parent.grad: before + local * grad = after``. The page is one self-contained HTML file
(the graph as inline SVG, the steps as JSON, a little JavaScript; nothing fetched from a network).
"""

import json
import os
from importlib import resources

from engine.backward import topological_order
from engine.draw import draw, edge_id, flow_text, grad_text, node_ids
from engine.files import write_atomically
from engine.steps import backward_steps
from engine.value import Value

PLAY_INTERVAL_MS = 1000
UNKNOWN_GRAD, UNKNOWN_FLOW = "grad ?", "↩ ?"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>chainrule: backward, step by step</title></head>
<body>
{fragment}
</body>
</html>
"""


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
        displays inline. Rendering needs Graphviz's ``dot`` program.

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
        drawing = draw(output, show_grad=True, **draw_options)
        svg = drawing.pipe(format="svg", encoding="utf-8")
    finally:
        for node, grad in saved.items():
            node.grad = grad
    ids = node_ids(order[::-1])
    data = _steps_data(steps, ids)
    template = resources.files("engine").joinpath("stepper_template.html").read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]  # inline SVG needs no XML declaration or doctype
    steps_json = json.dumps(data).replace("</", "<\\/")  # "</" would end the <script> element early
    fragment = template.replace("__SVG__", svg).replace("__STEPS__", steps_json)
    return Stepper(fragment)


def _steps_data(steps, ids):
    """What the page's script needs: per step the node, the texts to write into the SVG, and the arithmetic."""
    return {
        "nodes": list(ids.values()),
        "edges": [edge_id(ids[step.node], update.position) for step in steps for update in step.updates],
        "unknown_grad": UNKNOWN_GRAD,
        "unknown_flow": UNKNOWN_FLOW,
        "play_interval_ms": PLAY_INTERVAL_MS,
        "steps": [
            {
                "node": ids[step.node],
                "grad": grad_text(step.grad),
                "text": str(step),
                "updates": [
                    {
                        "parent": ids[update.parent],
                        "edge": edge_id(ids[step.node], update.position),
                        "grad": grad_text(update.after),
                        "flow": flow_text(update.local, update.grad),
                    }
                    for update in step.updates
                ],
            }
            for step in steps
        ],
    }
