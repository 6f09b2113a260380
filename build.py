#!/usr/bin/env python3
"""zhilian (直联) — the one entry point.  See README.md and `python build.py --help`."""

import signal
import sys

from zhilian.cli import main

if __name__ == "__main__":
    # A cancelled job (SIGTERM) stops like Ctrl-C: the half-written site is removed, and the
    # last good one stays as it was.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
