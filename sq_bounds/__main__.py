"""``python -m sq_bounds``: see :mod:`sq_bounds.cli`."""

import sys

from .cli import main

sys.exit(main())
