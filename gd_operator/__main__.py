"""``python -m gd_operator``: an entry point, not a module of the library.

The command line lives in the application layer (funkhecke.cli); entry points are the one
place a library package may call it (see tests/test_architecture.py).
"""

import sys

from funkhecke.cli import gd_operator_main

sys.exit(gd_operator_main())
