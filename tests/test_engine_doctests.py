"""Every ``>>>`` example in the engine's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import engine

# Every module of the engine, found rather than listed, so that a new one is checked too
# (__main__ would run the CLI).
MODULES = ["engine"] + [
    info.name for info in pkgutil.iter_modules(engine.__path__, "engine.") if info.name != "engine.__main__"
]


def test_the_engine_modules_are_found():
    assert {"engine.value", "engine.operation", "engine.operations", "engine.backward"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"
