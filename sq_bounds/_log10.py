"""log10 helpers shared by sq_bounds.bounds, .correlation and .families (private).

Bounds are reported in log10 so that huge values stay finite.
"""

from __future__ import annotations

import math

LN10 = math.log(10.0)


def log10_int(d: int) -> float:
    """log10 of a positive Python int of any size, to double precision."""
    if d <= 0:
        raise ValueError("log10_int needs a positive integer")
    bits = d.bit_length()
    if bits < 1000:
        return math.log10(d)
    shift = bits - 60
    return math.log10(d >> shift) + shift * math.log10(2.0)
