"""``python -m engine EXPRESSION name=value ... [--wrt NAME] [--draw FILE]``: see engine/cli.py."""

import sys

from engine.cli import main

sys.exit(main())
