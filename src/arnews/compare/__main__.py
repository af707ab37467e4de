"""``python -m arnews.compare``: see arnews.compare.cli."""
import sys

from arnews.compare.cli import main

if __name__ == "__main__":
    sys.exit(main())
