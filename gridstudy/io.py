"""Atomic file writing, so an interrupted job never leaves a finished-looking file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


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


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomic(path, data) -> None:
    """Write ``data`` as indented JSON with sorted keys, atomically.

    Raises ValueError on NaN or infinity, which JSON cannot represent.
    """
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
