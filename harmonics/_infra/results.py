"""The result mixin: ``to_dict`` / ``to_json`` / ``save`` / ``load``, written once for every result.

A result class is a dataclass that inherits :class:`ResultMixin`.  Two class attributes describe
its public JSON layout (what ``to_dict()`` / ``to_json()`` return and the CLIs, sweeps and the
demo read):

``_layout``  the keys of ``to_dict()`` in order: field names, and names of derived quantities
             (properties or zero-argument methods, written for readers and ignored by ``load``).
             ``None`` (default): every field, in declaration order.  Fields left out of the
             layout (large raw data such as trained weights) are still saved.
``_keys``    renames, field name -> JSON key (default: none).

Values in ``to_dict()`` are JSON-ready: numpy arrays become (nested) lists, numpy scalars Python
numbers, tuples lists, non-finite floats ``None`` (strict JSON, RFC 8259: there is no NaN or
Infinity), nested results their own ``to_dict()``, any other object its ``repr``.

``save(path)`` writes ``to_dict()`` plus one reserved key, ``"__result__"``, holding what the
layout cannot say: the class, the fields outside the layout, and a note for every value that is
not plain JSON (array dtype, shape and read-only flag; where +inf and -inf were; tuples; NaN or
infinite scalars; nested results; registered dataclass objects such as an ``Activation``).
``load(path)`` (a classmethod) rebuilds the object from it: the same field values, dtypes and
shapes, NaN and +-inf included.  Objects that are not data (a user's callable) are saved as
their ``repr`` and come back as that string.  A plain ``to_json()`` document (no
``"__result__"``) loads too, best effort: ndarray fields from their lists (null -> NaN), fields
missing from the layout get their defaults (None if they have none).  The file is strict JSON,
written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import TypeVar

import numpy as np

from .jsonio import atomic_write_text, json_dumps, to_json_value

FORMAT = 1
META = "__result__"

# class name -> class, for nested results and registered value types (see register)
_REGISTRY: dict[str, type] = {}
# the result class a classmethod is called on (Prediction.load(path) is a Prediction)
_R = TypeVar("_R", bound="ResultMixin")


def register(cls: type) -> type:
    """Make the dataclass ``cls`` loadable by name when it appears inside a saved result.

    Result classes register themselves (ResultMixin subclasses); a plain dataclass used as a
    field value (e.g. ``harmonics.Activation`` in a GegenbauerExpansion) registers with this.
    """
    _REGISTRY[cls.__name__] = cls
    return cls


def _lookup(name: str) -> type:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"cannot load a {name!r}: no such result type is registered (import the package "
            "that defines it first)"
        ) from None


# ------------------------------------------------------------------------------ encoding


def _nonfinite(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _encode_items(values):
    pairs = [_encode(v) for v in values]
    notes = [n for _, n in pairs]
    return [j for j, _ in pairs], (notes if any(n is not None for n in notes) else None)


def _nest(flat: list, shape: tuple):
    """The flat list as nested lists of ``shape`` (row-major, like ndarray.tolist)."""
    if len(shape) == 0:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _encode_array(arr: np.ndarray):
    note = {"type": "ndarray", "dtype": arr.dtype.name, "shape": list(arr.shape)}
    if not arr.flags.writeable:
        note["readonly"] = True
    if arr.dtype.kind == "O":
        flat, notes = _encode_items(arr.ravel().tolist())
        if notes is not None:
            note["items"] = notes
        return _nest(flat, arr.shape), note
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot write an array of dtype {arr.dtype} as JSON")
    if arr.dtype.kind == "f":
        flat = arr.ravel()
        for key, mask in (("posinf", np.isposinf(flat)), ("neginf", np.isneginf(flat))):
            if mask.any():
                note[key] = np.flatnonzero(mask).tolist()
    return to_json_value(arr), note


def _encode(value):
    """(JSON value, note) for ``value``; the note is None when the JSON value says it all."""
    if value is None or isinstance(value, (bool, str)):
        return value, None
    if isinstance(value, int):
        return int(value), None
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value), None
        return None, {"type": "float", "value": _nonfinite(value)}
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, np.generic):
        item = value.item()
        if isinstance(item, complex):
            raise TypeError(f"cannot write the complex number {value!r} as JSON")
        note = {"type": "numpy", "dtype": value.dtype.name}
        if isinstance(item, float) and not math.isfinite(item):
            note["value"] = _nonfinite(item)
            return None, note
        return item, note
    if isinstance(value, ResultMixin):
        return value.to_dict(), {"type": "result", **value._meta()}
    if isinstance(value, tuple):
        items, notes = _encode_items(value)
        note = {"type": "tuple"}
        if notes is not None:
            note["items"] = notes
        return items, note
    if isinstance(value, list):
        items, notes = _encode_items(value)
        return items, (None if notes is None else {"type": "list", "items": notes})
    if isinstance(value, dict):
        out, notes, int_keys = {}, {}, []
        for k, v in value.items():
            if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
                int_keys.append(str(k))
            elif not isinstance(k, str):
                raise TypeError(f"cannot write the dict key {k!r} as JSON (str or int keys only)")
            out[str(k)], n = _encode(v)
            if n is not None:
                notes[str(k)] = n
        if not notes and not int_keys:
            return out, None
        note = {"type": "dict"}
        if notes:
            note["items"] = notes
        if int_keys:
            note["int_keys"] = int_keys
        return out, note
    cls = type(value)
    if dataclasses.is_dataclass(value) and _REGISTRY.get(cls.__name__) is cls:
        data, notes = {}, {}
        for f in dataclasses.fields(value):
            data[f.name], n = _encode(getattr(value, f.name))
            if n is not None:
                notes[f.name] = n
        note = {"type": "object", "class": cls.__name__, "fields": data}
        if notes:
            note["notes"] = notes
        return repr(value), note
    return repr(value), {"type": "repr", "class": cls.__qualname__}


# ------------------------------------------------------------------------------ decoding


def _decode_items(values, notes):
    if notes is None:
        return [_decode(v, None) for v in values]
    return [_decode(v, n) for v, n in zip(values, notes, strict=True)]


def _flatten(nested, depth: int) -> list:
    if depth == 0:
        return [nested]
    out = []
    for x in nested:
        out.extend(_flatten(x, depth - 1))
    return out


def _decode_array(value, note) -> np.ndarray:
    dtype = np.dtype(note["dtype"])
    shape = tuple(note["shape"])
    if dtype.kind == "O":
        flat = _decode_items(_flatten(value, len(shape)), note.get("items"))
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        arr = arr.reshape(shape)
    else:
        arr = np.array(value, dtype=dtype).reshape(shape)  # null -> NaN in float arrays
        flat = arr.reshape(-1)
        for key, x in (("posinf", np.inf), ("neginf", -np.inf)):
            if key in note:
                flat[note[key]] = x
    if note.get("readonly"):
        arr.flags.writeable = False
    return arr


def _decode(value, note):
    if note is None:
        return value
    kind = note["type"]
    if kind == "float":
        return _NONFINITE[note["value"]]
    if kind == "ndarray":
        return _decode_array(value, note)
    if kind == "numpy":
        return np.dtype(note["dtype"]).type(_NONFINITE[note["value"]] if "value" in note else value)
    if kind == "tuple":
        return tuple(_decode_items(value, note.get("items")))
    if kind == "list":
        return _decode_items(value, note["items"])
    if kind == "dict":
        notes = note.get("items", {})
        ints = set(note.get("int_keys", ()))
        return {(int(k) if k in ints else k): _decode(v, notes.get(k)) for k, v in value.items()}
    if kind == "result":
        return _lookup(note["class"])._from_layout(value, note)
    if kind == "object":
        cls = _lookup(note["class"])
        notes = note.get("notes", {})
        return cls(**{k: _decode(v, notes.get(k)) for k, v in note["fields"].items()})
    if kind == "repr":
        return value  # not data: the repr string is all that was kept
    raise ValueError(f"unknown value note {kind!r} in a saved result")


def _guess(value, annotation: str):
    """Decode a field of a plain to_json() document (no notes) from its annotation."""
    if isinstance(value, list) and "ndarray" in annotation:
        try:
            return np.array(value, dtype=float if _has_none_or_float(value) else None)
        except (TypeError, ValueError):
            return value
    if isinstance(value, list) and annotation.startswith("tuple"):
        return tuple(value)
    return value


def _has_none_or_float(value) -> bool:
    if isinstance(value, list):
        return any(_has_none_or_float(v) for v in value)
    return value is None or isinstance(value, float)


# ------------------------------------------------------------------------------ the mixin


class ResultMixin:
    """``to_dict`` / ``to_json`` / ``save`` / ``load`` for a dataclass result (module docstring)."""

    _layout: tuple | None = None
    _keys: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register(cls)

    # -- layout --------------------------------------------------------------------------
    @classmethod
    def _field_list(cls):
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} uses ResultMixin but is not a dataclass")
        return [f for f in dataclasses.fields(cls) if f.init]

    @classmethod
    def _layout_names(cls) -> tuple:
        return cls._layout if cls._layout is not None else tuple(f.name for f in cls._field_list())

    def _value(self, name: str):
        value = getattr(self, name)
        if name not in self.__dataclass_fields__ and callable(value):
            value = value()  # a derived quantity given as a zero-argument method
        return value

    def to_dict(self) -> dict:
        """The public JSON layout: JSON-ready values (lists, Python numbers, None for NaN/inf)."""
        return {self._keys.get(k, k): _encode(self._value(k))[0] for k in self._layout_names()}

    def to_json(self, **kwargs) -> str:
        """``to_dict()`` as strict JSON (json.dumps keyword arguments such as ``indent``)."""
        return json_dumps(self.to_dict(), **kwargs)

    # -- save / load ---------------------------------------------------------------------
    def _meta(self) -> dict:
        layout = set(self._layout_names())
        hidden, notes = {}, {}
        for f in self._field_list():
            value, note = _encode(getattr(self, f.name))
            if f.name not in layout:
                hidden[f.name] = value
            if note is not None:
                notes[f.name] = note
        meta = {"format": FORMAT, "class": type(self).__name__}
        if hidden:
            meta["hidden"] = hidden
        if notes:
            meta["notes"] = notes
        return meta

    def save(self, path: str | os.PathLike[str], *, indent: int | None = 1) -> None:
        """Write ``to_dict()`` and what load() needs (key ``"__result__"``) to ``path``.

        Strict JSON, written atomically (temporary file + os.replace).
        """
        doc = self.to_dict()
        doc[META] = self._meta()
        atomic_write_text(path, json_dumps(doc, indent=indent) + "\n")

    @classmethod
    def from_dict(cls: type[_R], doc: dict) -> _R:
        """The result from a saved document, or best effort from a plain ``to_dict()``."""
        doc = dict(doc)
        meta = doc.pop(META, None)
        if meta is not None:
            if meta.get("format") != FORMAT:
                raise ValueError(f"unknown result file format {meta.get('format')!r}")
            if meta.get("class") != cls.__name__:
                stored = _lookup(meta.get("class"))
                if not issubclass(stored, cls):
                    raise TypeError(
                        f"the document holds a {meta.get('class')}, not a {cls.__name__}"
                    )
                cls = stored
        return cls._from_layout(doc, meta)

    @classmethod
    def _from_layout(cls, doc: dict, meta: dict | None):
        hidden = (meta or {}).get("hidden", {})
        notes = (meta or {}).get("notes", {})
        kwargs = {}
        for f in cls._field_list():
            key = cls._keys.get(f.name, f.name)
            if f.name in hidden:
                raw = hidden[f.name]
            elif key in doc:
                raw = doc[key]
            elif (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            ):
                continue
            elif meta is None:
                kwargs[f.name] = None  # a plain to_dict() leaves it out: best effort
                continue
            else:
                raise ValueError(f"cannot load a {cls.__name__}: the document has no {key!r}")
            if meta is None:
                kwargs[f.name] = _guess(raw, str(f.type))
            else:
                kwargs[f.name] = _decode(raw, notes.get(f.name))
        return cls(**kwargs)

    @classmethod
    def load(cls: type[_R], path: str | os.PathLike[str]) -> _R:
        """Read a file written by :meth:`save` (or a plain ``to_json()`` document)."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))
