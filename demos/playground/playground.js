// The playground page: inputs, pictures and the address bar. Python runs in worker.mjs, never here.
//
// The page's state lives in its address, so a link reproduces what you see:
//   index.html#f=tanh(w*x+b)&x=1&w=2&b=-0.5&show.wrt=w&show.practice=1&net.data=moons&net.hidden=4,4
// "f" is the expression and every other name a variable (the names are checked by Python, which
// parses what is typed: this file never reads an expression). Settings have a dot in their key,
// which no variable name can have.
"use strict";

const SETTINGS = { wrt: "show.wrt", practice: "show.practice", dataset: "net.data", hidden: "net.hidden",
  activation: "net.act", lr: "net.lr" };
const BLUE = [37, 99, 235], ORANGE = [234, 88, 12], WHITE = [255, 255, 255]; // the network view's colours

const $ = (id) => document.getElementById(id);
const worker = new Worker("worker.mjs", { type: "module" });
const waiting = new Map(); // call id -> {resolve, reject}
let nextId = 0;
let options = null; // playground.py's lists and defaults, once Python is up
let shown = { expression: "", variables: [], wrt: "", practice: false }; // what the expression panel shows
let network = null; // the latest view of the network panel
let training = false;
let trainWhenReady = false;

function call(name, ...args) {
  const id = nextId++;
  worker.postMessage({ id, call: name, args });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

function setState(state) {
  document.body.dataset.state = state;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  setState("error");
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
  setState("ready");
}

// -------------------------------------------------------------------- the address

function encode(text) {
  // Readable links: keep the characters of arithmetic as they are; & # % and spaces must be escaped.
  return encodeURIComponent(text).replace(/%2B/g, "+").replace(/%2F/g, "/").replace(/%2C/g, ",")
    .replace(/%3A/g, ":").replace(/%3B/g, ";");
}

function readHash() {
  // Not URLSearchParams: it reads + as a space, and f=w*x+b must keep its plus.
  const pairs = [];
  for (const part of location.hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const at = part.indexOf("=");
    const key = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? "" : part.slice(at + 1);
    try {
      pairs.push([decodeURIComponent(key), decodeURIComponent(value)]);
    } catch {
      pairs.push([key, value]); // a lone % is kept as written; Python will say what is wrong
    }
  }
  return pairs;
}

function writeHash() {
  const parts = [];
  if (shown.expression) parts.push(`f=${encode(shown.expression)}`);
  for (const [name, value] of shown.variables) parts.push(`${encode(name)}=${encode(value)}`);
  if (shown.wrt) parts.push(`${SETTINGS.wrt}=${encode(shown.wrt)}`);
  if (shown.practice) parts.push(`${SETTINGS.practice}=1`);
  if (network) {
    const settings = network.settings;
    for (const key of ["dataset", "hidden", "activation", "lr"]) {
      if (String(settings[key]).replace(/\s/g, "") !== String(options.defaults[key]).replace(/\s/g, "")) {
        parts.push(`${SETTINGS[key]}=${encode(String(settings[key]).replace(/\s/g, ""))}`);
      }
    }
  }
  const hash = "#" + parts.join("&");
  if (hash !== location.hash) history.replaceState(null, "", hash === "#" ? location.pathname : hash);
}

function applyHash() {
  const pairs = readHash();
  const settings = Object.fromEntries(pairs.filter(([key]) => key.includes(".")));
  const expression = pairs.find(([key]) => key === "f");
  if (expression) {
    $("expression").value = expression[1];
    $("values").value = pairs.filter(([key]) => key !== "f" && !key.includes("."))
      .map(([key, value]) => `${key}=${value}`).join(" ");
  }
  shown.wrt = settings[SETTINGS.wrt] || "";
  shown.practice = settings[SETTINGS.practice] === "1";
  for (const key of ["dataset", "hidden", "activation", "lr"]) {
    const value = settings[SETTINGS[key]];
    if (value !== undefined) $(key === "lr" ? "lr" : key).value = key === "hidden" ? value.replace(/,/g, ", ") : value;
  }
}

// -------------------------------------------------------------------- the expression panel

async function evaluate() {
  const answer = await call("expression", $("expression").value, $("values").value, shown.wrt);
  // Counts the answers, so that a test (or a curious reader) can tell a new answer from the same one.
  document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
  if (answer.error) {
    showError(answer.error);
    return;
  }
  shown = { ...shown, expression: $("expression").value.trim(), variables: answer.variables, wrt: answer.wrt };
  $("value").textContent = answer.value;
  $("gradients").textContent = answer.gradients.join("\n");
  const wrt = $("wrt");
  wrt.replaceChildren(...answer.variables.map(([name]) => new Option(name, name, false, name === answer.wrt)));
  $("explanation").textContent = answer.explanation;
  $("graph-note").hidden = !answer.graph_error;
  $("graph-note").textContent = answer.graph_error || "";
  $("graph").innerHTML = answer.graph; // SVG made by Graphviz from chainrule's DOT, labels escaped there
  showStepper(answer.stepper);
  writeHash();
  clearError();
}

function showStepper(fragment) {
  const holder = $("stepper");
  holder.innerHTML = fragment;
  // Scripts set by innerHTML do not run; the stepper's own script is run by copying it into a new element.
  for (const old of holder.querySelectorAll("script:not([type])")) {
    const script = document.createElement("script");
    script.textContent = old.textContent;
    old.replaceWith(script);
  }
  const practice = holder.querySelector("input.practice-mode");
  if (practice) {
    if (shown.practice && !practice.checked) practice.click();
    practice.addEventListener("change", () => {
      shown.practice = practice.checked;
      writeHash();
    });
  }
}

// -------------------------------------------------------------------- the network panel

function settings() {
  return [$("dataset").value, $("hidden").value, $("activation").value, Number($("lr").value)];
}

async function configure() {
  await pause();
  const answer = await call("configure", ...settings());
  if (answer.error) {
    $("network-error").textContent = answer.error;
    $("network-error").hidden = false;
    return false;
  }
  $("network-error").hidden = true;
  showNetwork(answer);
  writeHash();
  return true;
}

function showNetwork(view) {
  network = view;
  $("step").textContent = String(view.step);
  $("loss").textContent = String(Number(view.loss.toPrecision(6)));
  $("test-loss").textContent = String(Number(view.test_loss.toPrecision(6)));
  $("network").innerHTML = view.network;
  // A thin line is hard to hit: each gets a wide transparent twin that takes its clicks.
  for (const path of $("network").querySelectorAll("g.edge path")) {
    const twin = path.cloneNode();
    twin.classList.add("hit");
    twin.setAttribute("stroke", "transparent");
    twin.setAttribute("stroke-width", "10");
    twin.removeAttribute("stroke-dasharray");
    path.after(twin);
  }
  drawBoundary(view);
  drawLosses(view.losses);
}

function showSteps(answer) {
  $("step").textContent = String(answer.step);
  $("loss").textContent = String(Number(answer.loss.toPrecision(6)));
}

function mix(p) {
  // P(label 1) = p: orange at 0, white at 0.5, blue at 1, as TensorFlow Playground shades its plane.
  const [from, to, t] = p < 0.5 ? [ORANGE, WHITE, p * 2] : [WHITE, BLUE, (p - 0.5) * 2];
  return from.map((c, i) => Math.round(c + (to[i] - c) * t));
}

function toCanvas(view, canvas, x, y) {
  const [x0, x1, y0, y1] = view.extent;
  return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
}

function drawBoundary(view) {
  const canvas = $("boundary");
  const context = canvas.getContext("2d");
  const rows = view.grid.length, columns = view.grid[0].length;
  const image = context.createImageData(columns, rows);
  view.grid.forEach((row, r) => row.forEach((p, c) => {
    const [red, green, blue] = mix(p);
    image.data.set([red, green, blue, 160], (r * columns + c) * 4);
  }));
  // Drawn small, then scaled up smoothly: the grid becomes a continuous shading.
  const small = new OffscreenCanvas(columns, rows);
  small.getContext("2d").putImageData(image, 0, 0);
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
  const dot = (x, y, label, ring) => {
    const [cx, cy] = toCanvas(view, canvas, x, y);
    context.beginPath();
    context.arc(cx, cy, ring ? 3.5 : 3, 0, 2 * Math.PI);
    const colour = `rgb(${(label ? BLUE : ORANGE).join(",")})`;
    if (ring) {
      context.strokeStyle = colour;
      context.lineWidth = 1.5;
      context.stroke();
    } else {
      context.fillStyle = colour;
      context.fill();
      context.strokeStyle = "white";
      context.lineWidth = 1;
      context.stroke();
    }
  };
  view.test_points.forEach(([x, y, label]) => dot(x, y, label, true));
  view.points.forEach(([x, y, label]) => dot(x, y, label, false));
  const [x, y] = view.points[view.example];
  const [cx, cy] = toCanvas(view, canvas, x, y);
  context.beginPath();
  context.arc(cx, cy, 8, 0, 2 * Math.PI);
  context.strokeStyle = "black";
  context.lineWidth = 2;
  context.stroke();
}

function drawLosses(losses) {
  const svg = $("loss-curve");
  const width = 300, height = 150, pad = 6;
  const last = Math.max(1, losses[losses.length - 1][0]);
  const top = Math.max(...losses.map(([, train, test]) => Math.max(train, test)), 1e-9);
  const line = (k) => losses.map((point) => `${(pad + (point[0] / last) * (width - 2 * pad)).toFixed(1)},` +
    `${(height - pad - (point[k] / top) * (height - 2 * pad)).toFixed(1)}`).join(" ");
  svg.innerHTML = `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#9ca3af"/>` +
    `<polyline points="${line(2)}" fill="none" stroke="#6b7280" stroke-dasharray="4 3" stroke-width="1.5"/>` +
    `<polyline points="${line(1)}" fill="none" stroke="#111827" stroke-width="1.5"/>` +
    `<text x="${width - pad}" y="14" text-anchor="end" font-size="11">max ${Number(top.toPrecision(3))}</text>`;
}

async function pause() {
  if (!training) return;
  training = false;
  worker.postMessage({ call: "pause" });
  $("train-button").textContent = "Train";
}

function train() {
  if (document.body.dataset.state === "loading") {
    trainWhenReady = true; // clicked as the page opened: start as soon as Python is up
    $("train-button").textContent = "Pause";
    return;
  }
  if (training) {
    pause();
    return;
  }
  training = true;
  $("train-button").textContent = "Pause";
  worker.postMessage({ call: "start" });
}

async function step() {
  await pause();
  const answer = await call("train", 0, true); // one step: train() always takes at least one
  if (answer.error) {
    $("network-error").textContent = answer.error;
    $("network-error").hidden = false;
    return;
  }
  showNetwork(answer);
}

async function explainWeight(event) {
  const edge = event.target.closest("g.edge");
  if (!edge || !/^L\d+\.N\d+\.w\d+$/.test(edge.id)) return;
  const answer = await call("explain_weight", edge.id);
  if (answer.error) {
    $("weight-explanation").textContent = answer.error;
    return;
  }
  $("network").querySelectorAll("g.edge.explained").forEach((g) => g.classList.remove("explained"));
  const again = $("network").querySelector(`[id="${edge.id}"]`);
  if (again) again.classList.add("explained");
  $("weight-explanation").textContent = `${answer.weight}, on ${answer.example}: grad ${answer.grad}\n\n${answer.explanation}`;
}

async function pickExample(event) {
  if (!network) return;
  const canvas = $("boundary");
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.height;
  let best = 0, bestDistance = Infinity;
  network.points.forEach(([px, py], i) => {
    const [cx, cy] = toCanvas(network, canvas, px, py);
    const distance = (cx - x) ** 2 + (cy - y) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [i, distance];
  });
  const answer = await call("pick_example", best);
  if (!answer.error) showNetwork(answer);
}

// -------------------------------------------------------------------- messages from the worker

worker.onmessage = async (event) => {
  const message = event.data;
  if (message.id !== undefined) {
    const { resolve, reject } = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.failure) {
      showError(`chainrule failed (a bug, please report it): ${message.failure.trim().split("\n").pop()}`);
      console.error(message.failure);
      reject(new Error(message.failure));
    } else {
      resolve(message.answer);
    }
    return;
  }
  if (message.kind === "progress") {
    $("load-progress").value = message.fraction;
    $("load-stage").textContent = `${message.stage}…`;
  } else if (message.kind === "ready") {
    options = message.options;
    await start();
  } else if (message.kind === "failed") {
    $("load-stage").textContent = "Could not start Python.";
    showError(`the playground could not start: ${message.message}`);
  } else if (message.kind === "view") {
    showNetwork(message.answer);
  } else if (message.kind === "steps") {
    showSteps(message.answer);
  } else if (message.kind === "stopped") {
    training = false;
    $("train-button").textContent = "Train";
    if (message.answer) showNetwork(message.answer);
    if (message.error || message.failure) {
      $("network-error").textContent = message.error || message.failure;
      $("network-error").hidden = false;
    }
  }
};

worker.onerror = (event) => showError(`the playground's worker failed: ${event.message || "see the console"}`);

async function start() {
  const fill = (id, values) => $(id).replaceChildren(...values.map((v) => new Option(String(v), String(v))));
  fill("dataset", options.datasets);
  fill("activation", options.activations);
  fill("lr", options.learning_rates);
  const defaults = options.defaults;
  $("dataset").value = defaults.dataset;
  $("hidden").value = defaults.hidden;
  $("activation").value = defaults.activation;
  $("lr").value = String(defaults.lr);
  applyHash();
  $("load-progress").value = 0.95;
  $("load-stage").textContent = "Drawing…";
  if (!(await configure())) {
    for (const key of ["dataset", "hidden", "activation", "lr"]) $(key).value = String(defaults[key]);
    await configure();
  }
  await evaluate();
  $("loading").hidden = true;
  if (document.body.dataset.state !== "error") setState("ready");
  if (trainWhenReady) {
    trainWhenReady = false;
    train();
  }
}

// -------------------------------------------------------------------- wiring

$("expression-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (document.body.dataset.state !== "loading") {
    shown.wrt = $("wrt").value || shown.wrt;
    evaluate();
  }
});
$("wrt").addEventListener("change", () => {
  shown.wrt = $("wrt").value;
  evaluate();
});
$("share-button").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(location.href);
    $("share-button").textContent = "Link copied";
  } catch {
    $("share-button").textContent = "Copy the address bar";
  }
  setTimeout(() => ($("share-button").textContent = "Copy link"), 2000);
});
$("train-button").addEventListener("click", train);
$("step-button").addEventListener("click", step);
$("reset-button").addEventListener("click", configure);
for (const id of ["dataset", "activation", "lr"]) $(id).addEventListener("change", configure);
$("hidden").addEventListener("change", configure);
$("hidden").addEventListener("keydown", (event) => {
  if (event.key === "Enter") $("hidden").blur(); // which fires "change" once
});
$("network").addEventListener("click", explainWeight);
$("boundary").addEventListener("click", pickExample);
window.addEventListener("hashchange", () => {
  // A link edited by hand in the address bar (the page itself writes with replaceState, which fires nothing).
  if (document.body.dataset.state === "loading") return;
  const before = JSON.stringify(settings());
  applyHash();
  evaluate();
  if (JSON.stringify(settings()) !== before) configure(); // a new network only if its settings changed
});
