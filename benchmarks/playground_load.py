"""How long the browser playground takes to open, cold, against bare Pyodide opened the same way.

Builds the site (demos/playground/build.py), serves it on localhost and opens it in headless
Chromium, each time in a new browser context (an empty cache) with every request outside the site
aborted. The playground is timed from navigation until ``document.body.dataset.state`` is
``ready`` (Python up, chainrule installed, the first expression evaluated, drawn and stepped, the
first network drawn). The peer, timed in turns with it, is a page whose worker only starts the same
Pyodide and runs ``1 + 1``: what any Python page pays, so the ratio is what chainrule adds.

    python benchmarks/playground_load.py [--repetitions 3] [--chromium /usr/bin/chromium]
"""

import argparse
import functools
import http.server
import importlib.util
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PEER_PAGE = """<!DOCTYPE html><html><body data-state="loading"><script>
const worker = new Worker("peer.mjs", { type: "module" });
worker.onmessage = (event) => { document.body.dataset.answer = event.data; document.body.dataset.state = "ready"; };
</script></body></html>"""
PEER_WORKER = """import { loadPyodide } from "./pyodide/pyodide.mjs";
const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
self.postMessage(String(pyodide.runPython("1 + 1")));"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def cold_load(browser, origin, page_name):
    """Seconds from navigation to state ready, in a fresh context with outside requests aborted."""
    context = browser.new_context()
    outside = []

    def route(route):
        if route.request.url.startswith(origin + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{origin}/{page_name}")
    page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=120_000)
    seconds = time.perf_counter() - started
    state = page.evaluate("document.body.dataset.state")
    context.close()
    if state != "ready" or outside:
        raise RuntimeError(f"{page_name}: state {state}, {len(outside)} requests outside the site")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    spec = importlib.util.spec_from_file_location("chainrule_build", ROOT / "demos" / "playground" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        summary = build.build(site, quiet=True)
        (site / "peer.html").write_text(PEER_PAGE)  # beside the site's Pyodide: the same files, the same server
        (site / "peer.mjs").write_text(PEER_WORKER)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        times = {"playground": [], "bare Pyodide": []}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            for repetition in range(args.repetitions):
                turns = [("playground", "index.html"), ("bare Pyodide", "peer.html")]
                for name, page in turns if repetition % 2 == 0 else turns[::-1]:  # taking turns: drift hits both
                    times[name].append(cold_load(browser, origin, page))
            browser.close()
        server.shutdown()
    playground, peer = (statistics.median(times[name]) for name in times)
    print(f"site: {summary['bytes'] / 1e6:.1f} MB in {summary['files']} files (Pyodide {summary['pyodide']}, "
          f"viz.js {summary['viz']}); built in {summary['seconds']:.1f} s")
    for name, seconds in times.items():
        print(f"{name:>12}: median {statistics.median(seconds):.2f} s to ready, cold "
              f"({', '.join(f'{s:.2f}' for s in seconds)})")
    print(f"playground / bare Pyodide: {playground / peer:.2f}x")
    print(json.dumps({"bytes": summary["bytes"], "seconds": times}))


if __name__ == "__main__":
    main()
