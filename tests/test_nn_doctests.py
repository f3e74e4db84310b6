"""Every ``>>>`` example in nn's docstrings runs and prints what it says."""

import doctest
import importlib

import pytest

MODULES = ["nn", "nn.module", "nn.losses", "nn.optim", "nn.datasets", "nn.serialize", "nn.train", "nn.history", "nn.torch_bridge"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"
