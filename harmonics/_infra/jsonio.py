"""Atomic file writes shared by every CLI and result object of funkhecke.

A result is written to a temporary file in the target folder and moved into place with
os.replace, so readers (and resumable sweeps) never see a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile


def _process_umask() -> int:
    """The process umask, read without changing it.

    ``os.umask(0); os.umask(old)`` would set the umask to 0 for a moment, and a file another
    thread creates in that moment would be world-writable.  Linux reports the umask in
    /proc/self/status; elsewhere a throwaway file created with mode 0o777 shows it.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    fd, probe = tempfile.mkstemp(prefix=".umask-")
    os.close(fd)
    try:
        os.remove(probe)
        os.mkdir(probe, 0o777)
        return 0o777 & ~os.stat(probe).st_mode
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(probe)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The file gets the usual permissions (0666 & ~umask) rather than mkstemp's 0600.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        suffix=suffix or os.path.splitext(path)[1] or ".tmp", dir=directory, prefix=".tmp-"
    )
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_process_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def to_json_value(obj):
    """``obj`` with numpy scalars/arrays as Python values and non-finite floats as None.

    Standard JSON has no NaN or Infinity; funkhecke writes ``null`` for a value that is not
    defined (NaN) or infinite (e.g. the predicted time to learn a degree with mu_k = 0).
    """
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_json_value(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biu" or (obj.dtype.kind == "f" and np.isfinite(obj).all()):
            return obj.tolist()  # fast path: nothing to replace
        return to_json_value(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [to_json_value(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def json_dumps(obj, **kwargs) -> str:
    """json.dumps of :func:`to_json_value` (obj); strict JSON (never NaN/Infinity)."""
    import json

    return json.dumps(to_json_value(obj), allow_nan=False, **kwargs)
