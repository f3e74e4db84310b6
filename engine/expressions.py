"""The expressions chainrule reads from people: ``tanh(w*x + b)`` and ``x=1 w=2 b=-0.5``, parsed safely.

An expression is parsed with ``ast`` and walked against a whitelist (numbers, the names given,
+ - * / **, unary minus, and the engine's functions); it is never passed to ``eval``. This is the
one parser: ``python -m engine`` (engine/cli.py) and the browser playground (demos/playground/) both
read what people type through it, so both accept and refuse the same things with the same words.
"""

import ast
import inspect
import operator
import re
import unicodedata

import engine
from engine.value import Value

# Limits on what is read, checked before Python parses it. Python's parser goes one level deeper for
# each bracket, each sign in a row (--x) and each ** in a chain (x**x**x: both group to the right),
# and a few thousand levels down it gives up with a MemoryError, however much memory there is. The
# evaluator below calls itself once or twice per operation inside another, and Python stops at 1000
# calls. Nobody writes anything near these limits by hand.
MAX_EXPRESSION_LENGTH = 4000  # characters
MAX_NESTING = 500  # levels: brackets, signs and ** in a row before parsing; operations inside operations after
QUOTED = 80  # at most this many characters of the input in an error message: a line, not a page

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
    """Evaluate ``expression`` over ``variables`` (name -> Value) using only whitelisted syntax; returns a Value.

    Names are matched as Python reads them (``python_name``: ℌ is H). An expression longer than
    MAX_EXPRESSION_LENGTH or nested deeper than MAX_NESTING is refused before it is parsed.

    >>> x = Value(2.0, label="x")
    >>> evaluate("x**2 + tanh(0)", {"x": x}).data
    4.0
    """
    source = expression.strip()
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long, more than the {MAX_EXPRESSION_LENGTH:,} this tool "
            "reads; split it into smaller ones"
        )
    _check_depth(nesting(source))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        lines_before = source.split("\n")[: (error.lineno or 1) - 1]
        at = sum(len(line) + 1 for line in lines_before) + (error.offset or 1) - 1  # quote around where it is
        raise ExpressionError(f"cannot parse {shorten(source, at)!r}: {error.msg}") from None
    except ValueError as error:  # some Pythons: an int literal of over 4300 digits, a null character
        raise ExpressionError(f"cannot parse {shorten(source)!r}: {error}") from None
    _check_depth(tree_depth(tree.body))  # left-grouping chains (x+x+...+x) nest only once parsed
    variables = {python_name(name): value for name, value in variables.items()}
    result = _Evaluator(source, variables).visit(tree.body)
    return result if isinstance(result, Value) else Value(result)  # a lone number too: it can be printed and drawn


def nesting(source):
    """How deep Python's parser must go to read ``source``: its deepest point, counted on the characters.

    Each open bracket is a level, and so is each operator still waiting for its right operand in a
    run of signs and ** (``-x**-x`` is 3 levels). Any other operator ends the run: ``-x * -x`` is two
    runs of one, and the parser reads left-grouping chains (``x+x+...+x``) in a loop, not by going
    deeper. Text inside quotes counts too, which only overestimates.

    >>> nesting("tanh(-(x**-2))"), nesting("-x * -x + 1e-5"), nesting("+".join("x" * 400))
    (5, 1, 0)
    """
    deepest = level = run = 0  # level: brackets open and operators waiting; run: the innermost bracket's run
    runs = []  # the runs of the brackets around, to resume when each closes
    previous = "("  # the last character that is not a space; at the start a sign is unary
    at = 0
    while at < len(source):
        char = source[at]
        if char in "([{":
            runs.append(run)
            level, run = level + 1, 0
        elif char in ")]}" and runs:
            level -= 1 + run
            run = runs.pop()
        elif source.startswith("**", at) or (char in "+-~" and previous in "([{,:=<>!+-*/%@&|^~"):
            level, run = level + 1, run + 1
            at += char == "*"  # past the second *
        elif char in "+-*/%@<>=!&|^,:":  # an operator between two operands
            level, run = level - run, 0
        deepest = max(deepest, level)
        if not char.isspace():
            previous = char
        at += 1
    return deepest


def tree_depth(node):
    """The most operations inside one another in ``node``'s tree: 0 for ``x``, 2 for ``-(x*y)``.

    >>> tree_depth(ast.parse("tanh(x + 1) * 2", mode="eval").body)
    3
    """
    deepest, stack = 0, [(node, 0)]  # a stack, not recursion: this runs before the tree is known to be shallow
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
    return deepest


def _check_depth(levels):
    if levels > MAX_NESTING:
        raise ExpressionError(
            f"the expression is nested too deeply: {levels} levels, more than the {MAX_NESTING} this tool reads; "
            "split it into smaller ones"
        )


def python_name(name):
    """The name as Python reads it: identifiers are NFKC-normalised (PEP 3131), so ℌ is H and ﬁ is fi.

    >>> python_name("ℌ"), python_name("ﬁ"), python_name("w")
    ('H', 'fi', 'w')
    """
    return unicodedata.normalize("NFKC", name)


def shorten(text, at=0):
    """``text``, or when it is longer than QUOTED characters, the QUOTED around index ``at`` and "…" for the rest.

    >>> shorten("tanh(x)"), len(shorten("x" * 1000)), shorten("x+" * 100 + ")", at=200)[-10:]
    ('tanh(x)', 81, '+x+x+x+x+)')
    """
    if len(text) <= QUOTED:
        return text
    start = max(0, min(at - QUOTED // 2, len(text) - QUOTED))
    return ("…" if start else "") + text[start : start + QUOTED] + ("…" if start + QUOTED < len(text) else "")


class _Evaluator:
    def __init__(self, source, variables):
        self.source, self.variables = source, variables

    def visit(self, node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return self._number(node)
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

    def _number(self, node):
        try:
            float(node.value)  # the graph holds floats; an int stays one here so that 2*x is named 2*x
        except OverflowError:
            raise ExpressionError(
                f"the number {shorten(self._written(node))!r} is too large for a float (the largest is about 1.8e308)"
            ) from None
        return node.value

    def _name(self, node):
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in FUNCTIONS:
            raise self._refuse(node, f"the function {node.id!r} used without calling it")
        written = self._written(node)  # as the user wrote it: Python reads ℌ as H
        example = f", e.g. {written}=1.0" if written == shorten(written) else ""
        raise ExpressionError(f"name {shorten(written)!r} has no value: give it a value{example}")

    def _call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise self._refuse(node, "a call to something other than " + ", ".join(FUNCTIONS))
        if node.keywords:
            raise self._refuse(node, f"keyword arguments in the call to {name}")
        low, high = ARITY[name]
        if not low <= len(node.args) <= high:
            raise self._refuse(node, f"{name} with {len(node.args)} arguments")
        first, *rest = map(self.visit, node.args)  # map, not a comprehension: one Python call less per level
        # A Value first, so that the result is one even for numbers: tanh(0) can be printed and drawn.
        return FUNCTIONS[name](first if isinstance(first, Value) else Value(first), *rest)

    def _refuse(self, node, what):
        return ExpressionError(f"not allowed in an expression: {what} in `{shorten(self._written(node))}`")

    def _written(self, node):
        return ast.get_source_segment(self.source, node) or ast.dump(node)


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


# -------------------------------------------------------------------- values of the names


def parse_assignment(text):
    """'w=2' -> ('w', 2.0); anything else is an ExpressionError. The name is kept as written (see python_name).

    >>> parse_assignment("w = -0.5")
    ('w', -0.5)
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ExpressionError(f"{shorten(text)!r} is not name=value (for example x=1.5)")
    if python_name(name) in FUNCTIONS:
        raise ExpressionError(f"{shorten(name)!r} is a function name and cannot be a variable")
    try:
        number = float(value)
    except ValueError:
        raise ExpressionError(f"the value of {shorten(name)!r} must be a number, got {shorten(value.strip())!r}") from None
    return name, number


def variables(assignments):
    """Leaf Values by the name Python reads, from ``(name, number)`` pairs; each labelled as the user wrote it.

    A name given twice, or two names that Python reads as one (ﬁ and fi), is an ExpressionError.

    >>> sorted(variables([("x", 1.0), ("w", 2.0)]))
    ['w', 'x']
    """
    found = {}
    for name, number in assignments:
        same = found.get(python_name(name))
        if same is not None:
            if same.label == name:
                raise ExpressionError(f"{shorten(name)!r} is given twice")
            raise ExpressionError(
                f"{shorten(same.label)} and {shorten(name)} are the same name to Python (NFKC makes both "
                f"{shorten(python_name(name))}); give it once"
            )
        found[python_name(name)] = Value(number, label=name)
    return found


def parse_variables(text):
    """``"x=1 w=2, b=-0.5"`` -> Values by name: assignments apart by spaces, commas, semicolons or new lines.

    >>> {name: value.data for name, value in parse_variables("x=1, w = 2; b=-0.5").items()}
    {'x': 1.0, 'w': 2.0, 'b': -0.5}
    """
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the values are {len(text):,} characters long, more than the {MAX_EXPRESSION_LENGTH:,} read")
    spaced = re.sub(r"\s*=\s*", "=", text.strip())  # "w = 2" is one assignment, not three words
    return variables(parse_assignment(part) for part in re.split(r"[\s,;]+", spaced) if part)
