"""Check the demo corpus: schema, cross-split duplicates, and label counts.

Run ``arnews-corpus validate``. It prints a Markdown table of counts per label and
split (the same table that ``DATACARD.md`` carries) and exits non-zero on any
problem, naming the file and line.
"""
from __future__ import annotations

import collections
from pathlib import Path

from arnews.data.jsonl import read_jsonl_dir
from arnews.data.leakage import find_cross_split_duplicates
from arnews.errors import ArnewsError
from arnews.tasks.task import Task

TOPICS = ("cybersecurity", "arms_control", "regional_conflicts")
STANCES = ("agree", "disagree", "discuss", "unrelated")
# What the corpus promises (issue: an annotated corpus in the project's taxonomy).
MINIMUMS = {"articles": 360, "cybersecurity": 90, "arms_control": 90, "regional_conflicts": 90,
            "none": 90, "multi": 60, "pairs": 1200, "agree": 150, "disagree": 150, "discuss": 150}
SPLITS = ("train", "dev", "test")


def topic_counts(splits: dict) -> dict[str, collections.Counter]:
    out = {}
    for split, rows in splits.items():
        c = collections.Counter(lab for r in rows for lab in r["topics"])
        c["none"] = sum(1 for r in rows if not r["topics"])
        c["multi"] = sum(1 for r in rows if len(r["topics"]) >= 2)
        c["articles"] = len(rows)
        out[split] = c
    return out


def stance_counts(splits: dict) -> dict[str, collections.Counter]:
    out = {}
    for split, rows in splits.items():
        c = collections.Counter(r["stance"] for r in rows)
        c["pairs"] = len(rows)
        c["claims"] = len({r["claim_id"] for r in rows})
        out[split] = c
    return out


def counts_table(rows_by_split: dict[str, collections.Counter], keys) -> str:
    lines = ["| | " + " | ".join(SPLITS) + " | total |", "|---" * (len(SPLITS) + 2) + "|"]
    for key in keys:
        vals = [rows_by_split[s][key] for s in SPLITS]
        lines.append(f"| {key} | " + " | ".join(map(str, vals)) + f" | {sum(vals)} |")
    return "\n".join(lines)


def counts_markdown(root: Path) -> str:
    topic = topic_counts(read_jsonl_dir(root / "topic"))
    stance = stance_counts(read_jsonl_dir(root / "stance"))
    return ("Topics (articles; an article may carry several topics):\n\n"
            + counts_table(topic, ("articles",) + TOPICS + ("none", "multi"))
            + "\n\nStance (claim–article pairs):\n\n"
            + counts_table(stance, ("pairs", "claims") + STANCES))


def validate(root: Path, minimums: bool = True) -> int:
    """Print counts and problems; return 0 when the corpus passes."""
    problems = []
    try:
        topic = read_jsonl_dir(root / "topic")
        stance = read_jsonl_dir(root / "stance")
        Task("topic", ["title", "text"], ["topics"], labels=list(TOPICS)).setup(topic)
        Task("stance", ["text"], ["stance"], pair_fields=["claim"], labels=list(STANCES)).setup(stance)
    except ArnewsError as exc:
        print(f"error: {exc}")
        return 1
    for name, splits in (("topic", topic), ("stance", stance)):
        report = find_cross_split_duplicates(splits)
        print(f"{name} {report.summary()}")
        if report.leaks:
            problems.append(f"{name}: articles shared between splits: {report.examples[:3]}")
    claims = {s: {r["claim_id"] for r in rows} for s, rows in stance.items()}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        if claims[a] & claims[b]:
            problems.append(f"stance: claims in both {a} and {b}: {sorted(claims[a] & claims[b])[:3]}")
    print(counts_markdown(root))
    if minimums:
        totals = collections.Counter()
        for c in list(topic_counts(topic).values()) + list(stance_counts(stance).values()):
            totals.update(c)
        for key, need in MINIMUMS.items():
            if totals[key] < need:
                problems.append(f"only {totals[key]} {key} (need at least {need})")
    for p in problems:
        print(f"problem: {p}")
    print("corpus OK" if not problems else f"corpus FAILED: {len(problems)} problem(s)")
    return 1 if problems else 0
