"""PyTorch's second (and third) derivatives on random expressions: what tests/test_create_graph.py expects.

    python tests/parity/make_second_order.py           # (re)write tests/parity/second_order.json with torch
    python tests/parity/make_second_order.py --check   # exit 1 if the file is not what this torch computes

The expressions are make_corpus's random trees (every operation; a seeded ``random.Random``) at
ordinary points, kept where PyTorch's value, gradient and Hessian are all finite. For each case the
file holds PyTorch's (CPU, float64) value, gradient, Hessian (``torch.autograd.grad`` with
``create_graph=True``, twice), the third derivative in the first input (three times), a Hessian-vector
product (``torch.autograd.functional.hvp``) and a forward-mode directional derivative
(``torch.func.jvp``) along a fixed direction.
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

from parity.make_corpus import Torch, evaluate, random_tree  # noqa: E402

FILE = Path(__file__).with_name("second_order.json")
SEED = 20261207
CASES = 300


def expressions():
    """(name, tree, inputs, direction) for every case, torch or not: the same list every time."""
    rng = random.Random(SEED)
    cases = []
    while len(cases) < CASES * 2:  # twice as many as kept: some are not finite at their point
        n = rng.randint(1, 3)
        tree = random_tree(rng, rng.randint(1, 4), n)
        inputs = [round(rng.uniform(-2.0, 2.0), 4) for _ in range(n)]
        direction = [round(rng.uniform(-1.0, 1.0), 4) for _ in range(n)]
        cases.append((f"random {len(cases)}", tree, inputs, direction))
    return cases


def torch_answer(torch, name, tree, inputs, direction):
    """PyTorch's derivatives of one case, or None where any of them is not finite."""
    backend = Torch(torch)

    def f(*xs):
        out = evaluate(tree, list(xs), backend)
        return out if isinstance(out, torch.Tensor) else torch.tensor(out, dtype=torch.float64)

    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = f(*xs)
    if not out.requires_grad:
        return None
    grads = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    hessian = []
    for g in grads:
        row = [None] * len(xs) if g is None or not g.requires_grad else \
            torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        hessian.append([0.0 if h is None else h.item() for h in row])
    third = 0.0
    if grads[0] is not None and grads[0].requires_grad:
        (second,) = torch.autograd.grad(grads[0], xs[0], create_graph=True, allow_unused=True)
        if second is not None and second.requires_grad:
            (d3,) = torch.autograd.grad(second, xs[0], allow_unused=True)
            third = 0.0 if d3 is None else d3.item()
    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in inputs)
    tangents = tuple(torch.tensor(v, dtype=torch.float64) for v in direction)
    _, hvp = torch.autograd.functional.hvp(f, primals, tangents)
    value, along = torch.func.jvp(f, primals, tangents)
    answer = {"name": name, "expr": tree, "inputs": inputs, "direction": direction, "value": out.item(),
              "grads": [0.0 if g is None else g.item() for g in grads], "hessian": hessian, "third": third,
              "hvp": [h.item() for h in hvp], "jvp": [value.item(), along.item()]}
    numbers = [answer["value"], *answer["grads"], *sum(hessian, []), third, *answer["hvp"], *answer["jvp"]]
    return answer if all(math.isfinite(x) for x in numbers) else None


def build(torch):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        answers = [torch_answer(torch, *case) for case in expressions()]
    finally:
        torch.set_default_dtype(previous)
    return [answer for answer in answers if answer is not None][:CASES]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    import torch

    cases = build(torch)
    text = json.dumps({"torch": torch.__version__, "cases": cases}, indent=None, separators=(",", ":")) + "\n"
    if args.check:
        if FILE.read_text() != text:
            print(f"{FILE} is not what torch {torch.__version__} computes: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    FILE.write_text(text)
    print(f"wrote {len(cases)} cases to {FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
