"""Check one author's part of the demo corpus and print its counts.

Usage: python corpus/check_part.py corpus/parts/h1
       python corpus/check_part.py corpus/parts/h7 --long   # a v2 long-form part

The folder holds any number of ``articles*.jsonl`` and ``claims*.jsonl`` files.
``--long`` applies the v2 rules (AUTHORING.md, "Corpus v2"): articles of 400-900
words, and claims may list ``hard_unrelated`` articles of *other* clusters of the
part, which share actors, places or topic words with the claim but do not address it.
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


def main(folder, long_form=False):
    folder = pathlib.Path(folder)
    lo, hi = (400, 900) if long_form else (120, 400)
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
            if not lo <= w <= hi:
                errors.append(f"{where}: {row['id']} text has {w} words (need {lo}-{hi})")
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
            hard = row.get("hard_unrelated", [])
            if hard and not long_form:
                errors.append(f"{where}: hard_unrelated is a v2 field; check with --long")
            for aid in hard:
                if aid not in arts:
                    errors.append(f"{where}: hard_unrelated names unknown article {aid}")
                elif arts[aid]["cluster"] == row["cluster"] or aid in row["stances"]:
                    errors.append(f"{where}: hard_unrelated article {aid} must be from another cluster")
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
    if long_form:
        print(f"hard unrelated pairs: {sum(len(c.get('hard_unrelated', [])) for c in claims)}")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], long_form="--long" in sys.argv[2:]))
