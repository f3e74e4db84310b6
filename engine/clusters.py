"""Boxes around the Values each module of an ``nn`` model computed, in a drawing made by ``draw``.

A Value does not know which module computed it, so we infer it from the graph: a parameter belongs
to the innermost module that lists it; a node computed from parameters belongs to their module (a
neuron's weighted sum); any other node belongs to the innermost module that holds all its parents
(an activation follows its one input; the loss, computed from the model's output and a data
point, belongs to no module). Inputs belong to none.
"""

import os


def parameter_owners(modules):
    """({parameter: name of the innermost module listing it}, {module name: module})."""
    named_modules = getattr(modules, "named_modules", None)
    if not callable(named_modules):
        raise TypeError(
            "draw(modules=...) needs a model with named_modules() yielding (name, module) pairs, "
            f"got {type(modules).__name__}"
        )
    module_names = dict(named_modules())
    owner = {}
    for name, module in module_names.items():
        for parameter in module.parameters():
            if parameter not in owner or _depth(name) > _depth(owner[parameter]):
                owner[parameter] = name
    return owner, module_names


def module_of_each_node(order, owner, module_names):
    where = {}
    for node in order:  # parents before the nodes computed from them
        if node in owner:
            where[node] = owner[node]
        elif node.parents:
            names = {owner[p] for p in node.parents if p in owner} or {where[p] for p in node.parents}
            where[node] = _innermost_common_module(names, module_names)
        else:
            where[node] = None
    return where


def _innermost_common_module(names, module_names):
    if None in names:
        return None
    # commonprefix compares element by element, so on lists of name parts it finds the common ancestor.
    parts = os.path.commonprefix([name.split(".") if name else [] for name in names])
    return _innermost_module(parts, module_names)


def _innermost_module(parts, module_names):
    """The module named by the longest prefix of ``parts`` that names one (None if none does)."""
    parts = list(parts)
    while parts and ".".join(parts) not in module_names:
        parts.pop()
    name = ".".join(parts)
    return name if name in module_names else None


def _enclosing_module(name, module_names):
    return None if name == "" else _innermost_module(name.split(".")[:-1], module_names)


def _depth(name):
    return name.count(".") + 1 if name else 0


def clusters(graphviz, where, module_names):
    """A cluster subgraph for each module holding a node, and for the modules around those."""
    shown = set()
    for name in set(where.values()) - {None}:
        while name is not None and name not in shown:
            shown.add(name)
            name = _enclosing_module(name, module_names)
    clusters = {}
    for position, (name, module) in enumerate(module_names.items()):
        if name in shown:
            title = f"{name} ({type(module).__name__})" if name else type(module).__name__
            attributes = {"label": title, "labeljust": "l", "style": "rounded,dashed", "color": "#6b7280"}
            attributes["fontname"] = "Helvetica"
            clusters[name] = graphviz.Digraph(name=f"cluster_{position}", graph_attr=attributes)
    return clusters


def nest(graph, clusters, module_names):
    """Put each cluster inside its enclosing module's, innermost first (a subgraph is copied when added)."""
    for name in sorted(clusters, key=_depth, reverse=True):
        enclosing = _enclosing_module(name, module_names)
        clusters.get(enclosing, graph).subgraph(clusters[name])
