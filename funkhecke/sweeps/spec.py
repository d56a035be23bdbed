"""Sweep specs: parse a TOML/YAML grid file, validate it with errors naming key and line, and
expand it into runs whose settings are hashed into stable file names.

A spec has a ``kind`` ("simulate", "spectrum" or "sq"), an optional ``name``, a ``[grid]``
table whose values are non-empty lists (the axes; every combination is one run) and a
``[fixed]`` table of single values shared by every run.  Each run's settings are the full,
normalized set of the kind's settings (defaults filled in), so the hash of a run does not
depend on how the spec was written (axis order, ``1`` vs ``1.0``, grid vs fixed).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field

SPEC_FORMAT = 1
KINDS = ("simulate", "spectrum", "sq")
TOP_LEVEL = ("kind", "name", "grid", "fixed")
_REQUIRED = object()


class SpecError(ValueError):
    """A sweep spec is malformed; the message names the file, the key and its line."""


class _Bad(Exception):
    """Raised by a value validator with the reason (the caller adds key and line)."""


# ------------------------------------------------------------------------- value checks


def _describe(v) -> str:
    return f"{type(v).__name__} {v!r}"


def _yaml_hint(v) -> str:
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return ""
        return " (YAML 1.1 reads exponents without a dot, e.g. 1e-3, as strings: write 1.0e-3)"
    return ""


def _int(minimum):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Bad(f"must be an integer >= {minimum}, got {_describe(v)}{_yaml_hint(v)}")
        if v < minimum:
            raise _Bad(f"must be an integer >= {minimum}, got {v}")
        return int(v)

    check.what = f"integer >= {minimum}"
    return check


def _float(low=None, *, strict=True, high=None):
    rng = []
    if low is not None:
        rng.append(f"{'>' if strict else '>='} {low:g}")
    if high is not None:
        rng.append(f"< {high:g}")
    what = "number" + (" " + " and ".join(rng) if rng else "")

    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _Bad(f"must be a {what}, got {_describe(v)}{_yaml_hint(v)}")
        x = float(v)
        if not math.isfinite(x):
            raise _Bad(f"must be a finite {what}, got {v!r}")
        if low is not None and (x <= low if strict else x < low):
            raise _Bad(f"must be a {what}, got {v!r}")
        if high is not None and x >= high:
            raise _Bad(f"must be a {what}, got {v!r}")
        return x

    check.what = what
    return check


def _bool(v):
    if not isinstance(v, bool):
        raise _Bad(f"must be true or false, got {_describe(v)}")
    return v


_bool.what = "true/false"


def _str(v):
    if not isinstance(v, str) or not v:
        raise _Bad(f"must be a non-empty string, got {_describe(v)}")
    return v


_str.what = "string"


def _choice(*allowed):
    def check(v):
        if not isinstance(v, str) or v not in allowed:
            hint = ""
            if isinstance(v, str):
                close = difflib.get_close_matches(v, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Bad(f"must be one of {', '.join(map(repr, allowed))}, got {v!r}{hint}")
        return v

    check.what = "one of " + ", ".join(map(repr, allowed))
    return check


def _list_of(item, *, nonempty=True):
    def check(v):
        if not isinstance(v, list):
            raise _Bad(f"must be a list of {item.what} values, got {_describe(v)}")
        if nonempty and not v:
            raise _Bad("must be a non-empty list")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(item(x))
            except _Bad as exc:
                raise _Bad(f"entry {i + 1} {exc}") from None
        return out

    check.what = f"list of {item.what}"
    return check


def _optional(check):
    """None (YAML null, or the string "none" since TOML has no null) or a value for check."""

    def opt(v):
        if v is None or (isinstance(v, str) and v.lower() == "none"):
            return None
        return check(v)

    opt.what = f'{check.what} or "none"'
    return opt


def _family_size(v):
    if v == "dim":
        return v
    try:
        return _int(1)(v)
    except _Bad:
        raise _Bad(f'must be "dim", "none" or an integer >= 1, got {_describe(v)}') from None


_family_size.what = '"dim" or an integer >= 1'


def _simulate_activations():
    from gd_operator.simulation import SIMULATE_ACTIVATIONS

    return SIMULATE_ACTIVATIONS


def _simulate_activation(v):
    return _choice(*_simulate_activations())(v)


_simulate_activation.what = "activation name"


# --------------------------------------------------------------------------- schemas

# key -> (validator, default).  Order = column order of the results table.
SCHEMAS = {
    "simulate": {
        "activation": (_simulate_activation, "relu"),
        "n": (_int(2), _REQUIRED),
        "m": (_int(1), 1024),
        "steps": (_int(0), _REQUIRED),
        "lr": (_optional(_float(0.0)), None),
        "lr_scale": (_optional(_float(0.0)), None),
        "train": (_choice("output", "hidden", "both"), "output"),
        "init": (_choice("sphere", "gaussian"), "sphere"),
        "samples": (_optional(_int(1)), None),
        "bias": (_optional(_float(0.0, strict=False)), None),
        "seed": (_int(0), 0),
        "target": (_choice("ridge", "teacher"), "ridge"),
        "k": (_optional(_int(0)), None),
        "degrees": (_optional(_list_of(_int(0))), None),
        "amplitudes": (_optional(_list_of(_float())), None),
        "target_seed": (_int(0), 0),
        "teacher_width": (_optional(_int(1)), None),
        "kmax": (_optional(_int(0)), None),
        "record_every": (_optional(_int(1)), None),
        "symmetric": (_bool, False),
        "stop_loss": (_optional(_float(0.0)), None),
        "energies": (_bool, True),
        "dtype": (_choice("float64", "float32"), "float64"),
    },
    "spectrum": {
        "activation": (_str, _REQUIRED),
        "n": (_int(2), _REQUIRED),
        "kmax": (_int(0), _REQUIRED),
        "train": (_choice("output", "hidden", "both"), "output"),
        "init": (_choice("sphere", "gaussian"), "sphere"),
        "bias": (_optional(_float(0.0, strict=False)), None),
        "method": (_choice("auto", "closed", "mehler", "radial"), "auto"),
        "power": (_optional(_int(1)), None),
        "coeffs": (_optional(_list_of(_float())), None),
        "scale": (_float(), 1.0),
    },
    "sq": {
        "k": (_int(1), _REQUIRED),
        "n": (_int(2), _REQUIRED),
        "tau": (_float(0.0, high=1.0), _REQUIRED),
        "delta": (_optional(_float(0.0, strict=False, high=1.0)), None),
        "family_bound": (_choice("best", "gv", "random", "basis"), "best"),
        "max_family_size": (_optional(_family_size), None),
    },
}


# ------------------------------------------------------------------------------ lines


_TOML_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_TOML_BARE = r"(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)"
_TOML_KEY = re.compile(rf"^\s*({_TOML_BARE}(?:\s*\.\s*{_TOML_BARE})*)\s*=")


def _split_dotted(s: str) -> tuple:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+", s)
    return tuple(p.strip("\"'") for p in parts)


def _toml_lines(text: str) -> dict:
    """{(table, key): line} for 'key = ...' lines (1-based), by a scan of the text (tomllib keeps
    no positions).  Lines inside multi-line strings are not special-cased; a wrong guess only
    affects the line number shown in an error message."""
    lines = {}
    table: tuple = ()
    depth = 0  # bracket depth of a multi-line array value
    for no, raw in enumerate(text.splitlines(), 1):
        if depth > 0:
            depth += raw.count("[") - raw.count("]")
            continue
        m = _TOML_HEADER.match(raw)
        if m and not raw.lstrip().startswith("[["):
            table = _split_dotted(m.group(1))
            lines.setdefault((table[0] if table else "", None), no)
            continue
        m = _TOML_KEY.match(raw)
        if m:
            path = table + _split_dotted(m.group(1))
            if len(path) == 1:
                lines.setdefault(("", path[0]), no)
            else:
                lines.setdefault((path[0], path[1]), no)
                lines.setdefault((path[0], None), no)
            value = raw[m.end() :].split("#", 1)[0]
            depth = max(0, value.count("[") - value.count("]"))
    return lines


def _yaml_lines(text: str, source: str) -> dict:
    """{(table, key): line} from PyYAML's node marks; also rejects duplicate keys, which
    yaml.safe_load would silently collapse."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = {}
    if not isinstance(root, yaml.MappingNode):
        return lines

    def walk(node, table):
        seen = {}
        for knode, vnode in node.value:
            key = knode.value
            line = knode.start_mark.line + 1
            if key in seen:
                where = f"[{table}] " if table else "top-level "
                raise SpecError(
                    f"{source}, line {line}: {where}key {key!r} appears twice (first on line "
                    f"{seen[key]})"
                )
            seen[key] = line
            lines[(table, key)] = line
            if not table:
                lines[(key, None)] = line
                if isinstance(vnode, yaml.MappingNode):
                    walk(vnode, key)

    walk(root, "")
    return lines


# ------------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class Run:
    """One point of the grid: its hash (the result file's stem) and normalized settings."""

    hash: str
    settings: dict

    @property
    def settings_json(self) -> str:
        return canonical_json(self.settings)


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_hash(kind: str, settings: dict) -> str:
    """First 16 hex digits of SHA-256 of the canonical JSON of {kind, settings, format}."""
    blob = canonical_json({"format": SPEC_FORMAT, "kind": kind, "settings": settings})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class SweepSpec:
    """A validated sweep spec.

    kind : "simulate" | "spectrum" | "sq";  name : label for the figure and messages.
    grid : {axis: [normalized values]} in file order;  fixed : {key: normalized value}.
    source : file path (or "<dict>");  text : the file's text (None for a dict).
    """

    kind: str
    name: str
    grid: dict
    fixed: dict
    source: str = "<dict>"
    text: str | None = None
    lines: dict = field(default_factory=dict, repr=False)
    fmt: str = "toml"

    def where(self, table: str, key: str | None = None) -> str:
        line = self.lines.get((table, key))
        return f"{self.source}, line {line}" if line else self.source

    def runs(self) -> list:
        """Expand the grid (cartesian product in file order, last axis fastest) into runs."""
        schema = SCHEMAS[self.kind]
        axes = list(self.grid)
        out, seen = [], {}
        for combo in itertools.product(*(self.grid[a] for a in axes)):
            settings = {}
            point = dict(zip(axes, combo, strict=True))
            for key, (_check, default) in schema.items():
                if key in point:
                    settings[key] = point[key]
                elif key in self.fixed:
                    settings[key] = self.fixed[key]
                else:
                    settings[key] = default
            self._cross_check(settings, point)
            h = run_hash(self.kind, settings)
            if h in seen:
                raise SpecError(
                    f"{self.source}: the grid points {seen[h]} and {point} give identical "
                    "settings; remove the duplicate axis value"
                )
            seen[h] = point
            out.append(Run(h, settings))
        return out

    def spec_hash(self) -> str:
        """Hash of the set of runs: two specs are the same sweep iff they expand to the same
        runs, however they are written."""
        hs = sorted(r.hash for r in self.runs())
        return hashlib.sha256(",".join(hs).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "grid": self.grid, "fixed": self.fixed}

    def axes(self) -> list:
        return list(self.grid)

    # -- cross-field rules (per run; messages name the keys and their lines)

    def _loc(self, key: str) -> str:
        table = "grid" if key in self.grid else "fixed" if key in self.fixed else None
        if table is None:
            return f"{key!r} (not set)"
        line = self.lines.get((table, key))
        return f"[{table}] {key!r}" + (f" (line {line})" if line else "")

    def _cross_check(self, s: dict, point: dict) -> None:
        for key, (_check, default) in SCHEMAS[self.kind].items():
            if default is _REQUIRED and s[key] is _REQUIRED:
                raise SpecError(
                    f"{self.source}: {self.kind} runs need {key!r}: add it to [fixed] "
                    f"({key} = ...) or to [grid] ({key} = [...])"
                )
        if self.kind != "simulate":
            return
        at = f" at grid point {point}" if point else ""
        if (s["lr"] is None) == (s["lr_scale"] is None):
            raise SpecError(
                f"{self.source}: set exactly one of 'lr' (step size) and 'lr_scale' "
                f"(lr = lr_scale / max_k mu_k): {self._loc('lr')}, {self._loc('lr_scale')}{at}"
            )
        if s["target"] == "ridge":
            if (s["k"] is None) == (s["degrees"] is None):
                raise SpecError(
                    f"{self.source}: a ridge target needs exactly one of 'k' (one degree) and "
                    f"'degrees' (a list): {self._loc('k')}, {self._loc('degrees')}{at}"
                )
            nd = 1 if s["degrees"] is None else len(s["degrees"])
            if s["amplitudes"] is not None and len(s["amplitudes"]) != nd:
                raise SpecError(
                    f"{self.source}: {self._loc('amplitudes')} has {len(s['amplitudes'])} "
                    f"entries but the target has {nd} degree(s){at}"
                )
            if s["teacher_width"] is not None:
                raise SpecError(
                    f"{self.source}: {self._loc('teacher_width')} applies to target = "
                    f"'teacher' only{at}"
                )
        else:
            for key in ("k", "degrees", "amplitudes"):
                if s[key] is not None:
                    raise SpecError(
                        f"{self.source}: {self._loc(key)} applies to target = 'ridge' only "
                        f"(the teacher is set by teacher_width and target_seed){at}"
                    )


# --------------------------------------------------------------------------- loading


def _unknown(key, known, where, what) -> SpecError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SpecError(f"{where}: unknown {what} {key!r}{hint} (known: {', '.join(sorted(known))})")


def _parse_text(text: str, source: str, fmt: str):
    if fmt == "toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            at = f", line {m.group(1)}" if m else ""
            raise SpecError(f"{source}{at}: TOML syntax error: {exc}") from None
        return data, _toml_lines(text)
    try:
        import yaml
    except ImportError as exc:
        raise ImportError(
            f"{source}: YAML specs need PyYAML (pip install pyyaml); or write the spec in TOML"
        ) from exc

    try:
        lines = _yaml_lines(text, source)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{source}{at}: YAML syntax error: {problem}") from None
    if data is None:
        data = {}
    return data, lines


def load_spec(spec) -> SweepSpec:
    """Read and validate a sweep spec: a path to a .toml, .yaml or .yml file, or a dict.

    Raises SpecError (a ValueError) naming the file, the key and its line for: syntax errors,
    unknown keys (with the closest known key), empty or non-list axes, wrong types or ranges,
    keys set both in [grid] and [fixed], missing required settings, inconsistent settings and
    duplicate grid points.
    """
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        data, lines, source, text, fmt = spec, {}, "<dict>", None, "dict"
    elif isinstance(spec, (str, os.PathLike)):
        source = os.fspath(spec)
        ext = os.path.splitext(source)[1].lower()
        if ext == ".toml":
            fmt = "toml"
        elif ext in (".yaml", ".yml"):
            fmt = "yaml"
        else:
            raise SpecError(f"{source}: a sweep spec must be a .toml, .yaml or .yml file")
        try:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise SpecError(f"{source}: cannot read the spec ({exc.strerror})") from None
        data, lines = _parse_text(text, source, fmt)
    else:
        raise TypeError(f"spec must be a path to a TOML/YAML file or a dict, got {spec!r}")
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}: the spec must be a table/mapping of keys, got {_describe(data)}"
        )

    def where(table, key=None):
        line = lines.get((table, key))
        return f"{source}, line {line}" if line else source

    for key in data:
        if key not in TOP_LEVEL:
            if key in set().union(*(SCHEMAS[k] for k in KINDS)):
                raise SpecError(
                    f"{where('', key)}: {key!r} is a run setting, not a top-level key: put it in "
                    f"[grid] ({key} = [...]) or [fixed] ({key} = ...)"
                )
            raise _unknown(key, TOP_LEVEL, where("", key), "top-level key")
    kind = data.get("kind", "simulate")
    try:
        kind = _choice(*KINDS)(kind)
    except _Bad as exc:
        raise SpecError(f"{where('', 'kind')}: 'kind' {exc}") from None
    default_name = "sweep" if text is None else os.path.splitext(os.path.basename(source))[0]
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise SpecError(f"{where('', 'name')}: 'name' must be a string, got {_describe(name)}")
    schema = SCHEMAS[kind]
    tables = {}
    for table in ("grid", "fixed"):
        raw = data.get(table, {})
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise SpecError(
                f"{where('', table)}: [{table}] must be a table of settings, got {_describe(raw)}"
            )
        norm = {}
        for key, value in raw.items():
            loc = where(table, key)
            if key not in schema:
                raise _unknown(key, schema, loc, f"{kind} setting in [{table}]")
            check = schema[key][0]
            if table == "grid":
                if not isinstance(value, list):
                    raise SpecError(
                        f"{loc}: [grid] {key!r} must be a list of values (an axis), got "
                        f"{_describe(value)}; put single values in [fixed]"
                    )
                if not value:
                    raise SpecError(f"{loc}: [grid] axis {key!r} is empty; give at least one value")
                vals = []
                for i, v in enumerate(value):
                    try:
                        vals.append(check(v))
                    except _Bad as exc:
                        raise SpecError(
                            f"{loc}: [grid] {key!r}, value {i + 1} of {len(value)}: {exc}"
                        ) from None
                dup = [v for i, v in enumerate(vals) if v in vals[:i]]
                if dup:
                    raise SpecError(f"{loc}: [grid] axis {key!r} repeats the value {dup[0]!r}")
                norm[key] = vals
            else:
                try:
                    norm[key] = check(value)
                except _Bad as exc:
                    raise SpecError(f"{loc}: [fixed] {key!r} {exc}") from None
        tables[table] = norm
    both = set(tables["grid"]) & set(tables["fixed"])
    if both:
        key = sorted(both)[0]
        raise SpecError(
            f"{source}: {key!r} is set in [grid] ({where('grid', key)}) and in [fixed] "
            f"({where('fixed', key)}); keep one"
        )
    out = SweepSpec(
        kind=kind,
        name=name,
        grid=tables["grid"],
        fixed=tables["fixed"],
        source=source,
        text=text,
        lines=lines,
        fmt=fmt,
    )
    out.runs()  # cross-field checks and duplicates, now rather than mid-sweep
    return out
