"""Rebuild the real-news topic test set (study 06) from SaudiNewsNet and our labels.

SaudiNewsNet is CC BY-NC-SA 4.0, so the repository holds no article text: only
``labels.jsonl`` (next to this script), one line per article with its SaudiNewsNet
``id``, its ``topics`` and the candidate ``pool`` it was drawn from. This script joins
those labels back to the article texts and writes ``OUT/test.jsonl`` in the arnews JSONL
schema (``id``, ``title``, ``text``, ``topics``), for example::

    python experiments/06_real_news/build_split.py                     # -> /tmp/real_news/test.jsonl
    python experiments/06_real_news/build_split.py --saudinewsnet DIR --out OUT
    python evaluate.py model_uri=runs:/<run_id>/model data=jsonl data.path=/tmp/real_news

The articles are read with arnews's own SaudiNewsNet reader, so the ids are the ones
the reader gives (``snn-`` + a hash of the URL). Texts are written as stored, without
normalisation: the pipeline normalises on load. Only ``test.jsonl`` is written, because
``evaluate.py`` reads nothing but the split it scores (``split=test``). Do not put OUT
inside the repository (licence).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOPICS = ("cybersecurity", "arms_control", "regional_conflicts")


def read_labels(path: Path) -> list[dict]:
    """The labelled ids, checked: unique ids, known topics."""
    labels, seen = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["id"] in seen:
            sys.exit(f"{path}:{lineno}: id {row['id']} appears twice")
        unknown = set(row["topics"]) - set(TOPICS)
        if unknown:
            sys.exit(f"{path}:{lineno}: unknown topics {sorted(unknown)}")
        seen.add(row["id"])
        labels.append(row)
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saudinewsnet", type=Path,
                        default=REPO.parent / "shared" / "datasets" / "saudinewsnet",
                        help="folder of SaudiNewsNet YYYY-MM-DD.json (or .zip) files "
                             "(default: ../shared/datasets/saudinewsnet from the repo root)")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.jsonl")
    parser.add_argument("--out", type=Path, default=Path("/tmp/real_news"),
                        help="output folder for test.jsonl (default: /tmp/real_news)")
    args = parser.parse_args()

    from arnews.data.readers.saudinewsnet import read_saudinewsnet

    labels = read_labels(args.labels)
    articles = {row["id"]: row for row in read_saudinewsnet(str(args.saudinewsnet))["train"]}
    missing = [row["id"] for row in labels if row["id"] not in articles]
    if missing:
        sys.exit(f"{len(missing)} labelled ids are not in {args.saudinewsnet} "
                 f"(first: {missing[:3]}); is this the full 2015-07-21..24 SaudiNewsNet?")

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "test.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for row in labels:
            article = articles[row["id"]]
            fh.write(json.dumps({"id": row["id"], "title": article["title"],
                                 "text": article["text"], "topics": row["topics"]},
                                ensure_ascii=False) + "\n")

    per_topic = Counter(t for row in labels for t in row["topics"])
    none = sum(1 for row in labels if not row["topics"])
    print(f"wrote {len(labels)} articles to {out}: "
          + ", ".join(f"{t} {per_topic[t]}" for t in TOPICS) + f", none {none}")


if __name__ == "__main__":
    main()
