"""W3 and W4: the chain y = y * 1.0001 + 0.0001, as deep as a student dares to draw it.

A chain is the deepest graph there is: every node has one child, so a recursive walk needs one
stack frame per node. W3 times forward and backward of a million steps under Python's default
recursion limit, and finds the depth at which micrograd's recursive topological sort gives up.
W4 measures the bytes each node costs (tracemalloc) and whether deleting the output frees the
graph with the cyclic garbage collector switched off, that is, by reference counting alone.
"""

import gc
import tracemalloc
import weakref

from engine import Value

A, B = 1.0001, 0.0001


def build_chain(value_class, steps):
    """x, then y = y * A + B ``steps`` times; returns (x, y). Works for any engine's Value class."""
    x = value_class(1.0)
    y = x
    for _ in range(steps):
        y = y * A + B
    return x, y


def expected(steps):
    """The chain's exact (y, dy/dx) from x = 1: y_n = A^n (x + 1) - 1 because B = A - 1, so dy/dx = A^n."""
    an = A**steps
    return 2.0 * an - 1.0, an


def chain_forward_backward(steps):
    """W3's unit of work in chainrule: build the chain, run backward; returns (y, dy/dx) as numbers."""
    x, y = build_chain(Value, steps)
    y.backward()
    return y.data, x.grad


def chain_work(steps):
    """``work(n)`` for the timing workers: n chains of ``steps`` steps, forward, backward, freed."""

    def work(n):
        for _ in range(n):
            chain_forward_backward(steps)

    return work


def check_chain(steps, tolerance=1e-9):
    """Run the chain once and compare it with the closed form; returns the largest relative error.

    Each of the ``steps`` multiplications rounds once, so the error grows like steps * 1e-16: 1e-9
    leaves room for a million steps.
    """
    got, want = chain_forward_backward(steps), expected(steps)
    error = max(abs(g - w) / abs(w) for g, w in zip(got, want))
    if not error <= tolerance:
        raise AssertionError(
            f"the {steps}-step chain gave (y, dy/dx) = {got}, expected {want} (relative error {error:.1e})"
        )
    return error


# -------------------------------------------------------------------- micrograd's depth limit


def micrograd_value():
    """micrograd's Value class, imported only when a micrograd workload runs."""
    from micrograd.engine import Value as MicrogradValue

    return MicrogradValue


def micrograd_backward_fails(steps):
    """Whether micrograd's backward on a ``steps``-step chain raises RecursionError."""
    _, y = build_chain(micrograd_value(), steps)
    try:
        y.backward()
    except RecursionError:
        return True
    return False


def micrograd_recursion_steps(upper=1_000_000):
    """The fewest chain steps at which micrograd's backward raises RecursionError, or None up to ``upper``.

    Doubles until it fails, then bisects: about 20 small chains instead of walking up one step at a time.
    """
    good, bad = 0, 1
    while not micrograd_backward_fails(bad):
        good, bad = bad, bad * 2
        if good >= upper:
            return None
    while bad - good > 1:
        middle = (good + bad) // 2
        if micrograd_backward_fails(middle):
            bad = middle
        else:
            good = middle
    return bad


# -------------------------------------------------------------------- memory


def count_nodes(output, parents_of):
    """How many distinct nodes ``output``'s graph holds, walking with an explicit stack (no recursion)."""
    seen = {id(output)}
    stack = [output]
    while stack:
        for parent in parents_of(stack.pop()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def chainrule_parents(node):
    return node.parents


def micrograd_parents(node):
    return node._prev  # micrograd counts its constants (Value(1.0001), ...) as nodes too


def chain_memory(value_class, parents_of, steps):
    """Bytes per node of a ``steps``-step chain, and whether deleting its output frees it without the cyclic collector.

    The cyclic collector is off throughout, so that only reference counting can free the graph; the
    probe is a weak reference to the chain's first node, the last one any freeing reaches.

    Returns:
        {"steps", "nodes", "bytes", "bytes_per_node", "freed_by_refcount"}.
    """
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        x, y = build_chain(value_class, steps)
        size = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        nodes = count_nodes(y, parents_of)
        probe = weakref.ref(x)
        del x, y
        freed = probe() is None
    finally:
        gc.enable()
        gc.collect()  # whatever reference counting could not free (micrograd's cycles)
    return {"steps": steps, "nodes": nodes, "bytes": size, "bytes_per_node": size / nodes, "freed_by_refcount": freed}


def memory_report(nodes):
    """W4 for both engines: {engine name: chain_memory(...)}, each chain sized to about ``nodes`` nodes.

    A chainrule step makes 2 nodes (the constants are not nodes); a micrograd step makes 4 (it wraps
    each constant in a Value that joins the graph).
    """
    return {
        "chainrule": chain_memory(Value, chainrule_parents, nodes // 2),
        "micrograd": chain_memory(micrograd_value(), micrograd_parents, nodes // 4),
    }
