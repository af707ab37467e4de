"""Check the demo corpus: schema, cross-split duplicates, and label counts.

Run ``arnews-corpus validate``. It prints a Markdown table of counts per label and
split (the same table that ``DATACARD.md`` carries), article lengths per corpus
version and the claim–article word-overlap ROC AUC, and exits non-zero on any
problem: schema, duplicates or claims across splits, minimum counts, the corpus
version in ``corpus.json``, article lengths outside their version's range (v1
120-400 words, v2 400-900), and stance pairs whose ``origin`` does not fit their
label (authored pairs are never ``unrelated``; hard and sampled pairs are always
``unrelated`` and pair a claim with an article of another cluster).
"""
from __future__ import annotations

import collections
import json
import re
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
CORPUS_VERSION = 2
WORDS = {1: (120, 400), 2: (400, 900)}
ORIGINS = ("authored", "hard_unrelated", "sampled")


def n_words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def check_v2(root: Path, topic: dict, stance: dict) -> list[str]:
    """Version, per-version article lengths and pair origins; prints lengths and overlap AUC."""
    from arnews.corpus.overlap import jaccard, pair_auc

    problems = []
    meta_path = root / "corpus.json"
    if not meta_path.exists():
        return [f"{meta_path} is missing (it records the corpus version; run arnews-corpus build)"]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("version") != CORPUS_VERSION:
        problems.append(f"corpus.json: version {meta.get('version')!r}, expected {CORPUS_VERSION}")
    versions = meta.get("parts", {})
    lengths = collections.defaultdict(list)
    cluster = {}
    for split, rows in topic.items():
        for r in rows:
            cluster[r["id"]] = r.get("cluster")
            v = versions.get(r["id"].split("-", 1)[0], 1)
            w = n_words(r["text"])
            lengths[v].append(w)
            lo, hi = WORDS.get(v, WORDS[1])
            if not lo <= w <= hi:
                problems.append(f"topic/{split}: {r['id']} (v{v}) has {w} words (need {lo}-{hi})")
    print(f"corpus version {meta.get('version')}")
    for v in sorted(lengths):
        ws = sorted(lengths[v])
        print(f"v{v} articles: {len(ws)}, words min {ws[0]} median {ws[len(ws) // 2]} "
              f"mean {sum(ws) / len(ws):.0f} max {ws[-1]}")
    for split, rows in stance.items():
        own = collections.defaultdict(set)
        for r in rows:
            if r.get("origin", "authored") == "authored":
                own[r["claim_id"]].add(cluster.get(r["article_id"]))
        for r in rows:
            origin = r.get("origin", "authored")
            if origin not in ORIGINS:
                problems.append(f"stance/{split}: {r['id']} has origin {origin!r}")
            elif (origin == "authored") == (r["stance"] == "unrelated"):
                problems.append(f"stance/{split}: {r['id']} is {origin} but {r['stance']}")
            elif origin != "authored" and cluster.get(r["article_id"]) in own[r["claim_id"]]:
                problems.append(f"stance/{split}: {r['id']} pairs a claim with its own cluster as unrelated")
    rows = [r for s in SPLITS for r in stance.get(s, [])]
    print("overlap ROC AUC, related vs unrelated (share of claim words in the article / Jaccard): "
          + ", ".join(f"{s} {pair_auc(stance[s]):.3f}/{pair_auc(stance[s], jaccard):.3f}" for s in SPLITS if s in stance)
          + f", all {pair_auc(rows):.3f}/{pair_auc(rows, jaccard):.3f}")
    return problems


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
        c.update(f"origin:{r.get('origin', 'authored')}" for r in rows)
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
            + counts_table(stance, ("pairs", "claims") + STANCES
                           + ("origin:authored", "origin:hard_unrelated", "origin:sampled")))


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
    problems += check_v2(root, topic, stance)
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
