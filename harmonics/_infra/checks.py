"""Argument checks shared by the public functions: clear errors naming the argument and range."""

from __future__ import annotations

import numbers

import numpy as np

# Inner products computed in floating point can exceed 1 by a few ulps; accept and clip those.
_T_SLACK = 8 * np.finfo(float).eps


def check_int(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int, or raise TypeError/ValueError naming ``name``."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}], got {value}")
    return value


def check_dimension(n, name: str = "n") -> int:
    """Ambient dimension n >= 2 (the sphere is S^{n-1} in R^n)."""
    return check_int(n, name, 2)


def check_degree(k, name: str = "k") -> int:
    return check_int(k, name, 0)


def check_real(value, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_degrees_array(k, name: str = "k") -> np.ndarray:
    """Integer array of degrees >= 0 (accepts ints, integer-valued floats, arrays of them)."""
    arr = np.asarray(k)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a non-negative integer or an array of them, got {k!r}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must be a non-negative integer or an array of them, got {k!r}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got min {int(arr.min())}")
    return arr


def check_unit_interval(t, name: str = "t") -> np.ndarray:
    """Float array with every entry in [-1, 1] (entries within a few ulps of +-1 are clipped)."""
    try:
        kind = np.asarray(t).dtype.kind
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise TypeError(
            f"{name} must be a real number or array of real numbers, got {t!r}"
        ) from exc
    if t is None or isinstance(t, (str, bytes)) or kind in "USO":
        if not (kind == "O" and _numeric_objects(t)):
            raise TypeError(f"{name} must be a real number or array of real numbers, got {t!r}")
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number or array of real numbers") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf); allowed range is [-1, 1]")
    if arr.size and np.max(np.abs(arr)) > 1 + _T_SLACK:
        raise ValueError(
            f"{name} must lie in [-1, 1] (the inner product of two unit vectors), "
            f"got a value of {float(arr.flat[np.argmax(np.abs(arr))])!r}"
        )
    return np.clip(arr, -1.0, 1.0)


def _numeric_objects(t) -> bool:
    """An object array of plain numbers (e.g. Python ints too large for int64) is numeric."""
    try:
        return all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in np.ravel(t))
    except Exception:  # ragged: not numeric
        return False


def check_bool(value, name: str) -> bool:
    """``value`` as a bool; TypeError for anything but True/False (numpy bools included).

    A flag such as ``log=`` must not accept truthy stand-ins: ``log="False"`` or ``log=2``
    would silently mean True.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def check_real_array(value, name: str, *, ndim: int | None = None, nonnegative: bool = False):
    """``value`` as a finite float array (TypeError naming ``name`` for strings, None, ragged or
    non-numeric input; ValueError for NaN/inf, a wrong number of dimensions or negatives)."""
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be an array of real numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers, got {value!r}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got min {float(arr.min())}")
    return arr
