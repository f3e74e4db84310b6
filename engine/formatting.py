"""How drawings, explanations and backward steps write a Value's name and its numbers.

One place for both, so that the picture, the chain-rule formula and the step-by-step text agree.
"""

import re


def name(value, depth=2, legend=None):
    """What to call a Value in text: its label, else its operation written over its parents' names.

    Parents are named the same way ``depth`` levels down, then shown as "…", so a name stays short
    however deep the graph. Given a ``legend`` dict, nn parameter names are written short
    (``short_name``) and each short name written is recorded there with its long one.

    >>> from engine import Value
    >>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
    >>> name(x), name(x.tanh()), name(x - 0.3), name(2 ** x), name(-2 * x), name(x * y)
    ('x', 'tanh(x)', '(x-0.3)', '(2**x)', '(-2*x)', '(x*y)')
    >>> name(x * y + 1), name((x * y + 1).exp()), name(Value(1.0))
    ('((x*y)+1)', 'exp((…+1))', 'leaf')
    >>> w = Value(0.5, label="layers.0.neurons.1.w.1")
    >>> legend = {}
    >>> name(w * x), name(w * x, legend=legend), legend
    ('(layers.0.neurons.1.w.1*x)', '(L0.N1.w1*x)', {'L0.N1.w1': 'layers.0.neurons.1.w.1'})
    """
    if value.label:
        if legend is None:
            return value.label
        short = short_name(value.label)
        if short != value.label:
            legend.setdefault(short, value.label)
        return short
    op = value.op
    if not op:
        return "leaf"
    if depth == 0:
        return "…"
    shown = value.parents[:2] if len(value.parents) <= 2 else value.parents[:1]  # only these are written
    parents = [name(parent, depth - 1, legend) for parent in shown]
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


def short_name(label):
    """An nn parameter's dotted name written short: each index joins its word, layers and neurons as L and N.

    Other labels come back as they are. Something is a parameter's name when it is dotted words and
    indices with at least one index, every index after a word (what ``Module.named_parameters`` gives).

    >>> short_name("layers.0.neurons.1.w.1"), short_name("layers.2.neurons.0.b"), short_name("cell.neurons.3.w.0")
    ('L0.N1.w1', 'L2.N0.b', 'cell.N3.w0')
    >>> short_name("w1"), short_name("x1*w1"), short_name("a.b"), short_name("0.w.1")
    ('w1', 'x1*w1', 'a.b', '0.w.1')
    """
    if not _PARAMETER_NAME.fullmatch(label):
        return label
    return re.sub(r"(\w+)\.(\d+)", lambda m: _SHORT_WORDS.get(m[1], m[1]) + m[2], label)


# Words then optional indices, at least one index: "w.0", "layers.0.neurons.1.b"; never a leading index.
_PARAMETER_NAME = re.compile(r"(?=.*\.\d+(\.|$))[A-Za-z_]\w*(\.\d+)?(\.[A-Za-z_]\w*(\.\d+)?)*")
_SHORT_WORDS = {"layers": "L", "neurons": "N"}


def number(x):
    """x to four significant digits, the precision a reader can follow: 0.8124, -3, 1.5e-05, inf, nan.

    An exact zero is 0 whatever its sign: -0.0 (0 times a negative number) would read as a mistake.

    A Value (a grad after ``backward(create_graph=True)``) is written as its number.

    >>> number(2.0), number(1 / 3), number(-0.000015), number(-0.0)
    ('2', '0.3333', '-1.5e-05', '0')
    """
    x = getattr(x, "data", x)
    return "0" if x == 0 else f"{x:.4g}"


def wrap(pieces, width, indent=0, joint=" *"):
    """Write ``pieces`` one after another, ``joint`` between, in lines that end at column ``width``.

    The text starts at column ``indent`` (the first line continues what comes before it; the later
    ones are indented to line up under it) and breaks only after a joint; a piece too long for a line
    of its own is cut.

    >>> wrap(["da/db", "db/dc", "dc/dd"], 16, indent=2)
    ['da/db * db/dc *', '  dc/dd']
    """
    room = max(width - indent, 20)  # past a very long lead, lines may run over rather than hold a letter each
    lines, line = [], ""
    for i, piece in enumerate(pieces):
        if i < len(pieces) - 1:
            piece += joint
        while len(piece) > room:  # only a huge label gets here
            if line:
                lines.append(line)
                line = ""
            lines.append(piece[:room])
            piece = piece[room:]
        if line and len(line) + 1 + len(piece) <= room:
            line += " " + piece
        else:
            lines += [line] if line else []
            line = piece
    lines.append(line)
    return [lines[0]] + [" " * indent + line for line in lines[1:]]
