"""How drawings, explanations and backward steps write a Value's name and its numbers.

One place for both, so that the picture, the chain-rule formula and the step-by-step text agree.
"""


def name(value, depth=2):
    """What to call a Value in text: its label, else its operation written over its parents' names.

    Parents are named the same way ``depth`` levels down, then shown as "…", so a name stays short
    however deep the graph.

    >>> from engine import Value
    >>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
    >>> name(x), name(x.tanh()), name(x - 0.3), name(2 ** x), name(-2 * x), name(x * y)
    ('x', 'tanh(x)', '(x-0.3)', '(2**x)', '(-2*x)', '(x*y)')
    >>> name(x * y + 1), name((x * y + 1).exp()), name(Value(1.0))
    ('((x*y)+1)', 'exp((…+1))', 'leaf')
    """
    if value.label:
        return value.label
    op = value.op
    if not op:
        return "leaf"
    if depth == 0:
        return "…"
    parents = [name(parent, depth - 1) for parent in value.parents[:2]]
    if op in _SYMBOLS and len(value.parents) == 2:  # a op b
        return f"({parents[0]}{op}{parents[1]})"
    # Constant on the left first: "-2*" starts with a minus sign too, but only it ends with a symbol.
    if len(value.parents) == 1 and op.endswith(_SYMBOLS):  # constant op a, e.g. "2**", "1/", "-2*"
        return f"({op}{parents[0]})"
    if len(value.parents) == 1 and op.startswith(_SYMBOLS):  # a op constant, e.g. "-0.3" or "**2"
        return f"({parents[0]}{op})"
    if len(value.parents) <= 2:
        return f"{op}({', '.join(parents)})"
    return f"{op}({parents[0]}, …)"


_SYMBOLS = ("+", "-", "*", "/", "**")


def number(x):
    """x to four significant digits, the precision a reader can follow: 0.8124, -3, 1.5e-05, inf, nan.

    >>> number(2.0), number(1 / 3), number(-0.000015)
    ('2', '0.3333', '-1.5e-05')
    """
    return f"{x:.4g}"
