"""The layers can be read from the tree, and imports only point down.

    harmonics      base layer: imports nothing else of ours
    gd_operator    imports harmonics only          (never sq_bounds, never funkhecke)
    sq_bounds      imports harmonics only          (never gd_operator, never funkhecke)
    funkhecke      the application layer: imports the three libraries, imported by none

Every module is parsed with ``ast`` (nothing is executed), so the check sees imports at module
level *and* inside function bodies, relative imports resolved against the module's package,
``importlib.import_module("...")`` / ``__import__("...")`` with a literal name, and any string
literal that is exactly a dotted module path of a package the module may not use (the way a lazy
table names a module).  The reference is the layer table above; the planted-arrow tests below
show that the checker fails on each kind of upward arrow, so a green run means something.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

OURS = ("harmonics", "gd_operator", "sq_bounds", "funkhecke")
ALLOWED = {
    "harmonics": {"harmonics"},
    "gd_operator": {"harmonics", "gd_operator"},
    "sq_bounds": {"harmonics", "sq_bounds"},
    "funkhecke": set(OURS),
}

# The only places a library names the application layer, each with its reason.
EXEMPT = {
    # ``python -m <library>`` entry points: programs, not library modules (nothing imports
    # them); they run the command lines, which live in the application layer.
    "harmonics/__main__.py": {"funkhecke"},
    "gd_operator/__main__.py": {"funkhecke"},
    "sq_bounds/__main__.py": {"funkhecke"},
    # Deprecated aliases for the names moved to funkhecke in 0.2 (a string table resolved
    # lazily on first use of an old name; removed in 0.3).
    "gd_operator/_moved.py": {"funkhecke"},
}

_MODULE_PATH = re.compile(r"^(" + "|".join(OURS) + r")(\.[A-Za-z_]\w*)*$")


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_packages(source: str, module: str, is_package: bool = False):
    """Yield (top-level package, line, how) for every reference to one of our packages."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno, "import"
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target.split(".")[0], node.lineno, "from-import"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if arg.value.startswith("."):
                        continue  # relative: same package
                    yield arg.value.split(".")[0], node.lineno, "importlib"
                elif isinstance(arg, ast.JoinedStr) and arg.values:
                    head = arg.values[0]
                    if isinstance(head, ast.Constant) and isinstance(head.value, str):
                        if not head.value.startswith("."):
                            yield head.value.split(".")[0], node.lineno, "importlib"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_PATH.match(node.value) and "." in node.value:
                yield node.value.split(".")[0], node.lineno, "module-path string"


def violations(root: pathlib.Path, exempt=None) -> list[str]:
    """Every upward or sideways arrow below ``root`` as 'file:line: how -> package'."""
    exempt = EXEMPT if exempt is None else exempt
    found = []
    for layer, allowed in ALLOWED.items():
        pkg_dir = root / layer
        if not pkg_dir.is_dir():
            continue
        for path in sorted(pkg_dir.rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            module = _module_name(path, root)
            ok = allowed | exempt.get(rel, set())
            src = path.read_text(encoding="utf-8")
            seen = set()
            for target, line, how in imported_packages(src, module, path.name == "__init__.py"):
                if target in OURS and target not in ok and (line, target) not in seen:
                    seen.add((line, target))  # an importlib call is also a module-path string
                    found.append(f"{rel}:{line}: {how} -> {target}")
    return found


def test_imports_only_point_down():
    assert violations(ROOT) == []


def private_crossings(root: pathlib.Path) -> list[str]:
    """Imports from another of our packages that name a private module or a private name.

    Packages meet at public names (a package's ``__init__`` names, public modules and their
    public names) and at the one shared infrastructure package, ``harmonics._infra``.
    """
    found = []
    for layer in ALLOWED:
        for path in sorted((root / layer).rglob("*.py")) if (root / layer).is_dir() else []:
            rel = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                    continue
                parts = node.module.split(".")
                if parts[0] not in OURS or parts[0] == layer:
                    continue
                private = [p for p in parts[1:] if p.startswith("_")]
                names = [a.name for a in node.names if a.name.startswith("_")]
                if (private and parts[1] != "_infra") or names:
                    found.append(f"{rel}:{node.lineno}: from {node.module} import {names or '...'}")
    return found


def test_libraries_meet_at_public_names():
    assert private_crossings(ROOT) == []


def test_a_private_crossing_is_caught(tmp_path):
    root = _tree(tmp_path, "gd_operator", "from harmonics._recurrence import legendre_rows\n")
    assert len(private_crossings(root)) == 1
    root = _tree(tmp_path, "sq_bounds", "from harmonics.ridge import _dims\n")
    assert len(private_crossings(root)) == 2  # the gd_operator plant is still there
    (tmp_path / "gd_operator" / "sub" / "planted.py").write_text(
        "from harmonics._infra.checks import check_int\nfrom harmonics import legendre\n"
    )
    (tmp_path / "sq_bounds" / "sub" / "planted.py").write_text("")
    assert private_crossings(root) == []


def test_every_package_is_checked():
    # A new top-level package of ours must be given a place in the layer table.
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "benchmarks", "docs"} <= set(ALLOWED), packages


def test_exemptions_are_only_entry_points_and_the_deprecation_table():
    for rel in EXEMPT:
        assert (ROOT / rel).is_file(), f"stale exemption {rel}"
        assert rel.endswith("/__main__.py") or rel == "gd_operator/_moved.py"


# ------------------------------------------------------------------ the checker can fail


PLANTED = {
    "module-level import": "from funkhecke import reproductions\n",
    "import in a function body": "def f():\n    import sq_bounds\n    return sq_bounds\n",
    "importlib string": "import importlib\nm = importlib.import_module('funkhecke.demo')\n",
    "importlib f-string": "import importlib\nm = importlib.import_module(f'sq_bounds.{x}')\n",
    "__import__": "m = __import__('gd_operator.spectrum')\n",
    "lazy table string": "_LAZY = {'sweep': 'funkhecke.sweeps'}\n",
}


def _tree(tmp_path, layer: str, source: str) -> pathlib.Path:
    for pkg in ALLOWED:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / layer / "sub").mkdir(exist_ok=True)
    (tmp_path / layer / "sub" / "__init__.py").write_text("")
    (tmp_path / layer / "sub" / "planted.py").write_text(source)
    return tmp_path


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_planted_upward_arrow_is_caught(tmp_path, kind):
    layer = "gd_operator" if "sq_bounds" in PLANTED[kind] else "harmonics"
    if kind == "__import__":
        layer = "sq_bounds"
    root = _tree(tmp_path, layer, PLANTED[kind])
    found = violations(root, exempt={})
    assert len(found) == 1 and "planted.py" in found[0], found


def test_relative_imports_resolve_inside_their_package(tmp_path):
    # ``from .. import x`` inside harmonics/sub/planted.py is harmonics itself.
    root = _tree(tmp_path, "harmonics", "from .. import legendre\n")
    assert violations(root, exempt={}) == []


def test_downward_and_third_party_imports_pass(tmp_path):
    source = "import numpy\nfrom harmonics import legendre\nimport importlib\n"
    source += "importlib.import_module('.x', __name__)\n"
    root = _tree(tmp_path, "gd_operator", source)
    assert violations(root, exempt={}) == []


def test_cached_kernels_have_their_own_cache_entries():
    """numba's on-disk cache names an entry by module, qualified name and first line, not by the
    compile options: two cached dispatchers of one function (serial / parallel, strict /
    fastmath) would load each other's machine code in later processes.  Every cached dispatcher
    of the packages must come from a distinct (module, qualname, line)."""
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import gd_operator
    import harmonics
    import sq_bounds

    seen: dict = {}
    for pkg in (harmonics, gd_operator, sq_bounds):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if info.name.endswith("__main__"):
                continue
            for name, obj in vars(importlib.import_module(info.name)).items():
                if not isinstance(obj, CPUDispatcher) or type(obj._cache).__name__ == "NullCache":
                    continue
                f = obj.py_func
                key = (f.__module__, f.__qualname__, f.__code__.co_firstlineno)
                first = seen.setdefault(key, (obj, f"{info.name}.{name}"))
                assert first[0] is obj, (
                    f"{info.name}.{name} and {first[1]} share the cache entry {key}; "
                    "compile one parallel variant; run it with harmonics._infra.threads.run_kernel"
                )
    assert len(seen) > 10  # the walk found the kernels
