"""Every ``>>>`` example in nn's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import nn

# Every module of nn, found rather than listed, so that a new one is checked too (__main__ would run the CLI).
MODULES = ["nn"] + [info.name for info in pkgutil.iter_modules(nn.__path__, "nn.") if info.name != "nn.__main__"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"
