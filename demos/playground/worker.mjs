// The playground's Web Worker: Python (Pyodide) with chainrule, and Graphviz (viz.js), off the page's thread.
//
// The page posts {id, call, args}; the worker runs playground.py's function `call` and posts back
// {id, answer} (the function's JSON, parsed) or {id, failure} (a bug: a Python traceback). Training
// runs here in slices of SLICE_MS, each followed by a pause in which the page's messages (Pause, an
// expression) are answered, so the page itself never waits on Python. Every file comes from this
// site: Pyodide from ./pyodide/, viz.js from ./viz/, chainrule and its dependencies as wheels.

import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const SLICE_MS = 120; // Python trains this long between two chances to read the page's messages
const VIEW_EVERY_MS = 300; // a slice ends with a new view (network, heat map, losses) at most this often

const post = (message) => self.postMessage(message);
const progress = (stage, fraction) => post({ kind: "progress", stage, fraction });
let python = null; // playground.py, once loaded
let training = false;

const booted = boot().catch((error) => {
  post({ kind: "failed", message: String(error && error.message ? error.message : error) });
  throw error;
});

async function fetched(path) {
  const response = await fetch(new URL(path, import.meta.url));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return response;
}

async function boot() {
  progress("Downloading Python (Pyodide) and Graphviz", 0.05);
  const manifest = fetched("./manifest.json").then((response) => response.json());
  const [pyodide, viz] = await Promise.all([
    loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href }),
    vizInstance(),
  ]);
  // The documented hook of engine/render.py: under Pyodide, every drawing is rendered by this.
  globalThis.chainruleRender = (source, format) => viz.renderString(source, { format });

  progress("Installing chainrule", 0.7);
  const { wheels } = await manifest;
  for (const wheel of wheels) {
    const data = await (await fetched(`./wheels/${wheel}`)).arrayBuffer();
    pyodide.unpackArchive(data, "wheel");
  }
  const source = await (await fetched("./playground.py")).text();
  pyodide.FS.writeFile(`${pyodide.runPython("import os; os.getcwd()")}/playground.py`, source);

  progress("Importing chainrule", 0.85);
  python = pyodide.pyimport("playground");
  post({ kind: "ready", options: JSON.parse(python.options()) });
}

function run(call, args) {
  const answer = JSON.parse(python[call](...args));
  return answer;
}

async function trainInSlices() {
  let lastView = 0;
  while (training) {
    const withView = performance.now() - lastView >= VIEW_EVERY_MS;
    let answer;
    try {
      answer = run("train", [SLICE_MS, withView]);
    } catch (error) {
      training = false;
      post({ kind: "stopped", failure: String(error) });
      return;
    }
    if (answer.error) {
      training = false;
      post({ kind: "stopped", error: answer.error });
      return;
    }
    if (withView) lastView = performance.now();
    post({ kind: withView ? "view" : "steps", answer });
    await new Promise((resolve) => setTimeout(resolve, 0)); // the page's messages are read here
  }
  post({ kind: "stopped", answer: run("view", []) });
}

self.onmessage = async (event) => {
  const { id, call, args } = event.data;
  try {
    await booted;
  } catch {
    return; // "failed" has been posted
  }
  if (call === "start") {
    if (!training) {
      training = true;
      trainInSlices();
    }
    return;
  }
  if (call === "pause") {
    training = false;
    return;
  }
  try {
    post({ id, answer: run(call, args || []) });
  } catch (error) {
    post({ id, failure: String(error) });
  }
};
