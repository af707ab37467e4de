"""Compare finished training runs: a leaderboard of seed groups with confidence intervals.

    python -m arnews.compare --parent <sweep_run_id>
    python compare.py --experiment arnews-topic-demo --tag model=tfidf_logreg

One concept per module:

- ``selection``   which MLflow runs (experiment, parent, tags; FINISHED; no evaluation runs)
- ``groups``      the grouping rule (runs differing only in seed form one group)
- ``stats``       macro-F1 from prediction tables, mean ± std, bootstrap CI (pure functions)
- ``leaderboard`` rows, ranking (selection on dev), CSV and Markdown
- ``charts``      PNG charts
- ``cli``         argparse entry point, writing the report and logging it to the parent
"""
