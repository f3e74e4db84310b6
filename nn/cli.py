"""``python -m nn train --dataset moons --hidden 16,16 --optimizer adam --epochs 50 --out out/``

Trains an MLP classifier on one of ``nn.datasets`` with softmax cross-entropy (one output per class,
for two classes too), on a seeded, stratified train/test split; ``--model cnn --dataset digits``
trains a small convolutional network on the 8x8 images instead. Writes the training curves, a
picture of what the network learned (the decision boundary of a two-dimensional set, the confusion
matrix of the digits) and the model file, and ends with the line ``test accuracy: 0.975``.

The options, their limits and defaults are in ``nn/cli_options.py``; this file runs what they ask for.
"""

import contextlib
import os
import sys
import tempfile

from engine import no_grad
from nn import (
    MLP, SGD, Adam, Callback, Conv2d, Flatten, Layer, MaxPool2d, RMSprop, Sequential, TrainingDiverged, cosine_decay,
    cross_entropy, datasets, evaluate, fit, linear_decay, save,
)
from nn.cli_options import CNN_CHANNELS, CNN_RECIPE, LEARNING_RATES, MAX_PARAMETERS, RECIPES, build_parser
from nn.figures import confusion_matrix_figure, decision_boundary_figure, matplotlib_to_files, save_figure
from nn.modules import suggested_init

# -------------------------------------------------------------------- making what the options ask for


# The files a run writes into --out, each named "<dataset>_<name>" (a 2-D set gets a decision
# boundary, the digits a confusion matrix): written at the end, checked for before anything runs.
OUTPUT_FILES = ("training.png", "decision_boundary.png", "confusion_matrix.png", "model.json")


def load_data(name, samples, seed):
    """``(X, y)`` of the data set ``name``: the 1,797 digits, or ``samples`` generated points."""
    if name == "digits":
        return datasets.digits()  # pixels scaled to [0, 1]
    return getattr(datasets, name)(samples, seed=seed)


def make_optimizer(name, parameters, lr):
    if name == "momentum":
        return SGD(parameters, lr=lr, momentum=0.9)
    return {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}[name](parameters, lr=lr)


def make_schedule(name, lr, epochs):
    """Epoch -> learning rate: a half cosine down to 0, a line down to lr / 10, or None (constant)."""
    if name == "cosine":
        return cosine_decay(lr, epochs)
    if name == "linear":
        return linear_decay(lr, lr / 10, epochs)
    return None


# -------------------------------------------------------------------- the run


def main(argv=None):
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        parser.error("name a command: python -m nn train [options] (python -m nn train --help lists them)")
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return train(args, args.command_parser)
    except KeyboardInterrupt:  # Ctrl-C outside training and writing (making the data, say): nothing was written
        args.command_parser.exit(130, f"{args.command_parser.prog}: interrupted; nothing written\n")


def train(args, parser):
    """Run ``python -m nn train`` with the parsed ``args``; ``parser.error`` reports bad combinations."""
    if args.dataset == "digits" and args.samples is not None:
        parser.error("--samples is for the generated data sets; digits has its 1,797 images")
    if args.model == "cnn" and args.dataset != "digits":
        parser.error(f"--model cnn is for images: use it with --dataset digits, not {args.dataset}")
    if args.model == "cnn" and args.hidden is not None:
        parser.error("--hidden is for --model mlp; the cnn's layers are fixed (see --model in --help)")
    made_out = _writable_out(args, parser)
    try:
        return _train(args, parser)
    except BaseException:  # an error, a diverged run, Ctrl-C: leave no empty directory behind
        if made_out:
            with contextlib.suppress(OSError):  # not empty: something was written, and stays
                os.rmdir(args.out)
        raise


def _train(args, parser):
    """Make the data, build the model, train it and write the results into the checked --out."""
    recipe = RECIPES[args.dataset]
    samples = args.samples or recipe["samples"]
    hidden = args.hidden if args.hidden is not None else recipe["hidden"]
    cnn = args.model == "cnn"
    epochs = args.epochs or (CNN_RECIPE["epochs"] if cnn else recipe["epochs"])
    lr = args.lr or (CNN_RECIPE["adam_lr"] if cnn and args.optimizer == "adam" else LEARNING_RATES[args.optimizer])
    batch_size = args.batch_size if args.batch_size is not None else (CNN_RECIPE["batch_size"] if cnn else 32)
    try:
        X, y = load_data(args.dataset, samples, args.seed)
        if cnn:
            X = [image(row) for row in X]
        if args.test_fraction:
            X_train, X_test, y_train, y_test = datasets.train_test_split(
                X, y, test_size=args.test_fraction, seed=args.seed, stratify=True
            )
        else:
            X_train, X_test, y_train, y_test = X, None, y, None
    except ValueError as error:
        parser.error(str(error))
    if X_test is not None and not X_test:  # a stratified split rounds each class's share, possibly to 0
        parser.error(f"--test-fraction {args.test_fraction:g} of {len(X)} examples leaves no test examples")

    classes = sorted(set(y))
    if cnn:
        model = convolutional_network(len(classes), args.activation, args.seed)
    else:
        sizes = [len(X[0]), *hidden, len(classes)]
        parameters = sum((nin + 1) * nout for nin, nout in zip(sizes, sizes[1:]))  # weights and a bias per neuron
        if parameters > MAX_PARAMETERS:
            parser.error(f"--hidden {','.join(map(str, hidden))}: MLP({sizes[0]}, {sizes[1:]}) would have "
                         f"{parameters:,} parameters; this pure-Python trainer takes at most {MAX_PARAMETERS:,}")
        init = suggested_init(args.activation)
        model = MLP(sizes[0], sizes[1:], activation=args.activation, init=init, seed=args.seed)
    test = (X_test, y_test) if X_test is not None else None
    held_out = f", {len(X_test)} test" if test else ""
    print(f"training {model} ({args.activation}) on {args.dataset}: {len(X_train)} training{held_out} examples, "
          f"{args.optimizer} from lr {lr:g} ({args.schedule}), up to {epochs} epochs")
    epochs_done = _EpochCounter()
    try:
        # The progress bar goes to stderr, and only when that is a terminal: stdout stays the report.
        with contextlib.redirect_stdout(sys.stderr):
            history = fit(
                model, X_train, y_train, cross_entropy, make_optimizer(args.optimizer, model.parameters(), lr),
                epochs=epochs, batch_size=batch_size, validation=test, l2=args.l2,
                patience=args.patience or None, schedule=make_schedule(args.schedule, lr, epochs), seed=args.seed,
                callbacks=[epochs_done],
            )
    # Nothing has been written yet: a model file from an earlier run stays as it was.
    except TrainingDiverged as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: interrupted in epoch {epochs_done.count + 1} of {epochs}; nothing written\n")
    stopped = ", stopped early: the loss stopped improving" if history.stopped_early else ""
    print(f"{history.epochs} epochs in {history.seconds:.1f} s{stopped}")

    def scores(x):
        return [value.data for value in model(x)]

    model.eval()
    written = []
    try:
        if matplotlib_to_files():
            _pictures(args, history, model, scores, X_train, y_train, test, classes, written)
        else:
            print('no pictures: matplotlib is not installed (pip install "chainrule[demos]")')
        model_path = output_path(args, "model.json")
        save(model, model_path)
    except KeyboardInterrupt:
        paths = ", ".join(_printable(path) for path, _ in written)
        parser.exit(130, f"{parser.prog}: interrupted while writing; written: {paths or 'nothing'}; not the model\n")
    if cnn:
        remake = f"nn.cli.convolutional_network({len(classes)}, {args.activation!r})"
    else:
        remake = f"MLP({sizes[0]}, {sizes[1:]}, activation={args.activation!r})"
    written.append((model_path, f"the weights; load with nn.load({remake}, path)"))
    shown = [(_printable(path), what) for path, what in written]
    width = max(len(path) for path, _ in shown)
    for path, what in shown:
        print(f"wrote {path:<{width}}  {what}")

    if test:
        _, test_accuracy = evaluate(model, X_test, y_test, cross_entropy)
        print(f"test accuracy: {test_accuracy:.3f}")
    else:
        _, train_accuracy = evaluate(model, X_train, y_train, cross_entropy)
        print(f"training accuracy: {train_accuracy:.3f}")
    return 0


def image(row):
    """A digit's 64 pixels as one 8x8 image, channels x height x width (1 x 8 x 8), for a Conv2d."""
    return [[list(row[r * 8:(r + 1) * 8]) for r in range(8)]]


def convolutional_network(classes, activation="relu", seed=None):
    """The cnn of --model cnn: Conv2d(1, 8, 3), MaxPool2d(2), Flatten, Layer(72, classes), for 8x8 images."""
    return Sequential(
        Conv2d(1, CNN_CHANNELS, kernel_size=3, activation=activation, init=suggested_init(activation), seed=seed),
        MaxPool2d(2),
        Flatten(),
        Layer(CNN_CHANNELS * 3 * 3, classes, activation="linear", seed=None if seed is None else seed + 1),
    )


def output_path(args, name):
    """Where the file ``name`` of ``OUTPUT_FILES`` goes."""
    return os.path.join(args.out, f"{args.dataset}_{name}")


def _writable_out(args, parser):
    """Check, before the data is made, that --out is a directory the results can be written to.

    Makes it if it is missing, and returns whether it did (a run that fails removes it again).
    Writing a probe file is the one test that holds for every reason a write may fail: permissions,
    a read-only file system, and root, whom mode bits do not stop.
    """
    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"--out {out!r} is a file; name a directory")
    made = not os.path.exists(out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {out!r}: cannot make that directory ({error.strerror})")
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        parser.error(f"--out {out!r}: cannot write there ({error.strerror})")
    for name in OUTPUT_FILES:
        path = output_path(args, name)
        if os.path.isdir(path):
            parser.error(f"--out {out!r}: {path!r} is a directory; the results are written to files of that name")
    return made


def _printable(path):
    """``path`` as text any UTF-8 stream can print: bytes that were not UTF-8 (kept by Python as lone
    surrogates) are shown as \\xff escapes instead of failing the print."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _EpochCounter(Callback):
    """Counts the epochs completed, so that an interruption can say where it came."""

    count = 0

    def on_epoch_end(self, epoch, history):
        self.count = epoch + 1


def _pictures(args, history, model, scores, X_train, y_train, test, classes, written):
    """Draw the curves and what the model learned, appending (path, what it shows) to ``written`` as each is saved."""
    path = output_path(args, "training.png")
    figure = history.plot()
    figure.suptitle(f"{model} on {args.dataset}" + (" (validation: the test examples)" if test else ""))
    written.append((save_figure(figure, path), "loss, accuracy, learning rate and gradient norms per epoch"))
    if len(X_train[0]) == 2:
        path = output_path(args, "decision_boundary.png")
        figure = decision_boundary_figure(scores, X_train, y_train, f"{model} on {args.dataset}", test=test)
        written.append((save_figure(figure, path), "the class the model gives each point of the plane"))
    else:
        X_eval, y_eval = test or (X_train, y_train)
        with no_grad():
            predicted = [_largest(scores(x)) for x in X_eval]
        right = sum(p == t for p, t in zip(predicted, y_eval))
        part = "test" if test else "training"
        title = f"{args.dataset}: {right} of {len(y_eval)} {part} examples right"
        path = output_path(args, "confusion_matrix.png")
        figure = confusion_matrix_figure(predicted, y_eval, classes, title)
        written.append((save_figure(figure, path), f"true class against predicted class, {part} examples"))


def _largest(numbers):
    return max(range(len(numbers)), key=numbers.__getitem__)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
