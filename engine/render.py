"""Turn DOT source into a picture, with Graphviz's ``dot`` where it is installed and graphviz-pure otherwise.

graphviz-pure (a dependency, so pip installs it) is a port of Graphviz to Rust with ``dot``'s flags:
every machine that has chainrule can render. Where Graphviz is installed we prefer its ``dot``, the
reference. Drawing in Jupyter, ``draw(...).pipe()`` and ``.render()``, ``write()``, the stepper, the
engine's ``--draw`` and the main demo all render here, so they all make the same choice.

The environment variable CHAINRULE_RENDERER (``dot`` or ``graphviz-pure``) forces one of them.

In a browser, under Pyodide (``sys.platform == "emscripten"``), no program can be started. There the
page renders: it defines the JavaScript function ``globalThis.chainruleRender(source, format)``,
which returns the picture as text, and every drawing goes through it. With ``@viz-js/viz``
(Graphviz in WebAssembly), as the playground (demos/playground/worker.mjs) does::

    const viz = await (await import("./viz/viz.js")).instance();
    globalThis.chainruleRender = (source, format) => viz.renderString(source, { format });
"""

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from engine.files import write_atomically

RENDERERS = ("dot", "graphviz-pure")  # in order of preference
ENVIRONMENT_VARIABLE = "CHAINRULE_RENDERER"
TIMEOUT_SECONDS = 120  # the main demo's whole network takes under a second; a minute more is a hang
INSTALL = (
    "install chainrule's dependencies, which include graphviz-pure ('pip install graphviz-pure'), "
    "or Graphviz's dot ('apt-get install graphviz', 'brew install graphviz' or 'conda install -c conda-forge graphviz')"
)


BROWSER_HOOK = "chainruleRender"  # under Pyodide: the page's JavaScript function (source, format) -> text


class RenderError(RuntimeError):
    """A drawing could not be rendered: the renderer failed, or there is none."""


class GraphvizNotFound(RenderError):
    """Neither Graphviz's ``dot`` nor graphviz-pure can be found."""


def renderer():
    """The renderer to run: (its name, the path of its program).

    ``dot`` if it is found, else ``graphviz-pure``; CHAINRULE_RENDERER names one to use instead. A
    program is looked for on PATH and beside the running Python (``.venv/bin``), where pip installs
    commands even when the virtual environment is not activated.

    In a browser (Pyodide) it is the page's function: ``("browser", globalThis.chainruleRender)``.

    >>> renderer()                                  # doctest: +SKIP
    ('dot', '/usr/bin/dot')
    """
    if sys.platform == "emscripten":
        return "browser", browser_hook()
    forced = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if forced and forced not in RENDERERS:
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be one of {', '.join(RENDERERS)} (or unset), got {forced!r}")
    for name in (forced,) if forced else RENDERERS:
        path = find_program(name)
        if path:
            return name, path
    wanted = f"{forced} (asked for by {ENVIRONMENT_VARIABLE})" if forced else " or ".join(RENDERERS)
    raise GraphvizNotFound(f"no renderer for drawings: {wanted} was not found. To render, {INSTALL}.")


def browser_hook():
    """The page's ``globalThis.chainruleRender``, under Pyodide; GraphvizNotFound if the page has none."""
    import js  # Pyodide's view of the page's JavaScript globals

    hook = getattr(js, BROWSER_HOOK, None)
    if hook is None:
        raise GraphvizNotFound(
            f"no renderer for drawings in this browser: define globalThis.{BROWSER_HOOK}(source, format), "
            "returning the picture as text, e.g. with Graphviz in WebAssembly (npm @viz-js/viz); see engine/render.py"
        )
    return hook


def find_program(name):
    """The path of the program ``name`` on PATH or beside the running Python, or None."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def render(source, format="svg"):
    """Render DOT ``source`` (text) in ``format`` ("svg", "png", ...) with ``renderer()``; returns the bytes.

    Raises RenderError, in one line naming the renderer and what it said, if rendering fails.

    >>> render("digraph { a -> b }")[:5]
    b'<?xml'
    """
    if not isinstance(format, str) or not re.fullmatch(r"[a-z0-9_:.]+", format):
        raise ValueError(f"a format is a name such as 'svg' or 'png', got {format!r}")
    name, path = renderer()
    if name == "browser":
        return _render_in_browser(path, source, format)
    try:
        result = subprocess.run(
            [path, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{name} ({path}) took more than {TIMEOUT_SECONDS} s to render the drawing as {format}: "
            "draw a smaller part of the graph"
        ) from None
    if result.returncode != 0:
        said = " ".join(result.stderr.decode("utf-8", errors="replace").split()) or "nothing on stderr"
        raise RenderError(
            f"{name} ({path}) could not render the drawing as {format} (exit status {result.returncode}): {said}"
        )
    return result.stdout


def _render_in_browser(hook, source, format):
    try:
        picture = hook(source, format)
    except Exception as failure:  # pyodide.ffi.JsException: Graphviz's message, as JavaScript threw it
        said = " ".join(str(failure).split()) or type(failure).__name__
        raise RenderError(f"the page's {BROWSER_HOOK} could not render the drawing as {format}: {said}") from None
    if not isinstance(picture, str):
        raise RenderError(f"the page's {BROWSER_HOOK} returned {type(picture).__name__}, not the picture as text")
    return picture.encode("utf-8")


# -------------------------------------------------------------------- the drawing class


@functools.lru_cache(maxsize=None)
def drawing_class():
    """graphviz.Digraph, rendered by ``engine.render`` (dot where installed, else graphviz-pure).

    Every drawing the project makes is one (nn's network view too), so they all render the same way.
    """
    import graphviz

    class Drawing(graphviz.Digraph):
        def pipe(self, format=None, *, encoding=None):
            """The picture in ``format`` (default ``self.format``): bytes, or text if ``encoding`` is given."""
            picture = render(self.source, format or self.format)
            return picture.decode(encoding) if encoding else picture

        def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, *, outfile=None):
            """Render to ``outfile`` (its suffix names the format), writing nothing else; returns its path.

            Without ``outfile``, as graphviz does: save the source to ``filename`` and render it to
            ``filename.format`` beside it (``cleanup=True`` removes the source afterwards).
            """
            if outfile is not None:
                path = os.path.join(directory, outfile) if directory else os.fspath(outfile)
                format = format or os.path.splitext(path)[1][1:].lower()
                write_atomically(path, self.pipe(format))
            else:
                format = format or self.format
                source = self.save(filename, directory)
                path = write_atomically(f"{source}.{format}", self.pipe(format))
                if cleanup:
                    os.remove(source)
            if view:
                self._view(path, format=format, quiet=False)
            return path

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            # In a notebook, a line saying what went wrong reads better than a traceback.
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except RenderError as failure:
                return {"text/plain": str(failure)}

    return Drawing
