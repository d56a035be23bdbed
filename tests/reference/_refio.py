"""Shared by the reference-table generators (kept independent of the funkhecke packages)."""

from __future__ import annotations

import json
import os
import tempfile


def write_atomic(path: str, data: dict) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically (temp file + os.replace)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".reference.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
