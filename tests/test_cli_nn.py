"""``python -m nn train``: what it writes, the accuracy it reports, and one-line errors for bad options."""

import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nn import MLP, cross_entropy, datasets, evaluate, load

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args, stderr=subprocess.PIPE, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "nn", *args], stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
        timeout=timeout,
    )


def last_line(result):
    """The closing line, e.g. 'test accuracy: 0.975', as (what, number)."""
    what, number = result.stdout.strip().splitlines()[-1].split(": ")
    return what, float(number)


def test_moons_by_default_writes_the_pictures_and_a_model_that_loads(tmp_path):
    result = run("train", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    what, accuracy = last_line(result)
    assert what == "test accuracy" and accuracy >= 0.95
    for name in ("moons_training.png", "moons_decision_boundary.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG), name
    # The saved weights give the accuracy printed, on the same seeded split.
    model = MLP(2, [16, 16, 2])
    load(model, tmp_path / "moons_model.json")
    X, y = datasets.moons(200, seed=0)
    _, X_test, _, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    assert round(evaluate(model, X_test, y_test, cross_entropy)[1], 3) == accuracy
    assert json.loads((tmp_path / "moons_model.json").read_text())["model"] == "MLP(2, [16, 16, 2])"


def test_digits_reach_96_percent_on_the_test_set(tmp_path):
    result = run("train", "--dataset", "digits", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    what, accuracy = last_line(result)
    assert what == "test accuracy" and accuracy >= 0.96, result.stdout
    assert (tmp_path / "digits_confusion_matrix.png").read_bytes().startswith(PNG)
    assert (tmp_path / "digits_training.png").read_bytes().startswith(PNG)
    assert not (tmp_path / "digits_decision_boundary.png").exists()  # 64 inputs: no plane to colour
    load(MLP(64, [32, 10]), tmp_path / "digits_model.json")


@pytest.mark.parametrize(
    "dataset, optimizer, classes",
    [("circles", "sgd", 2), ("spiral", "momentum", 3), ("xor", "rmsprop", 2)],
)
def test_every_optimizer_trains_and_draws_each_2d_set(tmp_path, dataset, optimizer, classes):
    result = run("train", "--dataset", dataset, "--optimizer", optimizer, "--epochs", "3", "--samples", "60",
                 "--hidden", "8", "--activation", "tanh", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert last_line(result)[0] == "test accuracy"
    assert (tmp_path / f"{dataset}_decision_boundary.png").read_bytes().startswith(PNG)
    load(MLP(2, [8, classes], activation="tanh"), tmp_path / f"{dataset}_model.json")


def test_without_a_test_split_it_reports_the_training_accuracy(tmp_path):
    result = run("train", "--dataset", "xor", "--test-fraction", "0", "--epochs", "10", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    what, accuracy = last_line(result)
    assert what == "training accuracy" and accuracy >= 0.9


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--hidden", "16,x"], "'16,x'"),
        (["--hidden", "0"], "layer sizes >= 1"),
        (["--lr", "-1"], "--lr: expected a finite number > 0, got '-1'"),
        (["--lr", "nan"], "--lr"),
        (["--epochs", "0"], "--epochs: expected a whole number >= 1, got '0'"),
        (["--batch-size", "many"], "--batch-size"),
        (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["--activation", "gelu"], "invalid choice: 'gelu'"),
        (["--test-fraction", "1"], "[0, 1)"),
        (["--dataset", "digits", "--samples", "100"], "--samples is for the generated data sets"),
        (["--samples", "10", "--test-fraction", "0.01"], "leaves no test examples"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_a_bad_option_value_is_one_line_and_status_2(tmp_path, arguments, message):
    result = run("train", *arguments, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("python -m nn train: error: ") and result.stdout == ""


def test_out_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("")
    result = run("train", "--out", str(tmp_path / "file"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "is a file" in result.stderr


def test_without_a_command_it_says_which_in_one_line():
    result = run()
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "python -m nn train" in result.stderr


def test_help_explains_every_option():
    result = run("train", "--help")
    assert result.returncode == 0
    for option in ("--dataset", "--samples", "--test-fraction", "--hidden", "--activation", "--optimizer", "--lr",
                   "--schedule", "--epochs", "--batch-size", "--l2", "--patience", "--seed", "--out"):
        assert option in result.stdout
    assert "digits" in result.stdout and "rmsprop" in result.stdout and "default" in result.stdout


def test_the_progress_bar_goes_to_stderr_and_only_on_a_terminal(tmp_path):
    pty, fcntl, termios = (pytest.importorskip(name) for name in ("pty", "fcntl", "termios"))  # POSIX only
    piped = run("train", "--epochs", "2", "--samples", "40", "--out", str(tmp_path))
    assert piped.returncode == 0 and "step/s" not in piped.stdout + piped.stderr

    terminal, answer = pty.openpty()
    fcntl.ioctl(answer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal 120 columns wide
    seen = []
    reader = threading.Thread(target=_read_all, args=(terminal, seen))
    reader.start()
    result = run("train", "--epochs", "2", "--samples", "40", "--out", str(tmp_path), stderr=answer)
    os.close(answer)
    reader.join(timeout=10)
    os.close(terminal)
    assert result.returncode == 0 and "step/s" not in result.stdout
    assert "epoch 2/2" in b"".join(seen).decode(errors="replace")


def _read_all(fd, chunks):
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
