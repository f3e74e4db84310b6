"""engine.files.write_atomically: atomic replace, the umask, and cleaning up after writes that were killed."""

import os
import time

from engine.files import write_atomically


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_new_file_gets_the_umask_s_permissions(tmp_path):
    previous = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.txt", b"secret")
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "private.txt").st_mode & 0o777 == 0o600


def test_stale_temporary_files_of_killed_writes_are_removed_and_nothing_else(tmp_path):
    stale = [".model.json.0123456789ab.tmp", ".other.svg.ffffffffffff.tmp"]
    kept = [
        ".model.json.fedcba987654.tmp",  # fresh: another writer may be using it right now
        "notes.txt",
        ".model.json.0123456789AB.tmp",  # not the pattern: upper-case hex
        ".model.json.0123456789a.tmp",  # not the pattern: 11 hex digits
        "model.json.0123456789ab.tmp",  # not the pattern: not hidden
        ".model.json.0123456789ab.tmp.bak",
    ]
    for name in stale + kept:
        (tmp_path / name).write_text("left over")
    for name in stale + kept[1:]:
        _age(tmp_path / name, 3600)
    _age(tmp_path / kept[0], 5)
    os.mkdir(tmp_path / ".folder.json.aaaaaaaaaaaa.tmp")  # the pattern, but not a file
    _age(tmp_path / ".folder.json.aaaaaaaaaaaa.tmp", 3600)
    write_atomically(tmp_path / "model.json", b"{}")
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["model.json", ".folder.json.aaaaaaaaaaaa.tmp"])
    assert (tmp_path / "model.json").read_bytes() == b"{}"


def test_a_symlink_named_like_a_temporary_file_is_left_alone(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / ".model.json.0123456789ab.tmp"
    os.symlink(target, link)
    _age(target, 3600)
    os.utime(link, (time.time() - 3600,) * 2, follow_symlinks=False)
    write_atomically(tmp_path / "model.json", b"{}")
    assert os.path.islink(link) and target.read_text() == "keep me"
