"""W5: how long ``nn.fit`` takes to bring MLP(64, [32, 10]) to 96% test accuracy on the digits.

``fit`` stops on a converged loss, not on a target accuracy, so this calls it one epoch at a time
(the same optimizer carries its state across calls) and checks the test accuracy it reports after
each. The wall time covers everything a user waits for: training, the per-epoch evaluation, and
fit's own bookkeeping.
"""

import time

import nn


def time_to_accuracy(target=0.96, sizes=(32, 10), max_epochs=30, samples=None, seed=0, lr=0.01, batch_size=32):
    """Train on ``digits()`` until the test accuracy reaches ``target``; returns a report dict.

    Args:
        target: the test accuracy to reach.
        sizes: the MLP's layer sizes after its 64 inputs.
        max_epochs: give up after this many epochs (the report then says ``reached: False``).
        samples: use only the first ``samples`` digits (for a quick run); None for all 1,797.
        seed, lr, batch_size: the model's seed, Adam's learning rate, the examples per step.

    Returns:
        {"seconds", "epochs", "test_accuracy", "reached", "target", ...}: the time until the first epoch that
        ends at or above ``target``.
    """
    X, y = nn.datasets.digits()
    if samples is not None:
        X, y = X[:samples], y[:samples]
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X, y, test_size=0.25, seed=seed)
    start = time.perf_counter()
    model = nn.MLP(64, list(sizes), seed=seed)
    optimizer = nn.Adam(model.parameters(), lr=lr)
    accuracy, epoch = 0.0, 0
    while accuracy < target and epoch < max_epochs:
        history = nn.fit(
            model, X_train, y_train, nn.cross_entropy, optimizer,
            epochs=1, batch_size=batch_size, validation=(X_test, y_test), seed=seed + epoch, progress=False,
        )
        accuracy, epoch = history.val_accuracy[-1], epoch + 1
    return {
        "seconds": time.perf_counter() - start,
        "epochs": epoch,
        "test_accuracy": accuracy,
        "reached": accuracy >= target,
        "target": target,
        "network": f"MLP(64, {list(sizes)})",
        "train_size": len(X_train),
        "test_size": len(X_test),
        "optimizer": f"Adam(lr={lr}), batch size {batch_size}",
    }
