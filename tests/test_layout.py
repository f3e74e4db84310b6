"""The source's own budgets: the core stays short enough to read in one sitting, and files import in one direction.

These are the limits the project holds itself to (issue 21): engine/value.py and engine/backward.py
together read like micrograd's 94 lines (at most 350), no file in engine/ or nn/ is over 300 lines,
and no file imports, directly or through others, a file that imports it back.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "nn")
SOURCES = sorted(path for package in PACKAGES for path in (ROOT / package).glob("*.py"))


def lines(path):
    return len(path.read_text().splitlines())


def test_the_core_is_at_most_350_lines():
    core = lines(ROOT / "engine" / "value.py") + lines(ROOT / "engine" / "backward.py")
    assert core <= 350, f"engine/value.py + engine/backward.py are {core} lines"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_file_is_over_300_lines(path):
    assert lines(path) <= 300, f"{path.relative_to(ROOT)} is {lines(path)} lines: split it by what it does"


def module_name(path):
    return path.parent.name if path.stem == "__init__" else f"{path.parent.name}.{path.stem}"


def imported_files(path):
    """The engine/nn modules that ``path`` imports anywhere in it (a function's import counts too).

    ``from nn import serialize`` names the file nn/serialize.py; ``from nn import MLP`` names the
    package, which is left out: a package's __init__ gathers names and is not a step in a circle.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            if node.module in PACKAGES:
                found |= {f"{node.module}.{alias.name}" for alias in node.names
                          if (ROOT / node.module / f"{alias.name}.py").exists()}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES}
    return found - set(PACKAGES) - {module_name(path)}


def find_circle(imports):
    """One import circle as a list of modules that starts and ends with the same one, or None."""
    state = {}  # module -> "open" while its imports are being followed, "done" after

    def visit(module, path):
        state[module] = "open"
        for other in sorted(imports.get(module, ())):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state and (circle := visit(other, path + [other])):
                return circle
        state[module] = "done"
        return None

    for module in sorted(imports):
        if module not in state and (circle := visit(module, [module])):
            return circle
    return None


def test_find_circle_finds_one_and_only_one():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circles():
    imports = {module_name(path): imported_files(path) for path in SOURCES}
    assert imports["nn.layers"] >= {"nn.modules"}  # the scan does see imports
    circle = find_circle(imports)
    assert circle is None, "import circle: " + " -> ".join(circle)
