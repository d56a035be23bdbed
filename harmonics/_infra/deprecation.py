"""Deprecated aliases for renamed keywords and attributes (kept for one release, then removed).

Every use of an old name emits one DeprecationWarning pointing at the caller's line (Python's
default filter then shows it once per line) and behaves exactly like the new name.
"""

from __future__ import annotations

import sys
import warnings

REMOVED_IN = "0.3"


class _NotGiven:
    """Default of a deprecated keyword: tells "not passed" apart from any real value."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<deprecated>"

    def __reduce__(self):
        return (_NotGiven, ())


NOT_GIVEN = _NotGiven()


_OURS = ("harmonics", "gd_operator", "sq_bounds", "funkhecke")


def user_stacklevel() -> int:
    """stacklevel of the first frame outside our packages, seen from the function that calls
    this one and then warnings.warn (it is level 1, its caller level 2)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in _OURS:
        frame, level = frame.f_back, level + 1
    return level


def warn_renamed(old: str, new: str, *, where: str) -> None:
    """One DeprecationWarning: ``where``'s ``old`` is now ``new``.

    It points at the user's line: the first caller outside harmonics, gd_operator, sq_bounds
    and funkhecke, however deep inside them the old name was resolved.
    """
    warnings.warn(
        f"{where}: {old} is deprecated and will be removed in {REMOVED_IN}; use {new} "
        "(same meaning, same results)",
        DeprecationWarning,
        stacklevel=user_stacklevel(),
    )


def renamed_attribute(old: str, new: str):
    """A read-only property ``old`` that warns and returns ``self.<new>``."""

    def getter(self):
        warn_renamed(f".{old}", f".{new}", where=type(self).__name__)
        return getattr(self, new)

    getter.__name__ = old
    getter.__doc__ = f"Deprecated alias of ``{new}`` (removed in {REMOVED_IN})."
    return property(getter)
