"""Every operation against PyTorch in float64: value and gradients, the non-finite cases included.

PyTorch's answers are committed (``tests/parity/corpus.json``, written by ``tests/parity/make_corpus.py``),
so ``test_chainrule_matches_the_corpus`` runs everywhere; where PyTorch is installed (always in CI),
``test_corpus_is_what_torch_computes`` regenerates the corpus and fails if it is stale.
"""

import math

import pytest

import engine
from engine import Value
from parity import make_corpus

SHOWN, NAMED = 20, 500  # a failure shows the first 20 mismatches in full, then names the next 500


def same(ours, theirs, rel=1e-9, scale=0.0):
    """Equal as floats: nan matches nan, infinities match by sign, finite numbers to ``rel``.

    Finite numbers may differ by ``rel`` times the larger of the two, or of ``scale`` (see
    ``gradient_scales``). The absolute floor, 1e-300, lets subnormal results differ: there one rounding
    more or less (PyTorch divides ``grad / y`` where chainrule multiplies ``(1 / y) * grad``) is a
    large relative change.
    """
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs), scale) + 1e-300


def gradient_scales(out, inputs):
    """For each input, the sum of the absolute values of the chain-rule terms that make up its gradient.

    A gradient is a sum of terms, one per path, which PyTorch and chainrule add in different orders.
    Where they cancel (d/dx of x/x at x = 1e-300 is 1e300 - 1e300), one rounding decides the result:
    PyTorch may give 7e283 and chainrule 0. Such a gradient is only known to rel times this scale.
    An inf or nan is never excused this way: ``same`` compares those exactly.
    """
    scale = {out: 1.0}
    for node in engine.topological_order(out):
        s = scale.get(node, 0.0)
        for parent, local in zip(node.parents, node.local_grads):
            scale[parent] = scale.get(parent, 0.0) + (abs(local) * s if s else 0.0)
    return [scale.get(x, 0.0) for x in inputs]


class Chainrule:
    """The corpus's operations in chainrule (see make_corpus.evaluate)."""

    @staticmethod
    def function(name, x, *parameters):
        return -x if name == "neg" else getattr(Value, name)(x, *parameters)

    @staticmethod
    def binary(op, a, b):
        return make_corpus.BINARY[op](a, b)

    sum = staticmethod(engine.sum)
    dot = staticmethod(engine.dot)


def chainrule_answer(case):
    """Our value, gradients and their scales (see ``gradient_scales``) for a case, or the exception it raised."""
    xs = [Value(x) for x in case["inputs"]]
    try:
        out = make_corpus.evaluate(case["expr"], xs, Chainrule)
        out.backward()
    except Exception as error:  # listed with the other mismatches, not stopping at the first
        return f"{type(error).__name__}: {error}", None, None
    return out.data, [x.grad for x in xs], gradient_scales(out, xs)


def mismatch(case):
    """None if chainrule agrees with PyTorch on ``case``, else a line saying how it differs."""
    value, grads, scales = chainrule_answer(case)
    if grads is None:
        return f"{case['name']}: {value}"
    if same(value, case["value"]) and all(same(g, t, scale=s) for g, t, s in zip(grads, case["grads"], scales)):
        return None
    return (f"{case['name']}: {case['expr']} at {case['inputs']}\n"
            f"    ours:  value {value!r}, grads {grads}\n    torch: value {case['value']!r}, grads {case['grads']}")


@pytest.fixture(scope="module")
def corpus():
    """The committed corpus, read once: {"torch": version, "cases": [...]}."""
    return make_corpus.load()


def test_chainrule_matches_the_corpus(corpus):
    cases = corpus["cases"]
    mismatches = [line for line in map(mismatch, cases) if line]
    shown = mismatches[:SHOWN] + [line.split(":")[0] for line in mismatches[SHOWN:SHOWN + NAMED]]
    more = f"\n... and {len(mismatches) - SHOWN - NAMED} more" if len(mismatches) > SHOWN + NAMED else ""
    assert not mismatches, f"{len(mismatches)} of {len(cases)} cases differ from PyTorch:\n" + "\n".join(shown) + more


def test_corpus_covers_every_operation(corpus):
    """A new function of engine.FUNCTIONS needs a row in operations_table.py, then a regenerated corpus."""
    ops = set()
    stack = [case["expr"] for case in corpus["cases"]]
    while stack:
        tree = stack.pop()
        if isinstance(tree, list) and tree and isinstance(tree[0], str):
            ops.add(tree[0])
            stack.extend(tree[1:])
        elif isinstance(tree, list):
            stack.extend(tree)
    expected = {"neg", "var", "const", "sum", "dot", *make_corpus.BINARY, *(f.__name__ for f in engine.FUNCTIONS)}
    assert ops == expected, f"run tests/parity/make_corpus.py (missing: {expected - ops}, extra: {ops - expected})"


def test_corpus_is_what_torch_computes(torch, corpus):
    difference = make_corpus.first_difference(corpus["cases"], make_corpus.build_corpus(torch))
    assert difference is None, f"{difference}\nRun python tests/parity/make_corpus.py (torch {torch.__version__})"


def test_the_documented_non_finite_answers():
    assert (Value(1) / 0).data == math.inf
    assert Value(0).log().data == -math.inf
    assert math.isnan(Value(-1).log().data) and math.isnan((Value(-8) ** 0.5).data)
    assert isinstance((Value(-8) ** 0.5).data, float)  # never complex
    assert Value(1000).exp().data == math.inf
    t = Value(1000.0)
    y = t.tanh()
    y.backward()
    assert (y.data, t.grad) == (1.0, 0.0)
    s = Value(-1000.0).sigmoid()
    assert s.data == 0.0
