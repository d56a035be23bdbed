"""Sweep specs: parse a TOML/YAML grid file, validate it with errors naming key and line, and
expand it into runs whose settings are hashed into stable file names.

A spec has a ``kind`` ("simulate", "spectrum", "sq" or "learning_curve"), an optional
``name``, a ``[grid]`` table whose values are non-empty lists (the axes; every combination is
one run) and a ``[fixed]`` table of single values shared by every run.  Each run's settings
are the full, normalized set of the kind's settings (defaults filled in), so the hash of a run
does not depend on how the spec was written (axis order, ``1`` vs ``1.0``, grid vs fixed).

Abusive specs are refused quickly, before anything is expanded or allocated:

* the number of runs is the product of the axis lengths, counted before the grid is expanded;
  more than ``max_runs`` (default :data:`MAX_RUNS` = 10**6; ``load_spec(..., max_runs=N)``,
  ``sweep(..., max_runs=N)``, ``--max-runs N``) is refused;
* YAML anchors and aliases may add at most :data:`YAML_ALIAS_BUDGET` values to the document
  (an alias bomb, "billion laughs", is refused from its composed node graph, without
  constructing it); recursive aliases are refused; so is nesting deeper than the parsers'
  recursion limit;
* every value shown in an error message is cut to :data:`REPR_LIMIT` characters
  (:func:`short_repr`), so a huge value never makes a huge message.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import os
import re
import reprlib
from dataclasses import dataclass, field

SPEC_FORMAT = 1
KINDS = (
    "simulate",
    "spectrum",
    "sq",
    "learning_curve",
    "mean_field_lmz",
    "mean_field_escape",
    "mean_field_staircase",
)
TOP_LEVEL = ("kind", "name", "grid", "fixed")
_REQUIRED = object()

MAX_RUNS = 10**6  # default limit on the runs of one spec (product of the axis lengths)
YAML_ALIAS_BUDGET = 10_000  # values YAML aliases may add to a spec beyond its own nodes
REPR_LIMIT = 200  # characters of a value shown in an error message


class SpecError(ValueError):
    """A sweep spec is malformed; the message names the file, the key and its line."""


class _Bad(Exception):
    """Raised by a value validator with the reason (the caller adds key and line)."""


# ------------------------------------------------------------------------- value checks


class _ShortRepr(reprlib.Repr):
    """reprlib with small limits; huge integers are described, not converted to digits."""

    def __init__(self):
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = 8
        self.maxset = self.maxfrozenset = self.maxdeque = 8
        self.maxstring = self.maxother = REPR_LIMIT
        self.maxlong = 60

    def repr_int(self, x, level):
        if x.bit_length() > 200:
            digits = int(x.bit_length() * math.log10(2)) + 1
            return f"<{'negative ' if x < 0 else ''}integer of about {digits} digits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()


def short_repr(v, limit: int = REPR_LIMIT) -> str:
    """repr(v) cut to ``limit`` characters, computed without building the full repr (a value
    of hundreds of megabytes, or a deeply shared YAML structure, costs microseconds)."""
    try:
        text = _SHORT.repr(v)
    except Exception:  # a broken __repr__
        text = f"<{type(v).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_text(text, limit: int = REPR_LIMIT) -> str:
    """str(text) cut to ``limit`` characters (for messages that embed another message)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(v) -> str:
    return f"{type(v).__name__} {short_repr(v)}"


def _close_hint(word, options, fmt: str) -> str:
    """fmt.format(closest option) if ``word`` is a short string close to one, else ""."""
    if not isinstance(word, str) or len(word) > 100:  # difflib is quadratic in the length
        return ""
    close = difflib.get_close_matches(word, list(options), n=1)
    return fmt.format(repr(close[0])) if close else ""


def _yaml_hint(v) -> str:
    if isinstance(v, str) and len(v) <= 100:
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
            raise _Bad(f"must be an integer >= {minimum}, got {short_repr(v)}")
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
        try:
            x = float(v)
        except OverflowError:  # an integer beyond the float range
            x = math.inf
        if not math.isfinite(x):
            raise _Bad(f"must be a finite {what}, got {short_repr(v)}")
        if low is not None and (x <= low if strict else x < low):
            raise _Bad(f"must be a {what}, got {short_repr(v)}")
        if high is not None and x >= high:
            raise _Bad(f"must be a {what}, got {short_repr(v)}")
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
            hint = _close_hint(v, allowed, " (did you mean {}?)")
            got = short_repr(v)
            raise _Bad(f"must be one of {', '.join(map(repr, allowed))}, got {got}{hint}")
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
    "learning_curve": {
        "activation": (_str, _REQUIRED),
        "n": (_int(2), _REQUIRED),
        "samples": (_list_of(_int(1)), _REQUIRED),
        "degrees": (_list_of(_int(0)), [1, 2]),
        "train": (_choice("output", "hidden", "both"), "both"),
        "init": (_choice("sphere", "gaussian"), "gaussian"),
        "ridge": (_float(0.0, strict=False), 0.0),
        "noise": (_float(0.0, strict=False), 0.0),
        "kmax": (_optional(_int(0)), None),
        "simulate": (_bool, False),
        "seeds": (_int(1), 3),
        "seed": (_int(0), 0),
    },
    "sq": {
        "k": (_int(1), _REQUIRED),
        "n": (_int(2), _REQUIRED),
        "tau": (_float(0.0, high=1.0), _REQUIRED),
        "delta": (_optional(_float(0.0, strict=False, high=1.0)), None),
        "family_bound": (_choice("best", "gv", "random", "basis"), "best"),
        "max_family_size": (_optional(_family_size), None),
    },
    # funkhecke.reproductions.beyond_kernels units (defaults: its reduced configs)
    "mean_field_lmz": {
        "d": (_int(2), _REQUIRED),
        "samples_per_d3": (_int(1), 8),
        "width_per_d": (_int(1), 8),
        "batch": (_int(1), 32),
        "lr": (_float(0.0), 1.0),
        "init_scale": (_float(0.0), 0.5),
        "test_size": (_int(100), 20000),
        "seed": (_int(0), 0),
    },
    "mean_field_escape": {
        "k": (_int(1), _REQUIRED),
        "d": (_int(2), _REQUIRED),
        "lr_constant": (_optional(_float(0.0)), None),
        "seeds": (_int(1), 6),
        "threshold": (_float(0.0, high=1.0), 0.5),
        "cap_factor": (_int(1), 50),
        "ntk_bias": (_float(0.0, strict=False), 0.5),
        "seed": (_int(0), 0),
    },
    "mean_field_staircase": {
        "d": (_int(2), _REQUIRED),
        "depth": (_int(1), 3),
        "width": (_int(1), 128),
        "batch": (_int(1), 32),
        "lr": (_float(0.0), 0.1),
        "steps": (_int(1), 4000),
        "record_every": (_int(1), 25),
        "ntk_bias": (_float(0.0, strict=False), 0.5),
        "bias_init": (_float(0.0, strict=False), 0.5),
        "init_scale": (_float(0.0), 0.5),
        "test_size": (_int(100), 20000),
        "seed": (_int(0), 0),
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
        if len(raw) > 4096:  # the regexes backtrack quadratically on long lines of spaces
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


def _yaml_children(node):
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


def _check_yaml_aliases(root, source: str) -> None:
    """Refuse a document whose aliases expand it by more than YAML_ALIAS_BUDGET values, or
    that refers to itself.  Works on the composed node graph, where an alias is the anchored
    node itself: sizes are summed with memoization, in time linear in the text."""
    on_path = -1
    size = {}  # id(node) -> values of the node with every alias expanded (on_path: visiting)
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            size[id(node)] = 1 + sum(size[id(c)] for c in _yaml_children(node))
            continue
        seen = size.get(id(node))
        if seen == on_path:
            raise SpecError(
                f"{source}, line {node.start_mark.line + 1}: a YAML alias refers to a node "
                "that contains it (a recursive structure); write the values out"
            )
        if seen is not None:
            continue
        size[id(node)] = on_path
        stack.append((node, True))
        stack.extend((c, False) for c in _yaml_children(node))
    extra = size[id(root)] - len(size)
    if extra > YAML_ALIAS_BUDGET:
        raise SpecError(
            f"{source}: YAML aliases (*name) expand this spec by more than "
            f"{YAML_ALIAS_BUDGET} values (an alias bomb?); write the values out or use TOML"
        )


def _yaml_lines(text: str, source: str) -> dict:
    """{(table, key): line} from PyYAML's node marks; also rejects duplicate keys, which
    yaml.safe_load would silently collapse, and alias bombs (:func:`_check_yaml_aliases`)."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = {}
    if root is None:
        return lines
    _check_yaml_aliases(root, source)
    if not isinstance(root, yaml.MappingNode):
        return lines

    def walk(node, table):
        seen = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                continue  # safe_load refuses such keys (unhashable) or validation does
            key = knode.value
            line = knode.start_mark.line + 1
            if key in seen:
                where = f"[{table}] " if table else "top-level "
                raise SpecError(
                    f"{source}, line {line}: {where}key {short_repr(key)} appears twice (first "
                    f"on line {seen[key]})"
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

    kind : "simulate" | "spectrum" | "sq" | "learning_curve";  name : label for the figure and
    messages.
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
    _expanded: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def where(self, table: str, key: str | None = None) -> str:
        line = self.lines.get((table, key))
        return f"{self.source}, line {line}" if line else self.source

    @property
    def n_runs(self) -> int:
        """Number of runs: the product of the axis lengths (nothing is expanded)."""
        return math.prod(len(v) for v in self.grid.values())

    def check_size(self, max_runs: int = MAX_RUNS) -> None:
        """Refuse (SpecError) a grid of more than ``max_runs`` runs, before expanding it."""
        n = self.n_runs
        if n > max_runs:
            axes = " x ".join(f"{a} ({len(v)})" for a, v in self.grid.items())
            raise SpecError(
                f"{self.source}: the grid has {n} runs ({axes}), more than max_runs = "
                f"{max_runs}; split it into smaller sweeps, or raise the limit "
                "(max_runs=N, --max-runs N) if you mean it"
            )

    def runs(self) -> list:
        """Expand the grid (cartesian product in file order, last axis fastest) into runs.

        The expansion is cached (keyed by kind, grid and fixed, so editing them re-expands)."""
        key = (self.kind, canonical_json(self.grid), canonical_json(self.fixed))
        if self._expanded is None or self._expanded[0] != key:
            self._expanded = (key, tuple(self._expand()))
        return list(self._expanded[1])

    def _expand(self) -> list:
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
                    f"{self.source}: the grid points {short_repr(seen[h])} and "
                    f"{short_repr(point)} give identical settings; remove the duplicate axis value"
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
            return f"{short_repr(key)} (not set)"
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
        at = f" at grid point {short_repr(point)}" if point else ""
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
    hint = _close_hint(key, known, "; did you mean {}?")
    known = ", ".join(sorted(known))
    return SpecError(f"{where}: unknown {what} {short_repr(key)}{hint} (known: {known})")


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
            raise SpecError(f"{source}{at}: TOML syntax error: {short_text(exc)}") from None
        except RecursionError:
            raise SpecError(f"{source}: TOML nested too deeply") from None
        return data, _toml_lines(text)
    from harmonics._infra.extras import require

    yaml = require("yaml", "sweep", f"{source}: a YAML spec", alternative="write it in TOML")

    try:
        lines = _yaml_lines(text, source)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{source}{at}: YAML syntax error: {short_text(problem)}") from None
    except RecursionError:
        raise SpecError(f"{source}: YAML nested too deeply") from None
    except SpecError:
        raise
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise SpecError(f"{source}: YAML value refused: {short_text(exc)}") from None
    if data is None:
        data = {}
    return data, lines


def load_spec(spec, *, max_runs: int = MAX_RUNS) -> SweepSpec:
    """Read and validate a sweep spec: a path to a .toml, .yaml or .yml file, or a dict.

    Raises SpecError (a ValueError) naming the file, the key and its line for: syntax errors,
    unknown keys (with the closest known key), empty or non-list axes, wrong types or ranges,
    keys set both in [grid] and [fixed], missing required settings, inconsistent settings,
    duplicate grid points, more than ``max_runs`` runs (counted before expanding the grid) and
    YAML alias bombs (see the module docstring).
    """
    from harmonics._infra.checks import check_int

    max_runs = check_int(max_runs, "max_runs", 1)
    if isinstance(spec, SweepSpec):
        spec.check_size(max_runs)
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
        raise TypeError(
            f"spec must be a path to a TOML/YAML file or a dict, got {short_repr(spec)}"
        )
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
    raw_grid = data.get("grid")
    if isinstance(raw_grid, dict):  # count the runs before validating or expanding anything
        lengths = [len(v) for v in raw_grid.values() if isinstance(v, list)]
        if math.prod(lengths) > max_runs:
            axes = {a: v for a, v in raw_grid.items() if isinstance(v, list)}
            SweepSpec(kind, name, axes, {}, source=source).check_size(max_runs)
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
                seen = set()
                for v in vals:
                    blob = canonical_json(v)
                    if blob in seen:
                        raise SpecError(
                            f"{loc}: [grid] axis {key!r} repeats the value {short_repr(v)}"
                        )
                    seen.add(blob)
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
