"""``python -m engine "tanh(w*x + b)" x=1 w=2 b=-0.5 --wrt w --draw graph.svg``

Evaluates an expression with chainrule, prints its value, every gradient and the chain-rule
explanation of one of them, and draws the graph on request. The expression is read by
engine/expressions.py (``ast`` against a whitelist, never ``eval``), as the browser playground's are.
"""

import argparse
import math
import sys

import engine
from engine.draw import RENDERED, RenderError, check_path, draw, write
from engine import expressions
from engine.expressions import FUNCTIONS, ExpressionError, evaluate, python_name, shorten, variables


def parse_assignment(text):
    """'w=2' -> ('w', 2.0), or argparse's error for anything else (engine.expressions.parse_assignment)."""
    try:
        return expressions.parse_assignment(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    parser.add_argument("--draw", metavar="FILE", help=f"draw the graph to FILE ({', '.join(RENDERED)} or .dot)")
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        return _run(parser, sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:  # Ctrl-C, most likely while Graphviz renders: one line, not a traceback
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports it


def _run(parser, argv):
    """Everything main does, with errors through ``parser.error``: one line and exit status 2."""
    # Names and options in any order; but after "--" (an expression starting with "-") argparse's
    # intermixed mode gives up, so read that case the plain way.
    args = parser.parse_args(argv) if "--" in argv else parser.parse_intermixed_args(argv)
    try:
        given = variables(args.assignments)  # by the name Python reads, labelled as the user wrote it
    except ExpressionError as error:
        parser.error(str(error))
    wrt = None if args.wrt is None else given.get(python_name(args.wrt))  # the Value to explain
    if args.wrt is not None and wrt is None:
        names = ", ".join(shorten(value.label) for value in given.values()) or "none"
        parser.error(f"--wrt {shorten(args.wrt)!r} is not one of the names given ({shorten(names)})")
    if args.draw is not None:
        try:
            check_path(args.draw)  # before anything is computed: a typo in the file name costs nothing
        except (ValueError, OSError) as error:
            parser.error(f"--draw: {error}")
    try:
        result = evaluate(args.expression, given)
    except ExpressionError as error:
        parser.error(str(error))
    except (ValueError, TypeError, OverflowError) as error:  # an operation refusing its operands (engine's checks)
        parser.error(f"cannot evaluate {shorten(args.expression)!r}: {error}")
    if wrt is not None and wrt not in engine.topological_order(result):
        parser.error(
            f"--wrt {shorten(args.wrt)!r} does not appear in the expression, so its gradient is 0 by definition"
        )
    result.label = result.label or "f"
    result.backward()
    if args.draw is not None:
        try:
            graph = draw(result)  # before printing: a graph too large to draw is an error, not a late traceback
        except ValueError as error:
            parser.error(f"--draw {args.draw!r}: {error}")

    print(f"{args.expression} = {_number(result.data)}")
    for value in given.values():
        print(f"  d/d{value.label} = {_number(value.grad)}")
    if wrt is not None:
        from engine.explain import explain

        print()
        print(explain(result, wrt))
    if args.draw is not None:
        try:
            print(f"\ndrew the graph to {write(graph, args.draw)}")
        except (RenderError, OSError) as error:  # known only once rendered and written: after the results
            parser.error(f"--draw {args.draw!r}: {error}")
    return 0


def _number(x):
    return repr(x) if math.isfinite(x) else str(x)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
