"""The notebooks run as tests (nbmake). One of them needs PyTorch, an optional dependency.

Locally it is skipped when PyTorch is missing, like the other parity tests; in CI (``CI=true``)
it runs regardless, so a missing PyTorch there fails it instead of hiding it, except on the
Pythons for which CI has no PyTorch wheel (``.ci/run`` sets ``CI_WITHOUT=torch`` there).
"""

import importlib.util
import os

import pytest

NEEDS_TORCH = {"09_graduating_to_pytorch.ipynb"}


def pytest_collection_modifyitems(config, items):
    ci_requires_torch = os.environ.get("CI", "").lower() == "true" and "torch" not in os.environ.get("CI_WITHOUT", "")
    if ci_requires_torch or importlib.util.find_spec("torch") is not None:
        return
    for item in items:
        if item.path.name in NEEDS_TORCH:
            item.add_marker(pytest.mark.skip(reason="needs PyTorch (pip install torch)"))
