"""``python -m verify``."""

import sys

from verify.cli import command

if __name__ == "__main__":
    sys.exit(command())
