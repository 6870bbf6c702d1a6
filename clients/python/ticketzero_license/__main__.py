"""``python -m ticketzero_license``: the installation CLI."""
import sys

from .cli import main

sys.exit(main())
