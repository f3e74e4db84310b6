"""The stepper page: self-contained HTML, saved atomically, and stepping in real headless Chromium."""

import contextlib
import json
import re

import pytest

from engine import Value, backward_steps, explain, stepper, topological_order
from engine.draw import node_ids
from needs import CHROMIUM_ARGS
from example_graphs import classic_chain



def steps_data(html):
    """The JSON the page's script reads."""
    match = re.search(r'<script type="application/json" class="chainrule-steps">(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1))


def test_page_is_self_contained_and_holds_every_step(dot_program):
    net = classic_chain()
    page = stepper(net.C)
    html = page.html
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<?xml" not in html
    # Nothing to fetch: no external scripts, styles, fonts or images.
    for fetch in ("<script src", "<link", "@import", "url(", "<img", "href="):
        assert fetch not in html
    data = steps_data(html)
    steps = list(backward_steps(classic_chain().C))
    working = [step for step in steps if step.updates]
    assert len(data["steps"]) == len(working) + 1  # the leaves finish together, in one last step
    for shown, step in zip(data["steps"], working):
        assert shown["text"].splitlines()[-len(step.updates) :] == [f"  {update}" for update in step.updates]
    for dot_id in data["nodes"] + data["edges"]:
        assert f'id="{dot_id}"' in html  # the script finds every node and edge it names
    assert "<html" not in page._repr_html_() and "chainrule-stepper" in page._repr_html_()


def test_stepper_leaves_the_grads_as_they_were(dot_program):
    net = classic_chain()
    net.C.backward()
    before = [node.grad for node in topological_order(net.C)]
    stepper(net.C)
    assert [node.grad for node in topological_order(net.C)] == before


def test_save_writes_atomically_and_overwrites(dot_program, tmp_path):
    page = stepper(classic_chain().C)
    target = tmp_path / "backprop.html"
    target.write_text("old")
    assert page.save(target) == str(target)
    assert target.read_text(encoding="utf-8") == page.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.html"]  # no temporary file left
    folder = tmp_path / "a folder"
    folder.mkdir()
    with pytest.raises(OSError):
        page.save(folder)  # cannot replace a folder: the error shows, and the temporary file is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder", "backprop.html"]


def test_stepper_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match="stepper needs a Value, got list"):
        stepper([1.0])


def test_clicking_next_moves_the_highlight_and_shows_the_next_numbers(
    dot_program, chromium_path, playwright_sync_api, tmp_path
):
    sync_api = playwright_sync_api
    net = classic_chain()
    path = stepper(net.C).save(tmp_path / "backprop.html")
    data = steps_data(open(path, encoding="utf-8").read())
    first, second = data["steps"][:2]
    first["node"], second["node"] = first["done"][0]["id"], second["done"][0]["id"]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors, fetched = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(f"file://{path}")

        def current():
            return sorted(page.eval_on_selector_all("g.current", "gs => gs.map(g => g.id)"))

        def grad_shown(dot_id):
            return page.eval_on_selector(f'[id="{dot_id}"]', "g => [...g.querySelectorAll('text')].pop().textContent")

        def flow_shown(dot_id):
            return grad_shown(dot_id)  # an edge's last label line, as a box's last cell

        # Step 1: the output C, its grad seeded to 1, passing 2d back to d.
        assert current() == [first["node"], first["node"] + "_op"]
        assert grad_shown(first["node"]) == "grad 1"
        assert "dC/dC = 1" in page.inner_text(".arithmetic")
        (to_d,) = first["updates"]
        assert grad_shown(to_d["parent"]) == to_d["grad"] and flow_shown(to_d["edge"]) == to_d["flow"]
        next_update = second["updates"][0]  # d = a3 - y passes its grad to a3 first
        assert grad_shown(next_update["parent"]) == data["unknown_grad"]  # not reached yet
        assert page.inner_text(".position") == f"step 1 of {len(data['steps'])}"

        page.click("button.next")

        # Step 2: d is highlighted instead, and a3 shows the grad d passed back to it.
        assert current() == [second["node"], second["node"] + "_op"]
        assert second["node"] != first["node"]
        assert grad_shown(next_update["parent"]) == next_update["grad"] != data["unknown_grad"]
        assert flow_shown(next_update["edge"]) == next_update["flow"]
        assert page.inner_text(".arithmetic") == second["text"]
        assert page.inner_text(".position") == f"step 2 of {len(data['steps'])}"

        page.click("button.previous")
        assert current() == [first["node"], first["node"] + "_op"]
        assert grad_shown(next_update["parent"]) == data["unknown_grad"]

        page.click("button.play")  # one step a second; wait for the next one, then pause
        page.wait_for_function("document.querySelector('.position').textContent.startsWith('step 2 ')", timeout=5000)
        page.click("button.play")
        browser.close()

    assert errors == []
    assert fetched == [f"file://{path}"]  # the page fetched nothing but itself


def test_ids_in_the_page_are_the_drawing_ids(dot_program):
    x = Value(3.0, label="x")
    y = x * x
    data = steps_data(stepper(y).html)
    ids = node_ids(topological_order(y)[::-1])
    assert data["steps"][0]["done"] == [{"id": ids[y], "grad": "grad 1"}]
    assert [u["edge"] for u in data["steps"][0]["updates"]] == [f"{ids[y]}_e0", f"{ids[y]}_e1"]
    assert [u["grad"] for u in data["steps"][0]["updates"]] == ["grad 3", "grad 6"]


# -------------------------------------------------------------------- fitting, practice, explanations


def neuron():
    """tanh(x1*w1 + x2*w2 + b), the lecture's neuron, every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    out = n.tanh()
    out.label = "o"
    return out


@contextlib.contextmanager
def browser_page(sync_api, chromium_path, path, width, height=800):
    """A headless Chromium page showing ``path``; fails the test if the page raised a JavaScript error."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"file://{path}")
        yield page
        browser.close()
    assert errors == []


IN_SIGHT = """id => {
  const box = document.querySelector(`[id="${id}"]`).getBoundingClientRect();
  const panel = document.querySelector(".panel").getBoundingClientRect();
  return box.left >= 0 && box.right <= innerWidth && box.top >= panel.bottom - 1 && box.bottom <= innerHeight;
}"""


@pytest.mark.parametrize("width", [960, 1400])
@pytest.mark.parametrize("graph", ["neuron LR", "neuron TB", "classic chain LR"])
def test_the_current_node_is_in_sight_at_every_step(
    graph, width, dot_program, chromium_path, playwright_sync_api, tmp_path
):
    output = neuron() if graph.startswith("neuron") else classic_chain().C
    path = stepper(output, rankdir=graph.split()[-1]).save(tmp_path / "backprop.html")
    data = steps_data(open(path, encoding="utf-8").read())
    with browser_page(playwright_sync_api, chromium_path, path, width) as page:
        for position, step in enumerate(data["steps"]):
            if position:
                page.click("button.next")
            assert page.inner_text(".position") == f"step {position + 1} of {len(data['steps'])}"
            assert page.evaluate(IN_SIGHT, step["done"][0]["id"]), f"step {position + 1} is out of sight"
        svg = page.eval_on_selector(".graph svg", "svg => [svg.getBoundingClientRect().width, innerWidth]")
        assert svg[0] <= svg[1] or graph.startswith("classic")  # fits; only the long chain scrolls


def test_practice_accepts_a_right_answer_and_rejects_a_wrong_one(
    dot_program, chromium_path, playwright_sync_api, tmp_path
):
    path = stepper(neuron()).save(tmp_path / "backprop.html")
    data = steps_data(open(path, encoding="utf-8").read())
    with browser_page(playwright_sync_api, chromium_path, path, 960) as page:
        page.check("input.practice-mode")
        (to_n,) = data["steps"][0]["updates"]  # o = tanh(n) passes (1 - o^2) * 1 = 0.5 back to n
        assert page.inner_text(".arithmetic") == data["steps"][0]["question"]
        flow = page.eval_on_selector(f'[id="{to_n["edge"]}"]', "g => [...g.querySelectorAll('text')].pop().textContent")
        assert flow == data["unknown_flow"]  # not given away before the answer
        page.fill(".answers input", "0.5001")  # right to 3 significant digits
        page.click("button.check")
        assert page.inner_text(".verdict") == f"right: {to_n['arithmetic']}"
        assert page.inner_text(".arithmetic") == data["steps"][0]["text"]  # the step is revealed

        page.click("button.next")  # n = (x1*w1 + x2*w2) + b passes 0.5 to each
        second = data["steps"][1]
        assert page.inner_text(".arithmetic") == second["question"]
        first_box, second_box = page.query_selector_all(".answers input")
        first_box.fill("0.5")
        second_box.fill("0.6")  # wrong
        page.click("button.check")
        verdicts = page.eval_on_selector_all(".verdict", "vs => vs.map(v => v.className + ': ' + v.textContent)")
        assert verdicts[0] == f"verdict right: right: {second['updates'][0]['arithmetic']}"
        assert verdicts[1] == f"verdict wrong: wrong: {second['updates'][1]['arithmetic']}"


def test_clicking_a_node_shows_its_chain_rule(dot_program, chromium_path, playwright_sync_api, tmp_path):
    output = neuron()
    (x1,) = [node for node in topological_order(output) if node.label == "x1"]
    path = stepper(output).save(tmp_path / "backprop.html")
    x1_id = node_ids(topological_order(output)[::-1])[x1]
    with browser_page(playwright_sync_api, chromium_path, path, 960) as page:
        page.click(f'[id="{x1_id}"]')
        assert page.inner_text(".explanation") == str(explain(output, x1, max_paths=12))
