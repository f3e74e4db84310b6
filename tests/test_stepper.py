"""The stepper's data: the steps as the page tells them, the explanations, and labels that are data, never markup."""

import json
import re

import pytest

from engine import Value, explain, stepper, topological_order
from engine.draw import node_ids
from engine.render import RenderError
from engine.stepper import script_json
from example_graphs import classic_chain
from test_stepper_browser import browser_page, steps_data

# Labels that once ended the page's JSON early, or would if escaped carelessly; all render.
HOSTILE = {
    "markup": "<b>bold</b> & <i>",
    "comment": "<!--<script>",
    "end of script": "</script><script>document.title='pwned'</script>",
    "quotes": "\"double\" 'single' `back`",
    "placeholders": "__STEPS__ __SVG__",
    "line separators": "a\u2028b\u2029c",
}
# Labels Graphviz cannot take as they are: the draw helper escapes or shortens them; until it does, the
# stepper must fail with a RenderError that says why, never another traceback.
UNRENDERABLE = {"control characters": "a\x00b\x1bc", "lone surrogate": "s\ud800t", "100 kB": "x" * 100_000}


def hostile_graph(labels):
    leaves = [Value(0.5 + i, label=label) for i, label in enumerate(labels)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf
    out = total.tanh()
    out.label = labels[0]
    return out


def test_the_first_step_says_why_the_output_grad_is_one_and_the_leaves_finish_together(dot_program):
    data = steps_data(stepper(classic_chain().C).html)
    assert data["steps"][0]["text"].startswith("step 1 of 12: C.grad = 1 to start with: dC/dC = 1")
    last = data["steps"][-1]
    assert last["text"].startswith("step 12 of 12: the leaves now hold their gradients: x = -0.003354, w1 = ")
    assert "a leaf has nothing to pass on" not in json.dumps(data)
    assert len(last["done"]) == 8 and last["updates"] == []  # x, y, three weights, three biases


def test_a_lone_leaf_is_one_step(dot_program):
    (step,) = steps_data(stepper(Value(2.0, label="x")).html)["steps"]
    assert step["text"].startswith("step 1 of 1: x.grad = 1: dx/dx = 1")


def test_practice_data_holds_the_gradient_each_edge_carries(dot_program):
    x = Value(3.0, label="x")
    y = x * x
    (first,) = steps_data(stepper(y).html)["steps"][:1]
    assert [update["expected"] for update in first["updates"]] == [3.0, 3.0]
    assert [update["to"] for update in first["updates"]] == ["x (as input 1)", "x (as input 2)"]
    assert first["updates"][0]["arithmetic"] == "∂ × (x*x).grad = 3 × 1 = 3"


def test_every_node_carries_its_explanation(dot_program):
    net = classic_chain()
    data = steps_data(stepper(net.C).html)
    ids = node_ids(topological_order(net.C)[::-1])
    assert data["explanations"] == {ids[node]: str(explain(net.C, node, max_paths=12)) for node in ids}


def test_the_svg_fits_its_container_and_keeps_its_view_box(dot_program):
    html = stepper(classic_chain().C).html
    tag = re.search(r"<svg\b[^>]*>", html)[0]
    assert 'width="100%"' in tag and "viewBox=" in tag and "height=" not in tag and "max-width:" in tag


def test_script_json_escapes_what_could_end_the_script():
    text = script_json({"label": "</script><!--&\u2028\u2029\ud800", "n": 1.5})
    assert re.fullmatch(r"[ -~]*", text)  # printable ASCII only
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == {"label": "</script><!--&\u2028\u2029\ud800", "n": 1.5}


@pytest.mark.parametrize("label", UNRENDERABLE.values(), ids=UNRENDERABLE.keys())
def test_a_label_that_cannot_be_drawn_gives_a_page_or_a_render_error(label, dot_program):
    try:
        html = stepper(hostile_graph([label, "w"])).html
    except RenderError as failure:
        assert str(failure).startswith("stepper: the graph of ")
    else:
        steps_data(html)  # the page's JSON is whole


def test_hostile_labels_leave_the_page_working_and_show_as_text(
    dot_program, chromium_path, playwright_sync_api, tmp_path
):
    labels = list(HOSTILE.values())
    output = hostile_graph(labels)
    path = stepper(output).save(tmp_path / "backprop.html")
    html = open(path, encoding="utf-8").read()
    assert html.count("</script>") == 2 and html.count("<script") == 2  # ours only: labels stay in the data
    data = steps_data(html)
    with browser_page(playwright_sync_api, chromium_path, path, 960) as page:
        assert page.title() == "chainrule: backward, step by step"
        assert page.eval_on_selector_all("script", "s => s.length") == 2 and page.query_selector("svg b") is None
        assert page.inner_text(".position") == f"step 1 of {len(data['steps'])}"
        assert page.inner_text(".arithmetic").startswith(f"step 1 of {len(data['steps'])}: {labels[0]}.grad = 1")
        page.click("button.next")
        assert page.inner_text(".position") == f"step 2 of {len(data['steps'])}"
        shown = page.eval_on_selector(".graph svg", "svg => svg.textContent")
        for label in labels:
            assert label in shown  # the label as text in the drawing
        leaf = node_ids(topological_order(output)[::-1])[topological_order(output)[-1]]
        page.click(f'[id="{leaf}"]')
        assert labels[0] in page.inner_text(".explanation")
