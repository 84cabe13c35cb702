"""Atomic file writing, so an interrupted job never leaves a finished-looking file."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def default_file_mode() -> int:
    """Return the mode that ``open`` gives a new file under the current umask (0o644 under umask 022).

    ``tempfile.mkstemp`` creates files as 0o600 and a rename keeps that mode, so
    callers chmod their temporary file to this before renaming it into place.
    """
    # NOTE: os.umask can only be read by setting it, so this sets 0o022 for a moment
    # and then restores it. A thread that creates a file in that moment gets 0o022.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def open_atomic(path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing, and rename it into place when the block succeeds.

    ``mode`` is "w" (UTF-8 text) or "wb". The file is fsynced before the
    rename. If the block raises, the temporary file is removed and ``path``
    is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'; got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    text = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
    try:
        with os.fdopen(handle, mode, **text) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    with open_atomic(path, "w") as stream:
        stream.write(text)


def write_json_atomic(path, data) -> None:
    """Write ``data`` as indented JSON with sorted keys, atomically.

    Raises ValueError on NaN or infinity, which JSON cannot represent.
    """
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
