"""``python -m harmonics``: an entry point, not a module of the library.

The command line lives in the application layer (funkhecke.cli); entry points are the one
place a library package may call it (see tests/test_architecture.py).
"""

import sys

from funkhecke.cli import harmonics_main

sys.exit(harmonics_main())
