"""Infrastructure shared by every funkhecke package, kept apart from the mathematics.

checks   argument validation: clear TypeError/ValueError naming the argument and its range
         (check_bool: flags are True/False, never truthy stand-ins)
rng      the one RNG policy (``rng=``: None, an int seed or a numpy Generator)
jsonio   strict JSON (NaN/inf -> null) and atomic file writes
results  the result mixin: to_dict / to_json / save / load
deprecation  deprecated aliases of renamed keywords and attributes (one warning per use)
figures  the figure style, styled axes and atomic figure saves (matplotlib imported lazily)
extras   optional dependencies: require(module, extra, what) -> one ImportError line naming
         pip install "funkhecke[extra]"; progress_bar (no tqdm: no bar)
threads  one or all numba threads by problem size (run_kernel)

It lives in the base package because the base package may import nothing else of ours; the
libraries above (gd_operator, sq_bounds) and the application layer (funkhecke) import it from
here.  Nothing in it is public API.
"""
