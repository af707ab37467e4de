"""``python -m arnews.corpus {build,validate}``: see ``arnews-corpus --help``."""
from arnews.corpus.cli import main

raise SystemExit(main())
