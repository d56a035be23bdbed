"""Random points on the sphere."""

from __future__ import annotations

import numpy as np

from ._infra.checks import check_dimension, check_int
from ._infra.rng import as_generator

#: Default memory limit of :func:`sample_sphere` (bytes): the draw and the result, 16 N n.
DEFAULT_MAX_BYTES = 4 * 2**30


def sample_sphere(N: int, n: int, rng=None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """N points drawn independently from the uniform (probability) measure on S^{n-1}.

    x = g / ||g|| with g ~ N(0, I_n) (rotation invariance of the Gaussian; Muller 1959).

    Parameters
    ----------
    N : int >= 0, number of points;  n : int >= 2, ambient dimension.  The sizes come in the
        order of the output shape [N, n] (the one exception to "dimension n before degree k",
        which is about (n, k) pairs; docs/conventions.md).
    rng : numpy.random.Generator, int seed or None (fresh entropy, not reproducible).
    max_bytes : refuse (ValueError, before allocating) when the Gaussian draw and the result,
        16 N n bytes, exceed this (default 4 GiB).

    Returns
    -------
    float64 array [N, n] of unit rows (norms equal to 1 within a few ulps).

    >>> X = sample_sphere(4, 3, rng=0)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1.0))
    ((4, 3), True)
    """
    N = check_int(N, "N", 0)
    n = check_dimension(n)
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    if 16 * N * n > max_bytes:
        raise ValueError(
            f"sample_sphere: N = {N} points in dimension n = {n} need {16 * N * n:.3g} bytes, "
            f"above max_bytes={max_bytes:.3g}; pass max_bytes= to raise the limit"
        )
    gen = as_generator(rng)
    g = gen.standard_normal((N, n))
    norms = np.linalg.norm(g, axis=1)
    # A Gaussian vector is 0 with probability 0; redraw the (practically impossible) zeros.
    while N and np.any(norms == 0):
        bad = norms == 0
        g[bad] = gen.standard_normal((int(bad.sum()), n))
        norms = np.linalg.norm(g, axis=1)
    return g / norms[:, None]
