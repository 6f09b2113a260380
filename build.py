#!/usr/bin/env python3
"""zhilian (直联) — the one entry point.  See README.md and `python build.py --help`."""

import sys

from zhilian.cli import main

if __name__ == "__main__":
    sys.exit(main())
