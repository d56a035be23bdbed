"""``python -m funkhecke``: the same program as the ``funkhecke`` console script."""

import sys

from .cli import main

sys.exit(main())
