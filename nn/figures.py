"""Pictures of what a classifier learned: its decision boundary on the plane, its confusion matrix.

Each function returns a matplotlib figure (matplotlib is imported when one is drawn, never by
``import nn``); ``save_figure`` writes one to a file and closes it.
"""

import sys

from engine import no_grad


def decision_boundary_figure(scores, X, y, title="", test=None, resolution=100):
    """A figure of the plane coloured by the class the model picks at each point, with the data on top.

    Args:
        scores: a function from a point ``(x1, x2)`` to one number per class (plain floats); the
            largest picks the class. The boundary between class k and the rest is where
            scores[k] - max(other scores) = 0, drawn from those differences on the grid so it is smooth.
        X, y: the training points and their classes (0, 1, ...), drawn as dots.
        test: optional ``(X_test, y_test)``, drawn as crosses.
        resolution: the grid has resolution x resolution points, one forward pass each.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    points = np.array(list(X) + (list(test[0]) if test else []))
    classes = sorted(set(y) | set(test[1] if test else ()))
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * (high - low)
    grid1, grid2 = np.meshgrid(*(np.linspace(low[i] - pad[i], high[i] + pad[i], resolution) for i in range(2)))
    with no_grad():
        grid_scores = np.array([scores((float(a), float(b))) for a, b in zip(grid1.ravel(), grid2.ravel())])
    grid_scores = grid_scores.reshape(resolution, resolution, -1)

    figure, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    colours = plt.get_cmap("tab10").colors
    for k in classes:
        others = np.delete(grid_scores, k, axis=2).max(axis=2)
        lead = grid_scores[:, :, k] - others  # > 0 where class k wins
        ax.contourf(grid1, grid2, lead, levels=[0.0, np.inf], colors=[colours[k]], alpha=0.25)
        ax.contour(grid1, grid2, lead, levels=[0.0], colors="black", linewidths=0.8)
    for k in classes:
        mine = [x for x, t in zip(X, y) if t == k]
        if mine:
            ax.scatter(*zip(*mine), s=14, color=colours[k], edgecolors="black", linewidths=0.4, label=f"class {k}")
        mine = [x for x, t in zip(*test) if t == k] if test else []
        if mine:
            ax.scatter(*zip(*mine), s=22, marker="x", color=colours[k], linewidths=1.2)
    ax.set_title(title)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    legend_title = "dots: training" + (", crosses: test" if test else "")
    ax.legend(loc="best", fontsize=8, title=legend_title, title_fontsize=8)
    return figure


def confusion_matrix_figure(predicted, actual, classes, title=""):
    """A classes x classes grid counting the examples of each true class (row) given each prediction (column)."""
    import matplotlib.pyplot as plt

    counts = [[0] * len(classes) for _ in classes]
    for p, t in zip(predicted, actual):
        counts[t][p] += 1
    figure, ax = plt.subplots(figsize=(6, 5.5), constrained_layout=True)
    image = ax.imshow(counts, cmap="Blues")
    peak = max(max(row) for row in counts)
    for t, row in enumerate(counts):
        for p, count in enumerate(row):
            if count:
                ax.text(p, t, count, ha="center", va="center", fontsize=8,
                        color="white" if count > peak / 2 else "black")
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    figure.colorbar(image, ax=ax, shrink=0.8)
    return figure


def save_figure(figure, path):
    """Write ``figure`` to ``path`` (the format from its extension) and close it; returns ``path``."""
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def matplotlib_to_files():
    """True if matplotlib can be used; it then draws to files (no window), unless pyplot is already in use."""
    try:
        import matplotlib
    except ImportError:
        return False
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    return True
