"""Check one author's part of the demo corpus and print its counts.

Usage: python corpus/check_part.py corpus/parts/h1

The folder holds any number of ``articles*.jsonl`` and ``claims*.jsonl`` files.
"""
import collections
import json
import pathlib
import re
import sys

TOPICS = {"cybersecurity", "arms_control", "regional_conflicts"}
STANCES = {"agree", "disagree", "discuss"}
ART_FIELDS = {"id", "cluster", "title", "date", "source", "genre", "text", "topics"}
CLAIM_FIELDS = {"claim_id", "cluster", "claim", "stances"}


def words(s):
    return len(re.findall(r"\S+", s))


def main(folder):
    folder = pathlib.Path(folder)
    errors, arts, claims = [], {}, []
    for path in sorted(folder.glob("articles*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: bad JSON ({exc})")
                continue
            missing = ART_FIELDS - row.keys()
            if missing:
                errors.append(f"{where}: missing fields {sorted(missing)}")
                continue
            if row["id"] in arts:
                errors.append(f"{where}: duplicate id {row['id']}")
            bad = set(row["topics"]) - TOPICS
            if bad:
                errors.append(f"{where}: unknown topics {bad}")
            w = words(row["text"])
            if not 120 <= w <= 400:
                errors.append(f"{where}: {row['id']} text has {w} words (need 120-400)")
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", row["date"]):
                errors.append(f"{where}: date must be YYYY-MM-DD")
            arts[row["id"]] = row
    for path in sorted(folder.glob("claims*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: bad JSON ({exc})")
                continue
            missing = CLAIM_FIELDS - row.keys()
            if missing:
                errors.append(f"{where}: missing fields {sorted(missing)}")
                continue
            for aid, lab in row["stances"].items():
                if aid not in arts:
                    errors.append(f"{where}: stance for unknown article {aid}")
                elif arts[aid]["cluster"] != row["cluster"]:
                    errors.append(f"{where}: article {aid} is not in cluster {row['cluster']}")
                if lab not in STANCES:
                    errors.append(f"{where}: stance {lab!r} must be agree/disagree/discuss")
            claims.append(row)
    topic_counts = collections.Counter(t for a in arts.values() for t in a["topics"])
    none = sum(1 for a in arts.values() if not a["topics"])
    multi = sum(1 for a in arts.values() if len(a["topics"]) >= 2)
    stance_counts = collections.Counter(l for c in claims for l in c["stances"].values())
    wc = [words(a["text"]) for a in arts.values()]
    print(f"articles: {len(arts)}  clusters: {len({a['cluster'] for a in arts.values()})}")
    print(f"topics: {dict(topic_counts)}  none: {none}  multi: {multi}")
    if wc:
        print(f"words: min {min(wc)} mean {sum(wc)/len(wc):.0f} max {max(wc)}")
    print(f"claims: {len(claims)}  stance pairs: {dict(stance_counts)}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
