"""PyTorch's answers for a fixed corpus of expressions: what the parity tests expect of chainrule.

    python tests/parity/make_corpus.py           # (re)write tests/parity/corpus.json with torch
    python tests/parity/make_corpus.py --check   # exit 1, naming the first case that differs, if it is stale

A case is an expression, the point it is evaluated at, and what PyTorch (CPU, float64) computes
there: the value and the gradient of every input. The expressions come from this file and
tests/operations_table.py only (a seeded ``random.Random``, lists, no hashing), so the same PyTorch
writes the same file, bit for bit; ``tests/test_torch_parity.py`` evaluates every case with
chainrule, with or without PyTorch, and CI regenerates the corpus and fails if it differs.

An expression is a tree of nested lists:

    ["var", i]                          input i (in PyTorch a 0-d float64 tensor that requires grad)
    ["const", c]                        a constant: a Python float on both sides
    [f, t]                              a function of tests/operations_table.py: neg, abs, exp, ...
    ["leaky_relu", t, slope]            leaky_relu with a constant slope
    [op, a, b]                          + - * / **, a constant on either side or none
    ["sum", [t, ...]]                   engine.sum: one node, local derivative 1 per term
    ["dot", [w, ...], [x, ...], bias]   engine.dot: one node w1*x1 + ... + wn*xn (+ bias; null for none)

In the file, infinities and nan are the strings "inf", "-inf" and "nan", so that it is strict JSON.

The corpus: random expressions at ordinary, special and huge points (non-finite values and
gradients happen on their own there); every function and operator at special points (the
non-finite table); each function below an operation whose local derivative is inf or nan (where
PyTorch masks a structural zero instead of multiplying it, an inf from above does not become nan);
and a few cases named in issues and in the old hand-written tests.
"""

import argparse
import json
import math
import random
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run as a script: the operations table lives in tests/
    sys.path.insert(0, str(TESTS))

from operations_table import ROWS  # noqa: E402

CORPUS = Path(__file__).with_name("corpus.json")
SEED = 20260101
RANDOM_CASES = 3000
inf, nan = math.inf, math.nan

BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
FUNCTIONS = list(ROWS)  # neg and every function of engine.FUNCTIONS (test_properties checks the rows)
SLOPES = [0.01, 0.2, 0.0]  # leaky_relu's; a slope of 0 multiplies (0 * inf = nan), it does not mask

# The non-finite table: every function at each of these, every operator at each pair of the second.
SPECIAL = [-inf, -1e308, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 1e308, inf, nan]
PAIRS = [-inf, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, inf, nan]
SMALL = [-inf, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, inf, nan]  # operators below an inf or nan local derivative
# Random points: mostly ordinary, often special, now and then huge or tiny.
ORDINARY_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0]
EXTREME = [1e300, -1e300, 1e-300]
EXPONENTS = [0.0, 0.5, -0.5, 1.0, 1.5, 2.0, 3.0, -1.0, -2.0]  # x ** c: PyTorch special-cases several
BASES = [0.0, 0.5, 2.0, -2.0, math.e]  # c ** x


def var(i):
    return ["var", i]


def const(c):
    return ["const", c]


x0, x1 = var(0), var(1)

# Operations whose local derivative is inf or nan at some inputs, wrapped around an expression t:
# an inf or nan then arrives from above, and a masked zero below must stay 0.
ABOVE = {
    "sqrt": lambda t: ["sqrt", t],
    "log": lambda t: ["log", t],
    "1/": lambda t: ["/", const(1.0), t],
    "**0.5": lambda t: ["**", t, const(0.5)],
    "**-0.5": lambda t: ["**", t, const(-0.5)],
    "*inf": lambda t: ["*", t, const(inf)],
    "*nan": lambda t: ["*", t, const(nan)],
    "/0": lambda t: ["/", t, const(0.0)],
}


# -------------------------------------------------------------------- the expressions (no torch needed)


def expressions():
    """Every case's (name, tree, inputs), in a fixed order."""
    yield from named()
    yield from grid()
    yield from non_finite_table()
    yield from from_above()
    rng = random.Random(SEED)
    for i in range(RANDOM_CASES):
        n = rng.randint(1, 3)
        tree = random_tree(rng, rng.randint(1, 4), n)
        while tree[0] == "var":
            tree = random_tree(rng, rng.randint(1, 4), n)
        yield f"random/{i}", tree, [random_point(rng) for _ in range(n)]


def named():
    """The issue's cases, and the old hand-written non-finite table."""
    yield "issue/sqrt(relu(x)) at x<0", ["sqrt", ["relu", x0]], [-1.0]
    yield "issue/sqrt(relu(x)) at x=0", ["sqrt", ["relu", x0]], [0.0]
    yield "issue/relu(nan)", ["relu", x0], [nan]
    yield "issue/(-inf)**0.5", ["**", x0, const(0.5)], [-inf]
    yield "issue/x**0 under inf", ["*", ["**", x0, const(0.0)], const(inf)], [2.0]
    yield "issue/0**y under inf", ["*", ["**", const(0.0), x0], const(inf)], [2.0]
    yield "named/1/0", ["/", x0, const(0.0)], [1.0]
    yield "named/log(0)", ["log", x0], [0.0]
    yield "named/log(-1)", ["log", x0], [-1.0]
    yield "named/(-8)**0.5", ["**", x0, const(0.5)], [-8.0]
    yield "named/exp(1000)", ["exp", x0], [1000.0]
    yield "named/tanh(1000)", ["tanh", x0], [1000.0]
    yield "named/sigmoid(-1000)", ["sigmoid", x0], [-1000.0]
    yield "named/relu(0)", ["relu", x0], [0.0]
    yield "named/abs(0)", ["abs", x0], [0.0]
    yield "named/0**0", ["**", x0, const(0.0)], [0.0]
    yield "named/0**-1", ["**", x0, const(-1.0)], [0.0]
    yield "named/sqrt(0)", ["sqrt", x0], [0.0]
    yield "named/2**x at 1000", ["**", const(2.0), x0], [1000.0]


def grid():
    """Every function and operator at ordinary points (the old hand-written tables)."""
    for f in FUNCTIONS:
        for x in [-1000.0, -8.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 1000.0]:
            yield f"grid/{f}({x!r})", unary(f, x0), [x]
    for op in BINARY:
        for a in [-8.0, -1.5, 0.0, 0.5, 2.0, 3.0]:
            for b in [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]:
                for label, tree, inputs in three_forms(op, a, b):
                    yield f"grid/{label}", tree, inputs


def non_finite_table():
    """Every function at the special points, every operator and n-ary node at each pair of them."""
    for f in FUNCTIONS:
        for x in SPECIAL:
            yield f"table/{f}({x!r})", unary(f, x0), [x]
    for op in BINARY:
        for a in PAIRS:
            for b in PAIRS:
                for label, tree, inputs in three_forms(op, a, b):
                    yield f"table/{label}", tree, inputs
    for a in PAIRS:
        for b in PAIRS:
            yield f"table/sum({a!r}, {b!r})", ["sum", [x0, x1]], [a, b]
            yield f"table/dot({a!r}, {b!r})", ["dot", [x0], [x1], None], [a, b]
            yield f"table/dot({a!r}, const {b!r})", ["dot", [x0], [const(b)], None], [a]
            yield f"table/sum(const {a!r}, {b!r})", ["sum", [const(a), x0]], [b]
            yield f"table/dot({a!r}, 1) + bias {b!r}", ["dot", [x0], [const(1.0)], x1], [a, b]


def from_above():
    """Each function, operator and n-ary node below an operation with an inf or nan local derivative."""
    for f in FUNCTIONS + ["leaky_relu(0)"]:
        for above, wrap in ABOVE.items():
            for x in SPECIAL:
                inner = ["leaky_relu", x0, 0.0] if f == "leaky_relu(0)" else unary(f, x0)
                yield f"above/{above} of {f}({x!r})", wrap(inner), [x]
    for op in BINARY:
        for above in ["*inf", "sqrt"]:
            for a in SMALL:
                for b in SMALL:
                    for label, tree, inputs in three_forms(op, a, b):
                        yield f"above/{above} of {label}", ABOVE[above](tree), inputs
    for above in ["*inf", "sqrt"]:
        for a in SMALL:
            for b in SMALL:
                wrap = ABOVE[above]
                yield f"above/{above} of sum({a!r}, {b!r})", wrap(["sum", [x0, x1]]), [a, b]
                yield f"above/{above} of dot({a!r}, {b!r})", wrap(["dot", [x0], [x1], None]), [a, b]
                yield f"above/{above} of dot({a!r}, const {b!r})", wrap(["dot", [x0], [const(b)], None]), [a]
    # x**0 has a masked derivative for x; 0**y a multiplied one for y (PyTorch: 0 * inf = nan).
    for x in SPECIAL:
        yield f"above/sqrt(x**0 - 1) at {x!r}", ["sqrt", ["-", ["**", x0, const(0.0)], const(1.0)]], [x]
        yield f"above/sqrt(x**y - 1) at {x!r}, 0.0", ["sqrt", ["-", ["**", x0, x1], const(1.0)]], [x, 0.0]
        yield f"above/sqrt(0**y) at {x!r}", ["sqrt", ["**", const(0.0), x0]], [x]
        yield f"above/sqrt(x**y) at 0.0, {x!r}", ["sqrt", ["**", x0, x1]], [0.0, x]
        yield f"above/sqrt(x**y) at -0.0, {x!r}", ["sqrt", ["**", x0, x1]], [-0.0, x]


def unary(f, t):
    return ["leaky_relu", t, 0.01] if f == "leaky_relu" else [f, t]


def three_forms(op, a, b):
    """a op b with two inputs, with a constant b, and with a constant a: (label, tree, inputs) each."""
    yield f"{a!r} {op} {b!r}", [op, x0, x1], [a, b]
    yield f"{a!r} {op} const {b!r}", [op, x0, const(b)], [a]
    yield f"const {a!r} {op} {b!r}", [op, const(a), x0], [b]


def random_point(rng):
    r = rng.random()
    if r < 0.6:
        return round(rng.uniform(-3.0, 3.0), 4)
    if r < 0.9:
        return rng.choice(ORDINARY_SPECIAL)
    return rng.choice(EXTREME)


def random_tree(rng, depth, n_vars):
    """A random expression over every operation, with a variable in every subtree but constants."""
    if depth == 0 or rng.random() < 0.2:
        return var(rng.randrange(n_vars))

    def sub():
        return random_tree(rng, depth - 1, n_vars)

    kind = rng.random()
    if kind < 0.4:
        f = rng.choice(FUNCTIONS)
        return ["leaky_relu", sub(), rng.choice(SLOPES)] if f == "leaky_relu" else [f, sub()]
    if kind < 0.8:
        op, side = rng.choice(list(BINARY)), rng.random()
        if side < 0.25:
            return [op, sub(), const(rng.choice(EXPONENTS) if op == "**" else random_point(rng))]
        if side < 0.5:
            return [op, const(rng.choice(BASES) if op == "**" else random_point(rng)), sub()]
        return [op, sub(), sub()]
    if kind < 0.9:
        # A constant term only first: engine.sum adds its constants first, torch's sum left to right.
        terms = [sub() for _ in range(rng.randint(1, 4))]
        return ["sum", [const(random_point(rng)), *terms] if rng.random() < 0.3 else terms]
    ws, xs = [], []
    for _ in range(rng.randint(1, 3)):
        w, x, side = sub(), sub(), rng.random()
        ws.append(const(random_point(rng)) if side < 0.2 else w)
        xs.append(const(random_point(rng)) if 0.2 <= side < 0.4 else x)
    bias = rng.random()
    return ["dot", ws, xs, None if bias < 0.4 else const(random_point(rng)) if bias < 0.6 else sub()]


# -------------------------------------------------------------------- evaluating a tree


def evaluate(tree, inputs, backend):
    """The value of ``tree`` with ``inputs`` as its variables, built with ``backend``'s operations.

    ``backend`` has ``function(name, x, *parameters)``, ``binary(op, a, b)``, ``sum(terms)`` and
    ``dot(ws, xs, bias)``; a constant reaches it as a Python float.
    """
    op, *args = tree
    if op == "var":
        return inputs[args[0]]
    if op == "const":
        return args[0]
    if op == "sum":
        return backend.sum([evaluate(t, inputs, backend) for t in args[0]])
    if op == "dot":
        ws, xs, bias = args
        ws, xs = ([evaluate(t, inputs, backend) for t in trees] for trees in (ws, xs))
        return backend.dot(ws, xs, None if bias is None else evaluate(bias, inputs, backend))
    if op in BINARY:
        return backend.binary(op, evaluate(args[0], inputs, backend), evaluate(args[1], inputs, backend))
    return backend.function(op, evaluate(args[0], inputs, backend), *args[1:])


class Torch:
    """The operations in PyTorch, as a user writes them: Python operators, constants as Python floats."""

    def __init__(self, torch):
        self.torch = torch

    def tensor(self, x):
        return x if isinstance(x, self.torch.Tensor) else self.torch.tensor(x, dtype=self.torch.float64)

    def function(self, name, x, *parameters):
        if name == "leaky_relu":  # the table's twin has slope 0.01; a tree names its slope
            return self.torch.nn.functional.leaky_relu(x, *parameters)
        return ROWS[name].torch(self.torch, x)

    def binary(self, op, a, b):
        # Python's ``c / t`` is ``t.reciprocal() * c`` in PyTorch (torch/_tensor.py), which overflows where
        # c / t does not (1e-300 / 1e-310 gives inf) and rounds twice: a constant over a tensor is divided.
        if op == "/" and not isinstance(a, self.torch.Tensor):
            a = self.tensor(a)
        return BINARY[op](a, b)

    def sum(self, terms):
        # One reduction, from 0 and left to right (as engine.sum): the sum of [-0.0] is 0.0.
        return self.torch.stack([self.tensor(t) for t in terms]).sum()

    def dot(self, ws, xs, bias):
        products = self.torch.stack([self.tensor(w) for w in ws]) * self.torch.stack([self.tensor(x) for x in xs])
        return products.sum() if bias is None else products.sum() + bias


def torch_answer(torch, name, tree, inputs):
    """One case: the tree, its inputs, and PyTorch's value and gradients there (0 for an input it does not reach)."""
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = evaluate(tree, xs, Torch(torch))
    out.backward()
    grads = [0.0 if x.grad is None else x.grad.item() for x in xs]
    return {"name": name, "expr": tree, "inputs": inputs, "value": out.item(), "grads": grads}


def build_corpus(torch):
    """Every case with PyTorch's answers, computed in float64 (the default dtype is put back after)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return [torch_answer(torch, *case) for case in expressions()]
    finally:
        torch.set_default_dtype(previous)


# -------------------------------------------------------------------- the file


def to_json(x):
    """``x`` with every inf and nan (at any depth) as a string: strict JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else "inf" if x > 0 else "-inf"
    if isinstance(x, list):
        return [to_json(item) for item in x]
    if isinstance(x, dict):
        return {key: to_json(value) for key, value in x.items()}
    return x


def from_json(x):
    """The inverse of ``to_json``: "inf", "-inf" and "nan" (no operation has these names) become floats."""
    if x in ("inf", "-inf", "nan"):
        return float(x)
    if isinstance(x, list):
        return [from_json(item) for item in x]
    if isinstance(x, dict):
        return {key: from_json(value) for key, value in x.items()}
    return x


def case_line(case):
    return json.dumps(to_json(case), allow_nan=False, separators=(",", ":"))


def dumps(cases, torch_version):
    """The file's text: one case a line, so that a regenerated corpus diffs case by case."""
    lines = ",\n".join(case_line(case) for case in cases)
    return f'{{"torch": {json.dumps(torch_version)},\n"cases": [\n{lines}\n]}}\n'


def load(path=CORPUS):
    """The committed corpus: {"torch": version, "cases": [...]}, with inf and nan as floats again."""
    return from_json(json.loads(Path(path).read_text()))


def first_difference(committed, regenerated):
    """None if the two lists of cases are the same bit for bit, else a line naming the first that differs."""
    for i, (old, new) in enumerate(zip(committed, regenerated)):
        if case_line(old) != case_line(new):
            old, new = case_line(old), case_line(new)
            return f"case {i} differs:\n  committed:   {old}\n  regenerated: {new}"
    if len(committed) != len(regenerated):
        return f"the corpus has {len(committed)} cases, PyTorch's regeneration {len(regenerated)}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if the file differs")
    args = parser.parse_args(argv)
    import torch

    cases = build_corpus(torch)
    if args.check:
        committed = load()
        difference = first_difference(committed["cases"], cases)
        if difference:
            print(f"{CORPUS} is stale (written with torch {committed['torch']}, checked with {torch.__version__}): "
                  f"{difference}\nRun: python tests/parity/make_corpus.py", file=sys.stderr)
            return 1
        print(f"{CORPUS}: all {len(cases)} cases match torch {torch.__version__}")
        return 0
    CORPUS.write_text(dumps(cases, torch.__version__))
    print(f"wrote {len(cases)} cases to {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
