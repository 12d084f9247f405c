"""Test settings for the whole repository.

Notebooks run in the tests (nbmake) on a short horizon, so CI stays fast; plots draw
off screen.
"""

import os

os.environ.setdefault("DISPATCH_NOTEBOOK_HOURS", "336")
os.environ.setdefault("MPLBACKEND", "Agg")
