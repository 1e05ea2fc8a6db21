"""``python -m analyser``: the same as the ``analyser`` command."""
import sys

from .cli import main

sys.exit(main())
