"""``python -m engine "tanh(w*x + b)" x=1 w=2 b=-0.5 --wrt w --draw graph.svg``

Evaluates an expression with chainrule, prints its value, every gradient and the chain-rule
explanation of one of them, and draws the graph on request. The expression is parsed with ``ast``
and walked against a whitelist (numbers, the names given, + - * / **, unary minus, and the engine's
functions); it is never passed to ``eval``.
"""

import argparse
import ast
import inspect
import math
import operator
import sys

import engine
from engine.value import Value

# The engine's functions of one Value, by name, with how many arguments each takes (at least, at most).
FUNCTIONS = {function.__name__: function for function in engine.FUNCTIONS}
ARITY = {
    name: (sum(p.default is p.empty for p in parameters), len(parameters))
    for name, parameters in ((name, inspect.signature(f).parameters.values()) for name, f in FUNCTIONS.items())
}
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class ExpressionError(ValueError):
    """The expression or the names given are not something this tool evaluates."""


def evaluate(expression, variables):
    """Evaluate ``expression`` over ``variables`` (name -> Value) using only whitelisted syntax.

    >>> x = Value(2.0, label="x")
    >>> evaluate("x**2 + tanh(0)", {"x": x}).data
    4.0
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse {expression!r}: {error.msg}") from None
    return _Evaluator(expression, variables).visit(tree.body)


class _Evaluator:
    def __init__(self, source, variables):
        self.source, self.variables = source, variables

    def visit(self, node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left, right = self.visit(node.left), self.visit(node.right)
            return _apply(BINARY[type(node.op)], left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self._refuse(node, _describe(node))

    def _name(self, node):
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in FUNCTIONS:
            raise self._refuse(node, f"the function {node.id!r} used without calling it")
        raise ExpressionError(f"name {node.id!r} has no value: give it on the command line, e.g. {node.id}=1.0")

    def _call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise self._refuse(node, "a call to something other than " + ", ".join(FUNCTIONS))
        if node.keywords:
            raise self._refuse(node, f"keyword arguments in the call to {name}")
        low, high = ARITY[name]
        if not low <= len(node.args) <= high:
            raise self._refuse(node, f"{name} with {len(node.args)} arguments")
        first, *rest = [self.visit(arg) for arg in node.args]
        # A Value first, so that the result is one even for numbers: tanh(0) can be printed and drawn.
        return FUNCTIONS[name](first if isinstance(first, Value) else Value(first), *rest)

    def _refuse(self, node, what):
        segment = ast.get_source_segment(self.source.strip(), node) or ast.dump(node)
        return ExpressionError(f"not allowed in an expression: {what} in `{segment}`")


def _describe(node):
    kinds = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.Compare: "a comparison",
        ast.BoolOp: "a boolean operator",
        ast.IfExp: "a conditional expression",
        ast.Constant: "a constant that is not a number",
        ast.BinOp: "an operator other than + - * / **",
        ast.UnaryOp: "an operator other than unary minus",
    }
    return kinds.get(type(node), f"{type(node).__name__} syntax")


def _apply(symbol, a, b):
    if not isinstance(a, Value) and not isinstance(b, Value):
        a = Value(a)  # two numbers: keep the result a Value so it can be printed and drawn
    return _OPERATORS[symbol](a, b)  # the operator module tries b's reflected method too: 2 * x works


_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


# -------------------------------------------------------------------- command line


def parse_assignment(text):
    """'w=2' -> ('w', 2.0), or argparse's error for anything else."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r} is not name=value (for example x=1.5)")
    if name in FUNCTIONS:
        raise argparse.ArgumentTypeError(f"{name!r} is a function name and cannot be a variable")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the value of {name!r} must be a number, got {value!r}") from None
    return name, number


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), still with exit status 2 (nn's CLI uses it too)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    parser = OneLineErrorParser(
        prog="python -m engine",
        description="Evaluate an expression, print every gradient and explain one by the chain rule.",
        epilog='example: python -m engine "tanh(w*x + b)" x=1 w=2 b=-0.5 --wrt w --draw graph.svg\n'
        'An expression that starts with a minus sign goes after --: python -m engine -- "-x*2" x=1',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", help="e.g. 'tanh(w*x + b)'; allowed: numbers, names, + - * / **, "
                        "unary minus, " + ", ".join(FUNCTIONS))
    parser.add_argument("assignments", nargs="*", type=parse_assignment, metavar="name=value",
                        help="the value of each name in the expression")
    parser.add_argument("--wrt", metavar="NAME", help="explain d(result)/d(NAME) path by path")
    parser.add_argument("--draw", metavar="FILE", help="draw the graph to FILE (.svg, .png, .pdf, or .dot)")
    return parser


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # Names and options in any order; but after "--" (an expression starting with "-") argparse's
    # intermixed mode gives up, so read that case the plain way.
    args = parser.parse_args(argv) if "--" in argv else parser.parse_intermixed_args(argv)
    variables = {}
    for name, number in args.assignments:
        if name in variables:
            parser.error(f"{name!r} is given twice")
        variables[name] = Value(number, label=name)
    if args.wrt is not None and args.wrt not in variables:
        parser.error(f"--wrt {args.wrt!r} is not one of the names given ({', '.join(variables) or 'none'})")
    try:
        result = evaluate(args.expression, variables)
    except ExpressionError as error:
        parser.error(str(error))
    except RecursionError:
        parser.error("the expression is nested too deeply to read; split it into smaller ones")
    except (ValueError, TypeError, OverflowError) as error:  # e.g. a literal too large for a float
        parser.error(f"cannot evaluate {args.expression!r}: {error}")
    if not isinstance(result, Value):  # the expression is a lone number
        result = Value(result)
    if args.wrt is not None and variables[args.wrt] not in engine.topological_order(result):
        parser.error(f"--wrt {args.wrt!r} does not appear in the expression, so its gradient is 0 by definition")
    result.label = result.label or "f"
    result.backward()

    print(f"{args.expression} = {_number(result.data)}")
    for name, value in variables.items():
        print(f"  d/d{name} = {_number(value.grad)}")
    if args.wrt is not None:
        from engine.explain import explain

        print()
        print(explain(result, variables[args.wrt]))
    if args.draw:
        _draw(result, args.draw)
    return 0


def _number(x):
    return repr(x) if math.isfinite(x) else str(x)


def _draw(result, path):
    from engine.draw import draw, write

    print(f"\ndrew the graph to {write(draw(result), path)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
