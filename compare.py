"""Compare finished training runs: leaderboard (Markdown + CSV) and charts.

    python compare.py --parent <sweep_parent_run_id>
    python compare.py --experiment arnews-topic-demo --tag model=tfidf_logreg
    python compare.py --help
"""
import sys

from arnews.compare.cli import main

if __name__ == "__main__":
    sys.exit(main())
