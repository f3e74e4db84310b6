"""Writing a file so that nobody ever sees it half written: drawings, stepper pages, saved models."""

import os
import tempfile


def write_atomically(path, data):
    """Write ``data`` (bytes) to a temporary file beside ``path``, then rename it over ``path``.

    A reader (or a crash) never sees ``path`` half written, and two writers never share a temporary
    file. An existing file keeps its permissions; a new one gets 0o644 (readable by a web server
    serving the folder). Returns ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename, or a power cut could leave an empty file
        os.chmod(temporary, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path
