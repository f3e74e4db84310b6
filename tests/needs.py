"""What some tests need from outside Python: PyTorch, Graphviz's ``dot``, Chromium, npm.

Locally, a test that needs one of them is skipped when it is missing. In CI (``CI=true``) it fails
instead: CI installs them, so a missing tool is a broken setup. The one exception is what
``.ci/run`` names in ``CI_WITHOUT`` (comma-separated): PyTorch's wheel exists for one Python only,
so the suite's runs on the others say ``CI_WITHOUT=torch``.

A module of its own, not conftest.py, so that test modules can import it: demos/ has a conftest.py
too, and ``from conftest import`` would find whichever comes first on sys.path.
"""

import importlib
import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
CI_WITHOUT = {name.strip() for name in os.environ.get("CI_WITHOUT", "").split(",") if name.strip()}

# Headless Chromium on a closed network, as root: without the background-networking flags it keeps
# trying Google's hosts (refused here), and as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what, name):
    message = f"{what} is not installed"
    if IN_CI and name not in CI_WITHOUT:
        pytest.fail(f"{message}, but CI must run this test (see .ci/run)", pytrace=False)
    pytest.skip(message)


def need_module(name):
    """Import an optional module for a test, or skip (locally) / fail (CI)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {name!r}", name.partition(".")[0])


def need_program(name, *fallbacks):
    """Path of an external program for a test, or skip (locally) / fail (CI)."""
    for candidate in (name, *fallbacks):
        path = shutil.which(candidate)
        if path:
            return path
    missing(f"the program {name!r}", name)
