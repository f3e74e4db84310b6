"""``python -m nn train [--dataset moons|circles|spiral|xor|digits] [options]``: see nn/cli.py."""

import sys

from nn.cli import main

sys.exit(main())
