"""Shared test setup: hypothesis profiles, and the optional tools some tests need.

Locally, a test that needs PyTorch, Graphviz's ``dot`` or Chromium is skipped when the tool is
missing. In CI (``CI=true``) it fails instead: CI installs them, so a missing tool is a broken setup.
The one exception is what ``.ci/run`` names in ``CI_WITHOUT`` (comma-separated): PyTorch's wheel
exists for one Python only, so the suite's runs on the others say ``CI_WITHOUT=torch``.
"""

import importlib
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() == "true"
CI_WITHOUT = {name.strip() for name in os.environ.get("CI_WITHOUT", "").split(",") if name.strip()}

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _missing(what, name):
    message = f"{what} is not installed"
    if IN_CI and name not in CI_WITHOUT:
        pytest.fail(f"{message}, but CI must run this test (see .ci/run)", pytrace=False)
    pytest.skip(message)


def need_module(name):
    """Import an optional module for a test, or skip (locally) / fail (CI)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python package {name!r}", name.partition(".")[0])


def need_program(name, *fallbacks):
    """Path of an external program for a test, or skip (locally) / fail (CI)."""
    for candidate in (name, *fallbacks):
        path = shutil.which(candidate)
        if path:
            return path
    _missing(f"the program {name!r}", name)


@pytest.fixture
def torch():
    """PyTorch, set to float64 for exact parity checks; the previous default dtype comes back after the test."""
    module = need_module("torch")
    previous = module.get_default_dtype()
    module.set_default_dtype(module.float64)
    yield module
    module.set_default_dtype(previous)


@pytest.fixture
def dot_program():
    """The program that renders drawings: Graphviz's ``dot``, or graphviz-pure, which pip installs.

    (The name is from the days when only ``dot`` could render; ``engine.render`` picks the program.)
    """
    from engine.render import GraphvizNotFound, renderer

    try:
        return renderer()[1]
    except GraphvizNotFound:
        _missing("a renderer (Graphviz's dot or graphviz-pure)", "dot")


@pytest.fixture
def graphviz_dot():
    """Graphviz's own ``dot`` (not graphviz-pure), for tests that compare the two renderers."""
    return need_program("dot")


@pytest.fixture
def chromium_path():
    """A Chromium (or Chrome) binary for browser tests."""
    return need_program("chromium", "chromium-browser", "google-chrome")


@pytest.fixture
def micrograd():
    """micrograd 0.1.0's engine module (the benchmark's peer)."""
    return need_module("micrograd.engine")


@pytest.fixture
def playwright_sync_api():
    """Playwright's synchronous API, to drive the system's Chromium."""
    return need_module("playwright.sync_api")
