"""Sphinx configuration of the funkhecke documentation site.

Build (from the repository root):  python -m sphinx -W --keep-going -b html docs docs/_build/html

Choices
-------
* Sphinx + numpydoc + autosummary: the docstrings are numpydoc already and carry the formulas
  in reST math; autosummary generates one page per public name straight from each package's
  ``__all__`` (see ``_write_api_pages`` below), so a name added to a package's public API gets
  its page at the next build without anyone editing a list.
* myst-nb: Markdown pages (README sections are included verbatim, one source for both) and the
  teaching notebooks rendered with their outputs.  The notebooks are committed without outputs
  (tests/test_notebooks.py); the docs build executes them, caching the results with
  jupyter-cache in docs/_build/.jupyter_cache, so rebuilding is quick when they did not change.
  ``FUNKHECKE_DOCS_EXECUTE=0`` renders them without executing (used by tests/test_docs.py, which
  checks the docstrings and cross-references quickly; .ci/run builds the full site).
* nitpicky: a cross-reference to a name that has no page is a warning, hence an error under -W.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import re
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import funkhecke  # noqa: E402

project = "funkhecke"
author = "The funkhecke developers"
copyright = "the funkhecke developers (MIT license)"
release = funkhecke.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]

# The public API documented: every package (and public submodule) with the names of its
# __all__.  A new public name needs no edit here; a new public *module* is one line.
API_MODULES = [
    ("harmonics", "base layer: analysis on the sphere"),
    ("harmonics.symbolic", "exact sympy closed forms"),
    ("harmonics.plotting", "figure helpers (extra: plot)"),
    ("gd_operator", "gradient descent as an operator"),
    ("sq_bounds", "statistical-query lower bounds"),
    ("funkhecke", "application layer"),
    ("funkhecke.reproductions", "the paper reproductions"),
    ("funkhecke.sweeps", "grids of runs"),
]
# Public names that are not documented objects of their own.
API_SKIP = {"funkhecke": {"__version__"}}

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_generated_figures.rst", "**.ipynb_checkpoints", "jupyter_execute"]
templates_path = ["_templates"]
root_doc = "index"

html_theme = "furo"
html_title = f"funkhecke {release}"
html_static_path: list[str] = []

# autodoc / autosummary / numpydoc
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# myst / myst-nb
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "cache" if os.environ.get("FUNKHECKE_DOCS_EXECUTE", "1") != "0" else "off"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True

nitpicky = True
# Types from outside the project (no intersphinx: the build must work offline).
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|sympy|sp|mpmath|matplotlib|dask|distributed|pathlib|os)\..*"),
    (r"py:.*", r"(typing|collections\.abc|collections|types|enum|dataclasses|abc)\..*"),
    (r"py:.*", r"(int|float|complex|bool|str|bytes|object|list|tuple|dict|set|frozenset)"),
    (r"py:.*", r"(None|Any|Callable|Iterable|Iterator|Sequence|Mapping|Union|Optional|Literal)"),
    (r"py:.*", r"(ArrayLike|NDArray|ndarray|Generator|Path|PathLike|Self|TypeAlias)"),
    (r"py:.*", r".*Error|.*Warning|Exception"),
    # Private names (a component with a leading underscore, e.g. the TypeVar of
    # ResultMixin.load) have no page by design.
    (r"py:.*", r"(.*\.)?_[A-Za-z]\w*"),
    # Module docstrings are not part of the API reference (its pages are the public names):
    # a :mod: link to one of our modules renders as its name.
    (r"py:mod", r"(harmonics|gd_operator|sq_bounds|funkhecke)(\..*)?"),
]


def _public_names(module_name: str) -> tuple[list[str], dict[str, str]]:
    """(names documented on the module's page, {re-exported name: the submodule whose page
    documents it}) -- a name that a documented submodule exports is documented there once."""
    module = importlib.import_module(module_name)
    skip = API_SKIP.get(module_name, set())
    elsewhere = {}
    for sub, _ in API_MODULES:
        if sub.startswith(module_name + "."):
            subm = importlib.import_module(sub)
            for name in subm.__all__:
                if name in module.__all__ and getattr(module, name) is getattr(subm, name):
                    elsewhere.setdefault(name, sub)
    own = [n for n in module.__all__ if n not in skip and n not in elsewhere]
    moved = {n: elsewhere[n] for n in module.__all__ if n in elsewhere}
    return sorted(own, key=str.lower), moved


def _write_api_pages() -> None:
    """docs/api/<module>.rst: an autosummary table of the module's __all__ (generated)."""
    api = DOCS / "api"
    api.mkdir(exist_ok=True)
    index = [
        "API reference",
        "=============",
        "",
        "Generated from the docstrings: one page per public name of each package (its",
        "``__all__``).  Conventions: :doc:`../conventions`.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    for module_name, blurb in API_MODULES:
        index.append(f"   {module_name} — {blurb} <{module_name}>")
    index.append("   Infrastructure: results, save and load <infrastructure>")
    for module_name, _ in API_MODULES:
        title = f"``{module_name}``"
        lines = [
            title,
            "=" * len(title),
            "",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "",
            f".. currentmodule:: {module_name}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "   :nosignatures:",
            "",
        ]
        own, moved = _public_names(module_name)
        lines += [f"   {name}" for name in own]
        if moved:
            lines += ["", f"Also exported by ``{module_name}`` (documented in its submodule):", ""]
            lines += [f"* ``{module_name}.{n}``: :obj:`{sub}.{n}`" for n, sub in moved.items()]
        _write_if_changed(api / f"{module_name}.rst", "\n".join(lines) + "\n")
    _write_if_changed(api / "index.rst", "\n".join(index) + "\n")
    infrastructure = [
        "Infrastructure: results, save and load",
        "======================================",
        "",
        "Every result type (the classes listed in the API reference with ``save``/``load``) is a",
        ":class:`~harmonics._infra.results.ResultMixin`: one implementation of ``to_dict`` /",
        "``to_json`` / ``save`` / ``load``.",
        "",
        ".. autoclass:: harmonics._infra.results.ResultMixin",
        "   :members:",
        "",
    ]
    _write_if_changed(api / "infrastructure.rst", "\n".join(infrastructure))


def _copy_notebooks() -> None:
    """The notebooks live in notebooks/ (outside the source folder): copy them in (generated)."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for old in target.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for name in sorted(wanted):
        src, dst = ROOT / "notebooks" / name, target / name
        # Links to ../docs/X.md from notebooks/ point to X.md from docs/notebooks/.
        text = src.read_text(encoding="utf-8").replace("](../docs/", "](../")
        _write_if_changed(dst, text)


def _write_figure_list() -> None:
    """_generated_figures.rst: every docs/demo_*.png not already shown on reproductions.md."""
    shown = {"demo_vw.png", "demo_basri.png"}
    figures = sorted(p.name for p in DOCS.glob("demo_*.png") if p.name not in shown)
    lines = []
    for name in figures:
        lines += [f".. figure:: {name}", f"   :alt: {name}", "", f"   ``docs/{name}``", ""]
    if not figures:
        lines = ["(All of them are shown above.)", ""]
    _write_if_changed(DOCS / "_generated_figures.rst", "\n".join(lines))


def _write_if_changed(path: pathlib.Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


_INLINE_LITERAL = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2}|\$[^$\n]*\$)")


def _escape_plain_text_bars(app, what, name, obj, options, lines) -> None:
    """Docstrings write formulas in plain text, where |x| is an absolute value (as help()
    shows it); reST would read |x| as a substitution.  Escape the bars outside literals,
    math, doctests, literal blocks and tables.  Runs before numpydoc (priority 400 < 500)."""
    literal_indent = None  # indentation of the line that opened a literal block / directive
    in_doctest = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if not stripped:
            in_doctest = False
            continue
        in_doctest = in_doctest or stripped.startswith(">>>")
        table_row = stripped.startswith("|") and stripped.rstrip().endswith("|")
        if in_doctest or table_row or stripped.startswith(("+-", "+=")):
            continue
        if stripped.startswith(".. "):
            literal_indent = indent
            continue
        pieces = _INLINE_LITERAL.split(line)
        lines[i] = "".join(p if j % 2 else p.replace("|", "\\|") for j, p in enumerate(pieces))
        if stripped.rstrip().endswith("::"):
            literal_indent = indent


_SECTION_WITH_REMARK = re.compile(r"^(\s*)(Attributes|Parameters|Returns|Notes) \((.+)\)\s*$")


def _split_section_remarks(app, what, name, obj, options, lines) -> None:
    """ "Attributes (M = len(samples))" over a dashed line: numpydoc knows the section only by
    its bare name, so the remark becomes a sentence before the header."""
    for i in range(len(lines) - 2, -1, -1):
        match = _SECTION_WITH_REMARK.match(lines[i])
        if match and set(lines[i + 1].strip()) == {"-"}:
            indent, section, remark = match.groups()
            lines[i : i + 2] = [
                f"{indent}{remark}.",
                "",
                indent + section,
                indent + "-" * len(section),
            ]


def _generate(app, config=None) -> None:
    """Pages generated from the tree.  At config-inited: before Sphinx lists the source files
    (autosummary only generates stubs for documents found then, so on a fresh clone the pages
    must exist before that)."""
    # The notebook kernels inherit this environment: without MPLBACKEND (CI sets Agg) they use
    # the inline backend, so the figures are part of the outputs.  Set here, not at import: the
    # tests read this file with runpy, and a NUMBA_NUM_THREADS changed in their process breaks
    # every later numba compilation there.
    os.environ.pop("MPLBACKEND", None)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    _write_api_pages()
    _copy_notebooks()
    _write_figure_list()


def setup(app):
    app.connect("config-inited", _generate, priority=100)
    app.connect("autodoc-process-docstring", _split_section_remarks, priority=390)
    app.connect("autodoc-process-docstring", _escape_plain_text_bars, priority=400)
