"""Label every row of a JSONL or CSV file with a logged arnews model, in batches.

    python predict.py model_uri=runs:/<run_id>/topic-tfidf_logreg input=news.jsonl output=labels.jsonl
    python predict.py model_uri=runs:/<run_id>/stance-tfidf_pair input=pairs.csv output=out.csv overwrite=true
    python predict.py --help                          # every option
"""
import sys

from arnews.predict_cli import main

if __name__ == "__main__":
    sys.exit(main())
