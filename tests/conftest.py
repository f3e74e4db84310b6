"""Shared test setup: hypothesis profiles, and fixtures for the optional tools some tests need (tests/needs.py)."""

import os

import pytest
from hypothesis import HealthCheck, settings

from needs import IN_CI, missing, need_module, need_program

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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
        missing("a renderer (Graphviz's dot or graphviz-pure)", "dot")


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
