"""How drawings, explanations and backward steps write a Value's name and its numbers.

One place for both, so that the picture, the chain-rule formula and the step-by-step text agree.
"""


def name(value):
    """What to call a Value in text: its label, else its operation in parentheses, else "leaf".

    >>> from engine import Value
    >>> x = Value(2.0, label="x")
    >>> name(x), name(x.tanh()), name(Value(1.0))
    ('x', '(tanh)', 'leaf')
    """
    if value.label:
        return value.label
    return f"({value.op})" if value.op else "leaf"


def number(x):
    """x to four significant digits, the precision a reader can follow: 0.8124, -3, 1.5e-05, inf, nan.

    >>> number(2.0), number(1 / 3), number(-0.000015)
    ('2', '0.3333', '-1.5e-05')
    """
    return f"{x:.4g}"
