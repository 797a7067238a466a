"""``querysight`` / ``python -m querysight``: the command-line program (``check``, ``rule``),
the same as the Rust binary."""

from __future__ import annotations

import sys


def main() -> None:
    from . import _native

    sys.exit(_native.cli_main(["querysight", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
