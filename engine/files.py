"""Writing a file so that nobody ever sees it half written: drawings, stepper pages, saved models."""

import os
import secrets


def write_atomically(path, data):
    """Write ``data`` (bytes) to a temporary file beside ``path``, then rename it over ``path``.

    A reader (or a crash) never sees ``path`` half written, and two writers never share a temporary
    file; if writing fails, the temporary file is removed and ``path`` is as it was. An existing file
    keeps its permissions; a new one gets 0o666 less the user's umask, as ``open()`` would give it
    (0o644 with the usual umask 022: readable by a web server serving the folder). Returns ``path``.
    """
    path = os.fspath(path)
    handle, temporary = _create_temporary(path)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename, or a power cut could leave an empty file
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def _create_temporary(path):
    """(an open descriptor, its path): a new file beside ``path``, created with mode 0o666 less the umask.

    Not tempfile.mkstemp, which creates files 0o600: here the kernel applies the umask (and a
    directory's default ACL) itself, so the umask is never read or changed, which would race with
    other threads.
    """
    directory, base = os.path.split(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # another writer's name: draw another
            continue
