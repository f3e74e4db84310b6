"""``python -m nn train``: what it writes, the accuracy it reports, and one-line errors for bad options."""

import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import nn.cli
from nn import MLP, cross_entropy, datasets, evaluate, load
from nn.callbacks import GradientNorms

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
        (["--model", "cnn"], "--model cnn is for images: use it with --dataset digits, not moons"),
        (["--model", "cnn", "--dataset", "digits", "--hidden", "4"], "--hidden is for --model mlp"),
        (["--model", "rnn"], "invalid choice: 'rnn'"),
        (["--samples", "10", "--test-fraction", "0.01"], "leaves no test examples"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_a_bad_option_value_is_one_line_and_status_2(tmp_path, arguments, message):
    result = run("train", *arguments, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("python -m nn train: error: ") and result.stdout == ""


def test_a_cnn_trains_on_the_digit_images_and_its_model_file_loads(tmp_path, capsys):
    status, out, err = run_main(capsys, "--model", "cnn", "--dataset", "digits", "--epochs", "1", "--out", str(tmp_path))
    assert status == 0, err
    assert "Conv2d(1, 8" in out.splitlines()[0], out
    accuracy = float(out.splitlines()[-1].removeprefix("test accuracy: "))
    assert accuracy > 0.85  # one epoch; the full recipe reaches about 0.98 (notebook 10)
    model = nn.cli.convolutional_network(10).load(tmp_path / "digits_model.json")
    image = nn.cli.image(nn.datasets.digits()[0][0])
    assert len(model(image)) == 10
    assert (tmp_path / "digits_confusion_matrix.png").exists()


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


# -------------------------------------------------------------------- failures found before, or during, a run
# In process, through main(argv): a stand-in can then interrupt the run, or prove that a step never ran.


def run_main(capsys, *args):
    """(exit status, stdout, stderr) of ``python -m nn train ARGS`` run in this process."""
    try:
        status = nn.cli.main(["train", *args])
    except SystemExit as exit:
        status = exit.code
    except KeyboardInterrupt:  # would end the whole test session
        pytest.fail("KeyboardInterrupt escaped main")
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def never(what):
    def fail(*args, **kwargs):
        raise AssertionError(f"{what} should not have happened")

    return fail


def test_a_diverging_run_exits_1_in_one_line_and_leaves_the_model_file_alone(tmp_path, capsys):
    good = tmp_path / "moons_model.json"
    good.write_bytes(b'{"a good model": "from an earlier run"}')
    status, out, err = run_main(capsys, "--lr", "1e308", "--samples", "40", "--epochs", "5", "--out", str(tmp_path))
    assert status == 1, (out, err)
    assert err.count("\n") == 1 and err.startswith("python -m nn train: error: training diverged in epoch 1 of 5: ")
    assert "the learning rate (1e+308) is probably too high" in err
    assert good.read_bytes() == b'{"a good model": "from an earlier run"}'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["moons_model.json"]  # no pictures either
    assert "test accuracy" not in out


def test_a_diverging_run_leaves_no_new_directory_behind(tmp_path, capsys):
    status, _, err = run_main(capsys, "--lr", "1e308", "--samples", "40", "--out", str(tmp_path / "new"))
    assert status == 1 and "training diverged" in err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--samples", "1000000000"], "--samples: expected a whole number from 10 to 100,000, got '1000000000'"),
        (["--samples", "100001"], "from 10 to 100,000"),
    ],
)
def test_too_many_samples_are_refused_before_any_data_is_made(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.setattr(nn.cli, "load_data", never("making the data"))
    status, out, err = run_main(capsys, *arguments, "--out", str(tmp_path))
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert out == ""


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--hidden", "1000000000"],
         "--hidden 1000000000: MLP(2, [1000000000, 2]) would have 5,000,000,002 parameters; "
         "this pure-Python trainer takes at most 1,000,000"),
        (["--dataset", "digits", "--hidden", "1000,1000"], "MLP(64, [1000, 1000, 10]) would have 1,076,010 parameters"),
    ],
)
def test_a_network_too_large_is_refused_before_it_is_built(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.setattr(nn.cli, "MLP", never("building the network"))
    status, out, err = run_main(capsys, *arguments, "--out", str(tmp_path))
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert out == ""


def test_the_parameter_limit_is_inclusive(tmp_path, capsys, monkeypatch):
    # moons: 2 inputs, 2 classes, one hidden layer of h: 3h + 2(h + 1) = 5h + 2 parameters.
    class Built(Exception):
        pass

    def record(*args, **kwargs):
        raise Built(args)

    monkeypatch.setattr(nn.cli, "MLP", record)
    with pytest.raises(Built) as built:
        nn.cli.main(["train", "--hidden", "199999", "--out", str(tmp_path)])  # 999,997 parameters
    assert built.value.args[0] == (2, [199999, 2])
    status, _, err = run_main(capsys, "--hidden", "200000", "--out", str(tmp_path))  # 1,000,002
    assert status == 2 and "1,000,002 parameters" in err


def test_a_directory_where_an_output_file_goes_is_found_before_training(tmp_path, capsys, monkeypatch):
    (tmp_path / "moons_model.json").mkdir()
    monkeypatch.setattr(nn.cli, "fit", never("training"))
    status, out, err = run_main(capsys, "--out", str(tmp_path))
    assert status == 2 and err.count("\n") == 1 and out == ""
    assert f"--out {str(tmp_path)!r}: {str(tmp_path / 'moons_model.json')!r} is a directory" in err, err


def test_an_out_below_a_file_is_found_before_training(tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(nn.cli, "fit", never("training"))
    status, out, err = run_main(capsys, "--out", str(tmp_path / "file" / "sub"))
    assert status == 2 and err.count("\n") == 1 and out == ""
    assert "cannot make that directory" in err and "file/sub" in err


def test_an_out_that_refuses_writes_is_found_before_training(tmp_path, capsys, monkeypatch):
    # As root no mode bit stops a write; a file system that refuses one is what the check must catch.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(nn.cli.tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(nn.cli, "fit", never("training"))
    status, out, err = run_main(capsys, "--out", str(tmp_path))
    assert status == 2 and err.count("\n") == 1
    assert err == f"python -m nn train: error: --out {str(tmp_path)!r}: cannot write there (Permission denied)\n"


def test_ctrl_c_during_training_is_one_line_and_status_130(tmp_path, capsys, monkeypatch):
    def interrupt_in_epoch_3(self, epoch, history):
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(GradientNorms, "on_epoch_end", interrupt_in_epoch_3)
    out_dir = tmp_path / "out"
    status, out, err = run_main(capsys, "--samples", "40", "--epochs", "5", "--out", str(out_dir))
    assert status == 130, err
    assert err == "python -m nn train: interrupted in epoch 3 of 5; nothing written\n"
    assert not out_dir.exists()


def test_ctrl_c_while_writing_says_what_was_written(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(nn.cli, "save", interrupt)
    status, out, err = run_main(capsys, "--samples", "40", "--epochs", "2", "--out", str(tmp_path))
    assert status == 130
    training, boundary = (str(tmp_path / f"moons_{name}.png") for name in ("training", "decision_boundary"))
    assert err == f"python -m nn train: interrupted while writing; written: {training}, {boundary}; not the model\n"


def test_an_out_path_that_is_not_utf_8_is_printed_escaped(tmp_path):
    out = os.fsencode(tmp_path) + b"/caf\xe9"  # Latin-1 bytes, as an old file system may hold
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8:strict")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--samples", "20", "--epochs", "1", "--out", out],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert f"wrote {tmp_path}/caf\\xe9/moons_model.json".encode() in result.stdout
    assert os.path.exists(out + b"/moons_model.json")
