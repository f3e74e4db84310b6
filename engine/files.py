"""Writing a file so that nobody ever sees it half written: drawings, stepper pages, saved models."""

import os
import re
import secrets
import time

# A temporary file is named ".{name}.{12 lower-case hex digits}.tmp" beside the file it will become. Both the
# name and the clean-up's pattern are made here, so the clean-up can only ever match files this module made.
_TOKEN_BYTES = 6
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{%d}\.tmp" % (2 * _TOKEN_BYTES), re.DOTALL)

# A temporary file untouched this long belongs to a write that was killed (a live write finishes in well under a
# second, and writing moves the mtime on), so the next write into the folder removes it.
STALE_AFTER_SECONDS = 60


def write_atomically(path, data):
    """Write ``data`` (bytes) to a temporary file beside ``path``, then rename it over ``path``.

    A reader (or a crash) never sees ``path`` half written, and two writers never share a temporary
    file; if writing fails, the temporary file is removed and ``path`` is as it was. An existing file
    keeps its permissions; a new one gets 0o666 less the user's umask, as ``open()`` would give it
    (0o644 with the usual umask 022: readable by a web server serving the folder). Temporary files
    that a killed write left in the folder (``.name.<12 hex digits>.tmp``, untouched for
    ``STALE_AFTER_SECONDS``) are removed first. Returns ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    _remove_stale_temporaries(directory)
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
        temporary = os.path.join(directory, f".{base}.{secrets.token_hex(_TOKEN_BYTES)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # another writer's name: draw another
            continue


def _remove_stale_temporaries(directory):
    """Remove the plain files in ``directory`` named like our temporary files and older than ``STALE_AFTER_SECONDS``.

    Best effort: a folder we cannot list, or a file another writer removes first, is no reason to fail the write
    the caller asked for. Links and folders are never touched, whatever their names.
    """
    oldest_live = time.time() - STALE_AFTER_SECONDS
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if not _TEMPORARY.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < oldest_live:
                os.unlink(entry.path)
        except OSError:
            continue
