"""Paper reproductions: the experiments of Vempala & Wilmes (2019), Cao et al. (2019) and Basri
et al. (2019), run with :func:`gd_operator.simulate` and compared with
:func:`gd_operator.spectrum` (see each function for the paper's setup and what is reduced); the
kernel-regression staircase and the learning-curve theory-vs-simulation table
(:mod:`funkhecke.reproductions.staircase`)."""

from .papers import Reproduction, basri_et_al, cao_et_al, vempala_wilmes
from .staircase import staircase_reproduction, theory_vs_simulation

__all__ = [
    "Reproduction",
    "basri_et_al",
    "cao_et_al",
    "staircase_reproduction",
    "theory_vs_simulation",
    "vempala_wilmes",
]
