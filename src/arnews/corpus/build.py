"""Assemble the authored corpus parts into the fixed, shipped splits.

Authors write event clusters under ``corpus/parts/<author>/`` (articles and the
claims about them, see ``corpus/AUTHORING.md``). The build:

1. assigns whole clusters to train/dev/test (about 70/10/20 of the articles), so an
   event, its articles and its claims never straddle two splits;
2. writes topic rows, one per article;
3. writes stance pairs: every claim with every article of its cluster (the authored
   agree/disagree/discuss labels), plus ``unrelated`` pairs with articles of other
   clusters in the same split, half of them near (sharing a topic) and half distant.

The result is deterministic for a given seed.
"""
from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

SPLIT_SHARES = {"train": 0.7, "dev": 0.1, "test": 0.2}
ARTICLE_FIELDS = ("id", "title", "text", "topics", "date", "source", "genre", "cluster")


def read_parts(parts_dir: Path) -> tuple[list[dict], list[dict]]:
    articles, claims = [], []
    for path in sorted(parts_dir.glob("*/articles*.jsonl")):
        articles += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in sorted(parts_dir.glob("*/claims*.jsonl")):
        claims += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return articles, claims


def assign_clusters(articles: list[dict], seed: int) -> dict[str, str]:
    """cluster → split, filling each split toward its share of articles."""
    size = defaultdict(int)
    for a in articles:
        size[a["cluster"]] += 1
    clusters = sorted(size)
    random.Random(seed).shuffle(clusters)
    total, filled, out = sum(size.values()), defaultdict(int), {}
    for c in clusters:
        split = max(SPLIT_SHARES, key=lambda s: SPLIT_SHARES[s] * total - filled[s])
        out[c] = split
        filled[split] += size[c]
    return out


def stance_pairs(claims, articles_by_id, split_of, seed: int, unrelated_per_claim: int = 2):
    """Related pairs from the authored labels plus sampled unrelated pairs."""
    rng = random.Random(seed)
    by_split = defaultdict(list)
    for a in articles_by_id.values():
        by_split[split_of[a["cluster"]]].append(a)
    cluster_topics = defaultdict(set)
    for a in articles_by_id.values():
        cluster_topics[a["cluster"]].update(a["topics"] or ["none"])
    pairs = defaultdict(list)
    for claim in sorted(claims, key=lambda c: c["claim_id"]):
        split = split_of[claim["cluster"]]
        for aid, stance in sorted(claim["stances"].items()):
            pairs[split].append(_pair(claim, articles_by_id[aid], stance))
        others = [a for a in by_split[split] if a["cluster"] != claim["cluster"]]
        near = [a for a in others if set(a["topics"] or ["none"]) & cluster_topics[claim["cluster"]]]
        far = [a for a in others if a not in near]
        picks = rng.sample(near, min(len(near), unrelated_per_claim // 2))
        picks += rng.sample(far, min(len(far), unrelated_per_claim - len(picks)))
        for a in picks:
            pairs[split].append(_pair(claim, a, "unrelated"))
    return pairs


def _pair(claim, article, stance):
    return {"id": f"{claim['claim_id']}__{article['id']}", "claim_id": claim["claim_id"],
            "claim": claim["claim"], "article_id": article["id"], "title": article["title"],
            "text": article["text"], "stance": stance}


def write_jsonl_gz(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the compressed bytes identical across rebuilds (clean git diffs).
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


def build(parts_dir: Path, out_dir: Path, seed: int = 13) -> dict:
    """Write ``out_dir/{topic,stance}/{split}.jsonl.gz``; return row counts per split."""
    articles, claims = read_parts(parts_dir)
    split_of = assign_clusters(articles, seed)
    by_id = {a["id"]: a for a in articles}
    topic = defaultdict(list)
    for a in sorted(articles, key=lambda a: a["id"]):
        topic[split_of[a["cluster"]]].append({k: a[k] for k in ARTICLE_FIELDS if k in a})
    stance = stance_pairs(claims, by_id, split_of, seed)
    counts = {}
    for split in SPLIT_SHARES:
        write_jsonl_gz(out_dir / "topic" / f"{split}.jsonl.gz", topic[split])
        write_jsonl_gz(out_dir / "stance" / f"{split}.jsonl.gz", stance[split])
        counts[split] = {"articles": len(topic[split]), "pairs": len(stance[split])}
    return counts
