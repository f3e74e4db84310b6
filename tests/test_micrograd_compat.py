"""micrograd's code, run on chainrule's Value with only the import changed.

Most learners arrive from micrograd (github.com/karpathy/micrograd) and from the lecture "The
spelled-out intro to neural networks and backpropagation: building micrograd". What they typed there
must run here: micrograd's own tests, the lecture's Value-level code (the manual backward through
``_backward``, ``build_topo`` over ``_prev``, ``trace``/``draw_dot``), and micrograd's demo notebook.
"""

import random

import pytest
from graphviz import Digraph

from engine import Value
from nn import MLP, datasets

try:  # the two micrograd tests use torch as a module global, as in micrograd's file
    import torch
except ImportError:  # their usefixtures("torch") (tests/conftest.py) then skips them, or fails them in CI
    torch = None


# ---------------------------------------------------------------- micrograd's test/test_engine.py
# Copied verbatim from karpathy/micrograd, test/test_engine.py (its import line was
# ``from micrograd.engine import Value``). Only the decorators are ours.


@pytest.mark.usefixtures("torch")
def test_sanity_check():

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


@pytest.mark.usefixtures("torch")
def test_more_ops():

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


# ---------------------------------------------------------------- the lecture, as learners type it
# From karpathy/nn-zero-to-hero, lectures/micrograd/micrograd_lecture_first_half_roughly.ipynb and
# ..._second_half_roughly.ipynb: the cells are copied as they are there (two-space indents included);
# the asserts check the numbers the lecture shows.


# The lecture's drawing helpers, verbatim.
def trace(root):
  # builds a set of all nodes and edges in a graph
  nodes, edges = set(), set()
  def build(v):
    if v not in nodes:
      nodes.add(v)
      for child in v._prev:
        edges.add((child, v))
        build(child)
  build(root)
  return nodes, edges

def draw_dot(root):
  dot = Digraph(format='svg', graph_attr={'rankdir': 'LR'}) # LR = left to right
  
  nodes, edges = trace(root)
  for n in nodes:
    uid = str(id(n))
    # for any value in the graph, create a rectangular ('record') node for it
    dot.node(name = uid, label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
    if n._op:
      # if this value is a result of some operation, create an op node for it
      dot.node(name = uid + n._op, label = n._op)
      # and connect this node to it
      dot.edge(uid + n._op, uid)

  for n1, n2 in edges:
    # connect n1 to the op node of n2
    dot.edge(str(id(n1)), str(id(n2)) + n2._op)

  return dot


def lecture_neuron():
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), every intermediate labelled, as a dict by name."""
    # inputs x1,x2
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    # weights w1,w2
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    # bias of the neuron
    b = Value(6.8813735870195432, label='b')
    # x1*w1 + x2*w2 + b
    x1w1 = x1*w1; x1w1.label = 'x1*w1'
    x2w2 = x2*w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    o = n.tanh(); o.label = 'o'
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


# The gradients the lecture arrives at for that neuron (do/dn = 1 - o**2 = 0.5).
LECTURE_NEURON_GRADS = dict(o=1.0, n=0.5, b=0.5, x1w1x2w2=0.5, x1w1=0.5, x2w2=0.5, x1=-1.5, w1=1.0, x2=0.5, w2=0.0)


def assert_lecture_neuron_grads(v):
    assert v['o'].data == pytest.approx(0.7071067811865476)
    for name, grad in LECTURE_NEURON_GRADS.items():
        assert v[name].grad == pytest.approx(grad, abs=1e-12), name


def test_lecture_neuron_records_micrograds_op_and_prev():
    v = lecture_neuron()
    assert v['n'].data == pytest.approx(0.8813735870195432)
    assert [v[k]._op for k in ('x1w1', 'x1w1x2w2', 'n', 'o')] == ['*', '+', '+', 'tanh']
    assert v['x1']._op == '' and v['x1']._prev == set()
    assert v['x1w1']._prev == {v['x1'], v['w1']}
    assert v['n']._prev == {v['x1w1x2w2'], v['b']}
    assert v['o']._prev == {v['n']}


def test_lecture_manual_backward_one_node_at_a_time():
    v = lecture_neuron()
    o, n, b, x1w1x2w2, x2w2, x1w1 = (v[k] for k in ('o', 'n', 'b', 'x1w1x2w2', 'x2w2', 'x1w1'))
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5) and x1w1x2w2.grad == 0.0  # one step: only o's parent so far
    n._backward()
    b._backward()  # a leaf: nothing to pass on
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert_lecture_neuron_grads(v)


def test_lecture_build_topo_then_backward_in_reverse():
    neuron = lecture_neuron()
    o = neuron['o']
    topo = []
    visited = set()
    def build_topo(v):
      if v not in visited:
        visited.add(v)
        for child in v._prev:
          build_topo(child)
        topo.append(v)
    build_topo(o)
    assert len(topo) == 10 and set(topo) == set(neuron.values()) and topo[-1] is o
    assert all(topo.index(parent) < topo.index(node) for node in topo for parent in node._prev)

    o.grad = 1.0
    for node in reversed(topo):
      node._backward()
    assert_lecture_neuron_grads(neuron)


def test_lecture_backward_matches_the_manual_one():
    v = lecture_neuron()
    v['o'].backward()
    assert_lecture_neuron_grads(v)


def test_lecture_tanh_written_with_exp_gives_the_same_gradients():
    # inputs x1,x2
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    # weights w1,w2
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    # bias of the neuron
    b = Value(6.8813735870195432, label='b')
    # x1*w1 + x2*w2 + b
    x1w1 = x1*w1; x1w1.label = 'x1*w1'
    x2w2 = x2*w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    # ----
    e = (2*n).exp()
    o = (e - 1) / (e + 1)
    # ----
    o.label = 'o'
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476)
    assert (n.grad, x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((0.5, -1.5, 1.0, 0.5, 0.0))


def test_lecture_draw_dot_of_the_expression_L():
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    L.backward()

    nodes, edges = trace(L)
    assert len(nodes) == 7 and len(edges) == 6
    assert (a, e) in edges and (e, d) in edges and (d, L) in edges

    dot = draw_dot(L)
    source = dot.source
    assert 'rankdir=LR' in source and dot.format == 'svg'
    # the record of every value, with the gradients the lecture's drawing shows
    for record in ('a | data 2.0000 | grad 6.0000', 'b | data -3.0000 | grad -4.0000',
                   'c | data 10.0000 | grad -2.0000', 'e | data -6.0000 | grad -2.0000',
                   'd | data 4.0000 | grad -2.0000', 'f | data -2.0000 | grad 4.0000',
                   'L | data -8.0000 | grad 1.0000'):
        assert f'label="{{ {record} }}" shape=record' in source, record
    # one op node per computed value, fed by an edge from each parent and feeding its value
    assert f'"{id(L)}*" [label="*"]' in source and f'"{id(d)}+" [label="+"]' in source
    assert f'{id(d)} -> "{id(L)}*"' in source and f'"{id(L)}*" -> {id(L)}' in source
    assert source.count(' -> ') == 6 + 3


def test_lecture_draw_dot_of_the_neuron():
    v = lecture_neuron()
    v['o'].backward()
    source = draw_dot(v['o']).source
    assert 'o | data 0.7071 | grad 1.0000' in source
    assert 'x1*w1 + x2*w2 | data -6.0000 | grad 0.5000' in source
    assert 'w2 | data 1.0000 | grad 0.0000' in source
    assert f'"{id(v["o"])}tanh" [label=tanh]' in source
    assert source.count(' -> ') == 9 + 5  # 9 value-to-op edges, 5 op-to-value edges: the lecture's 14


def test_lecture_a_plus_a_bug_is_fixed():
    # the lecture's bug: with '=' instead of '+=' in _backward, a.grad came out 1.0
    a = Value(3.0, label='a')
    b = a + a   ; b.label = 'b'
    b.backward()
    assert a.grad == 2.0
    nodes, edges = trace(b)
    assert nodes == {a, b} and edges == {(a, b)}  # micrograd's _prev is a set: one edge drawn
    assert 'a | data 3.0000 | grad 2.0000' in draw_dot(b).source


def test_lecture_a_used_twice_through_different_paths():
    a = Value(-2.0, label='a')
    b = Value(3.0, label='b')
    d = a * b    ; d.label = 'd'
    e = a + b    ; e.label = 'e'
    f = d * e    ; f.label = 'f'

    f.backward()

    assert f.data == -6.0 and (a.grad, b.grad) == (-3.0, -8.0)


# The lecture's neural net, typed by the learner on top of Value, verbatim.
class Neuron:
  
  def __init__(self, nin):
    self.w = [Value(random.uniform(-1,1)) for _ in range(nin)]
    self.b = Value(random.uniform(-1,1))
  
  def __call__(self, x):
    # w * x + b
    act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
    out = act.tanh()
    return out
  
  def parameters(self):
    return self.w + [self.b]

class Layer:
  
  def __init__(self, nin, nout):
    self.neurons = [Neuron(nin) for _ in range(nout)]
  
  def __call__(self, x):
    outs = [n(x) for n in self.neurons]
    return outs[0] if len(outs) == 1 else outs
  
  def parameters(self):
    return [p for neuron in self.neurons for p in neuron.parameters()]

class LectureMLP:
  
  def __init__(self, nin, nouts):
    sz = [nin] + nouts
    self.layers = [Layer(sz[i], sz[i+1]) for i in range(len(nouts))]
  
  def __call__(self, x):
    for layer in self.layers:
      x = layer(x)
    return x
  
  def parameters(self):
    return [p for layer in self.layers for p in layer.parameters()]


@pytest.fixture
def seeded_random():
    """The global ``random`` seeded (the lecture's Neuron draws from it), restored afterwards."""
    state = random.getstate()
    random.seed(1337)
    yield
    random.setstate(state)


@pytest.mark.usefixtures("seeded_random")
def test_lecture_mlp_learns_the_four_examples():
    n = LectureMLP(3, [4, 4, 1])
    xs = [
      [2.0, 3.0, -1.0],
      [3.0, -1.0, 0.5],
      [0.5, 1.0, 1.0],
      [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0] # desired targets
    assert len(n.parameters()) == 41

    losses = []
    for k in range(20):

      # forward pass
      ypred = [n(x) for x in xs]
      loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

      # backward pass
      for p in n.parameters():
        p.grad = 0.0
      loss.backward()

      # update
      for p in n.parameters():
        p.data += -0.1 * p.grad

      losses.append(loss.data)

    assert losses[-1] < 0.1 < losses[0]
    assert [y.data > 0 for y in ypred] == [y > 0 for y in ys]


# ---------------------------------------------------------------- micrograd's demo.ipynb
# From karpathy/micrograd, demo.ipynb: the moons data, the MLP, the loss() cell and the optimization
# cell as they are there. make_moons comes from nn.datasets (sklearn is not a dependency); the
# notebook's random.seed(1337) becomes MLP(..., seed=1337).


def test_micrograd_demo_separates_the_moons():
    np = pytest.importorskip("numpy")
    X, y = datasets.moons(100, noise=0.1, seed=1337)
    X, y = np.array(X), np.array(y)
    y = y*2 - 1 # make y be -1 or 1
    assert y.dtype.kind == 'i'  # so yi below is a numpy integer, as in the notebook

    model = MLP(2, [16, 16, 1], seed=1337) # 2-layer neural network
    print(model)
    print("number of parameters", len(model.parameters()))
    assert len(model.parameters()) == 337

    # loss function
    def loss(batch_size=None):
        
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        
        # forward the model to get scores
        scores = list(map(model, inputs))
        
        # svm "max-margin" loss
        losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p*p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        
        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    total_loss, acc = loss()
    first_loss = total_loss.data

    # optimization
    for k in range(100):
        
        # forward
        total_loss, acc = loss()
        
        # backward
        model.zero_grad()
        total_loss.backward()
        
        # update (sgd)
        learning_rate = 1.0 - 0.9*k/100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

    total_loss, acc = loss()
    assert acc >= 0.95
    assert total_loss.data < first_loss

    # visualize decision boundary (the notebook's last cell, without the plotting)
    h = 0.25
    x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h),
                         np.arange(y_min, y_max, h))
    Xmesh = np.c_[xx.ravel(), yy.ravel()]
    inputs = [list(map(Value, xrow)) for xrow in Xmesh]
    scores = list(map(model, inputs))
    Z = np.array([s.data > 0 for s in scores])
    Z = Z.reshape(xx.shape)
    assert Z.any() and not Z.all()  # the boundary splits the plane
