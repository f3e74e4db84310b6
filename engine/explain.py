"""Why does ``wrt.grad`` have the value it has? The chain rule, path by path, with numbers.

    d output / d wrt = sum, over every path wrt -> ... -> output, of the product of the local
                       derivatives along it

A Value used twice (``x*x``) gives two paths: a quantity that reaches the output by several routes
gets the derivatives along them added. Paths multiply fast (a chain of ``y = y + y`` has 2^n of
them), so only the first ``max_paths`` are listed; how many the others are, and what they add up
to, come from dynamic programming over the graph, never from enumerating them.
"""

import math
from dataclasses import dataclass
from functools import partial

from engine.backward import pass_back, topological_order
from engine.formatting import name, number, wrap
from engine.value import Value

SHOWN_FACTORS = 9  # a longer path is written with "..." in the middle; .paths keeps every factor
WIDTH = 100  # the printed explanation fits this many columns: a terminal, a page, a diff


@dataclass(frozen=True)
class Path:
    """One route from the output down to ``wrt``.

    ``nodes`` run from the output to ``wrt``; ``factors[i]`` is the local derivative
    d nodes[i] / d nodes[i+1] on the edge between them, and ``product`` multiplies them all.
    """

    nodes: tuple
    factors: tuple
    product: float


@dataclass(frozen=True, repr=False)
class Explanation:
    """The chain rule for d output / d wrt: the listed ``paths``, the unlisted rest, and the ``total``.

    ``total`` is computed exactly as ``backward()`` computes the gradient (same sums, same order), so
    it is the number ``wrt.grad`` gets from ``output.backward()`` after ``zero_grad()``.
    """

    output: Value
    wrt: Value
    paths: tuple
    count: int  # how many paths there are in all
    rest_total: float  # the sum of the products of the paths not listed
    total: float

    @property
    def rest_count(self):
        return self.count - len(self.paths)

    def __repr__(self):
        return f"<Explanation d{name(self.output)}/d{name(self.wrt)} = {number(self.total)}, {_paths(self.count)}>"

    def __str__(self):
        legend = {}  # short name -> long name, for each nn parameter written short
        lead = f"d{name(self.output, legend=legend)}/d{name(self.wrt, legend=legend)} = "
        indent = " " * (len(lead) - 2)
        notes = [f"path {position} of {self.count}" for position in range(1, len(self.paths) + 1)]
        if self.rest_count:
            notes.append(f"paths {len(self.paths) + 1} to {self.count}")
        # Every path's factors start in the same column; a path too long for a line goes on under it.
        # The numbers' lines leave room at the right for the notes.
        limit = WIDTH - 4 - max(map(len, notes), default=0)
        rows = []  # (lines, note at the right of the last one)
        for position, path in enumerate(self.paths, start=1):
            symbols, numbers = _factor_texts(path, partial(_text_fraction, legend=legend), number)
            numbers[-1] += f" = {number(path.product)}"
            start = lead + "  " if position == 1 else indent + "+   "
            rows.append((_wrapped(start, symbols, WIDTH), ""))
            rows.append((_wrapped(indent + "  = ", numbers, limit), notes[position - 1]))
        if self.rest_count:
            more = _paths(self.rest_count, "more " if self.paths else "")
            text = f"{more}, not listed, add up to {number(self.rest_total)}"
            rows.append(([f"{indent}+ {text}" if self.paths else lead + text], notes[-1]))
        width = min(max(len(line) for lines, _ in rows for line in lines), limit) + 4
        out = []
        for lines, note in rows:
            out += lines[:-1] + [f"{lines[-1]:<{width}}{note}".rstrip()]
        out.append(f"{indent}= {number(self.total)}  (sum over {_paths(self.count)})")
        out += [f"{'where' if i == 0 else '  and'} {short} is {long}" for i, (short, long) in enumerate(legend.items())]
        return "\n".join(out)

    def _repr_latex_(self):
        """The same sum, typeset as a textbook writes it (Jupyter renders it with MathJax)."""
        legend = {}
        derivative = _latex_fraction(self.output, self.wrt, legend)
        lines = []
        for position, path in enumerate(self.paths, start=1):
            fractions, numbers = _factor_texts(path, partial(_latex_fraction, legend=legend), _latex_number, r"\cdots")
            start = derivative + " &= " if position == 1 else "&+ "
            lines.append(start + r" \cdot ".join(fractions))
            numbers = r" \cdot ".join(numbers)
            lines.append(rf"&= {numbers} = {_latex_number(path.product)} && \text{{path {position} of {self.count}}}")
        if self.rest_count:
            start = derivative + " &= " if not self.paths else "&+ "
            more = _paths(self.rest_count, "more " if self.paths else "")
            lines.append(rf"{start}{_latex_number(self.rest_total)} && \text{{{more}, not listed}}")
        lines.append(rf"&= {_latex_number(self.total)} && \text{{sum over {_paths(self.count)}}}")
        for i, (short, long) in enumerate(legend.items()):
            word = "where" if i == 0 else "and"
            lines.append(rf"&\text{{{word} }} {_latex_text(short)} \text{{ is }} {_latex_text(long)}")
        return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def explain(output, wrt, max_paths=20):
    """Explain d output / d wrt by the chain rule: one product of local derivatives per path, then their sum.

    Needs no prior ``backward()`` and changes no grad: the local derivatives were recorded in the
    forward pass.

    Args:
        output: the Value being differentiated (a loss, say).
        wrt: a Value in output's graph (a weight, an input, or an intermediate result).
        max_paths: list at most this many paths; the others are counted and summed.

    Returns:
        An Explanation: ``.paths`` (each with ``.nodes``, ``.factors``, ``.product``), ``.count``,
        ``.total``; it prints as the textbook formula and renders as LaTeX in Jupyter.

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> e = explain(y, x)
    >>> [path.product for path in e.paths], e.total     # x*x: two paths, dy/dx = x + x
    ([3.0, 3.0], 6.0)
    """
    _check_arguments(output, wrt, max_paths)
    order = topological_order(output)
    if wrt not in set(order):
        raise ValueError(
            f"explain: wrt ({name(wrt)}, data {wrt.data!r}) is not in the graph of the output ({name(output)})"
        )
    count_below, slope = _paths_down_to(wrt, order)
    paths, pending = _first_paths(output, wrt, count_below, max_paths)
    # Each pending branch stands for every path through it: its prefix times all ways on to wrt.
    rest_total = math.fsum(product * slope[node] for node, product, _ in pending)
    return Explanation(output, wrt, tuple(paths), count_below[output], rest_total, _backward_gradient(order, wrt))


def _paths_down_to(wrt, order):
    """For each node above wrt: how many paths lead from it down to wrt, and d node / d wrt summed over them.

    One pass, inputs first (forward mode): a node's numbers add up its parents' numbers, edge by edge.
    """
    count_below, slope = {wrt: 1}, {wrt: 1.0}
    for node in reversed(order):
        if node is wrt:
            continue
        count, total = 0, 0.0
        for parent, local in zip(node.parents, node.local_grads):
            if parent in count_below:
                count += count_below[parent]
                total += local * slope[parent]
        if count:
            count_below[node], slope[node] = count, total
    return count_below, slope


def _first_paths(output, wrt, count_below, max_paths):
    """The first max_paths paths in depth-first order (parents in their recorded order), with an explicit stack.

    A stack entry is (node, product of the factors from the output down to it, the way there); the
    way is a linked list (previous way, node, factor), so a branch costs one tuple, not a copy of
    its path. Returns the listed paths and the entries still on the stack when the listing stopped.
    """
    paths = []
    stack = [(output, 1.0, None)]
    while stack and len(paths) < max_paths:
        node, product, way = stack.pop()
        if node is wrt:
            paths.append(_unwind(way, wrt, product))
            continue
        edges = [(p, local) for p, local in zip(node.parents, node.local_grads) if p in count_below]
        for parent, local in reversed(edges):  # reversed: the first parent comes off the stack first
            stack.append((parent, product * local, (way, node, local)))
    return paths, stack


def _unwind(way, wrt, product):
    nodes, factors = [wrt], []
    while way is not None:
        way, node, factor = way
        nodes.append(node)
        factors.append(factor)
    return Path(tuple(reversed(nodes)), tuple(reversed(factors)), product)


def _backward_gradient(order, wrt):
    """d output / d wrt exactly as ``backward()`` computes it (its start, its rule, its order), grads restored after."""
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        order[0].grad = 1.0
        for node in order:
            pass_back(node)
        return wrt.grad
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad


# -------------------------------------------------------------------- writing it down


def _factor_texts(path, fraction, write_number, dots="..."):
    """A path's factors twice, as derivatives ('da/db', 'db/dc') and as numbers ('(0.5)', '(2)')."""
    # Elided before naming: a name written nowhere must not reach the legend.
    edges = _elide(list(zip(path.nodes, path.nodes[1:])), dots)
    symbols = [dots if edge == dots else fraction(*edge) for edge in edges]
    numbers = _elide([f"({write_number(f)})" for f in path.factors], dots)
    return symbols or ["1"], numbers or ["1"]


def _elide(factors, dots):
    """At most SHOWN_FACTORS of a path's factors: the first few and the last few, with dots between."""
    if len(factors) <= SHOWN_FACTORS:
        return factors
    keep = SHOWN_FACTORS // 2
    return factors[:keep] + [dots] + factors[-keep:]


def _wrapped(start, factors, limit):
    """``start`` and then the factors multiplied, in lines up to column ``limit``, later ones under the first factor."""
    first, *rest = wrap(factors, limit, len(start))
    return [start + first, *rest]


def _text_fraction(a, b, legend):
    return f"d{_grouped(name(a, legend=legend))}/d{_grouped(name(b, legend=legend))}"


def _grouped(text):
    """A name with spaces in brackets, so that d(x1*w1 + x2*w2)/dx1 reads as one derivative."""
    return f"({text})" if " " in text and not (text.startswith("(") and text.endswith(")")) else text


def _paths(count, adjective=""):
    return f"{count} {adjective}path" + ("" if count == 1 else "s")


_LATEX_SPECIAL = {c: "\\" + c for c in "#$%&_{}"} | {"\\": r"\backslash ", "^": r"\wedge ", "~": r"\sim "}


def _latex_text(text):
    return r"\mathtt{" + "".join(_LATEX_SPECIAL.get(c, c) for c in text) + "}"


def _latex_fraction(a, b, legend):
    return rf"\frac{{\partial {_latex_text(name(a, legend=legend))}}}{{\partial {_latex_text(name(b, legend=legend))}}}"


def _latex_number(x):
    return r"\mathrm{" + number(x) + "}"


def _check_arguments(output, wrt, max_paths):
    for argument, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Value):
            raise TypeError(f"explain({argument}=...) must be a Value, got {type(value).__name__}: {value!r}")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int):
        raise TypeError(f"explain(max_paths=...) must be an int, got {type(max_paths).__name__}: {max_paths!r}")
    if max_paths < 0:
        raise ValueError(f"explain(max_paths=...) must be 0 or more, got {max_paths}")
