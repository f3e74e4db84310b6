"""Check backward against finite differences: the one gradient checker, itself tested.

For each input x_i, the numeric derivative is the central difference

    (f(..., x_i + eps, ...) - f(..., x_i - eps, ...)) / (2 eps)

whose error shrinks like eps^2, computed in float64. An input passes when
``|analytic - numeric| <= atol + rtol * |numeric|``.
"""

import html
import inspect
import math

from engine.functional import value_and_grad
from engine.modes import no_grad
from engine.value import Value, data_of


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_on_failure=True)``; the message holds the report's table."""


class GradcheckReport:
    """The result of ``gradcheck``: one row per input; truthy only if every row passes.

    Attributes:
        rows: a list of ``GradcheckRow`` (name, value, analytic, numeric, error, passed).
        eps, atol, rtol: the settings used.
    """

    def __init__(self, rows, eps, atol, rtol):
        self.rows, self.eps, self.atol, self.rtol = rows, eps, atol, rtol

    @property
    def passed(self):
        return all(row.passed for row in self.rows)

    def __bool__(self):
        return self.passed

    def __str__(self):
        headers = ("input", "value", "analytic", "numeric", "error", "pass")
        lines = [headers] + [row.cells() for row in self.rows]
        widths = [max(len(line[k]) for line in lines) for k in range(len(headers))]
        table = ["  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines]
        table.insert(1, "  ".join("-" * w for w in widths))
        verdict = "all inputs pass" if self.passed else f"{sum(not r.passed for r in self.rows)} input(s) FAIL"
        return "\n".join(table) + f"\n{verdict} (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"

    def __repr__(self):
        return f"<GradcheckReport passed={self.passed}>\n{self}"

    def _repr_html_(self):
        """A table for Jupyter; failing rows in red."""
        head = "".join(f"<th>{h}</th>" for h in ("input", "value", "analytic", "numeric", "error", "pass"))
        body = "".join(
            f"<tr style=\"{'' if row.passed else 'color:#b00020;font-weight:bold'}\">"
            + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.cells())
            + "</tr>"
            for row in self.rows
        )
        caption = html.escape(str(self).rsplit("\n", 1)[1])
        return f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class GradcheckRow:
    """One input's comparison of the analytic (backward) and numeric (finite difference) derivative."""

    def __init__(self, name, value, analytic, numeric, atol, rtol):
        self.name, self.value, self.analytic, self.numeric = name, value, analytic, numeric
        self.error = abs(analytic - numeric)
        # Written so that nan anywhere fails (comparisons with nan are False).
        self.passed = self.error <= atol + rtol * abs(numeric)

    def cells(self):
        return (
            self.name,
            f"{self.value:.6g}",
            f"{self.analytic:.10g}",
            f"{self.numeric:.10g}",
            f"{self.error:.2e}",
            "yes" if self.passed else "NO",
        )


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, raise_on_failure=False):
    """Compare ``backward()``'s gradient of ``f`` with central differences, for every input.

    Args:
        f: a function of Values returning a Value.
        *inputs: the point to check at (numbers or Values; only their data is used).
        eps: the finite-difference step.
        atol, rtol: an input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        raise_on_failure: raise ``GradcheckError`` (with the table) instead of returning a failing report.

    Returns:
        A ``GradcheckReport``: prints as a table, renders as HTML in notebooks, truthy only if all pass.

    >>> from engine import gradcheck
    >>> report = gradcheck(lambda x, y: (x * y).tanh(), 0.5, -1.5)
    >>> bool(report)
    True
    """
    if not callable(f):
        raise TypeError(f"gradcheck needs a callable f, got {type(f).__name__}")
    if not inputs:
        raise ValueError("gradcheck needs at least one input to check at, e.g. gradcheck(f, 0.5)")
    for name, setting in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not (isinstance(setting, (int, float)) and setting >= 0 and math.isfinite(setting)):
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {setting!r}")
    if eps == 0:
        raise ValueError("gradcheck: eps must be > 0")
    point = [data_of(x, f"input {i}") for i, x in enumerate(inputs)]
    _, analytic = value_and_grad(f, argnums=tuple(range(len(point))))(*point)
    names = _input_names(f, len(point))
    rows = [
        GradcheckRow(names[i], point[i], analytic[i], _central_difference(f, point, i, eps), atol, rtol)
        for i in range(len(point))
    ]
    report = GradcheckReport(rows, eps, atol, rtol)
    if raise_on_failure and not report:
        raise GradcheckError(f"gradient check failed:\n{report}")
    return report


def _central_difference(f, point, i, eps):
    def f_at(shift):
        args = [Value(x) for x in point]
        args[i] = Value(point[i] + shift)
        with no_grad():  # only values are needed: recording the graph would only cost time
            out = f(*args)
        return out.data if isinstance(out, Value) else float(out)

    return (f_at(eps) - f_at(-eps)) / (2.0 * eps)


def _input_names(f, n):
    """The parameter names of f where it has them (x, y, ...), else x0, x1, ..."""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return params[:n] + [f"x{i}" for i in range(len(params), n)]
