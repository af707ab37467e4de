"""Assemble the authored corpus parts into the fixed, shipped splits (corpus v2).

Authors write event clusters under ``corpus/parts/<author>/`` (articles and the
claims about them, see ``corpus/AUTHORING.md``); ``corpus/parts/parts.json`` says
which corpus version each part belongs to (v1: 120-400-word articles; v2: long-form
400-900-word articles whose claims may list ``hard_unrelated`` articles). The build:

1. assigns whole clusters to train/dev/test, about 70/10/20 of the articles, so an
   event, its articles and its claims never straddle two splits. Each version is
   split on its own:

   - v1 clusters go exactly where corpus v1 put them (the same seeded assignment over
     the v1 clusters alone). The shipped encoder was pre-trained on the v1 *train*
     texts, so moving a v1 train article to dev or test would leak it, and the v1
     test set stays comparable across versions.
   - v2 clusters move as *sibling groups*: clusters joined by a ``hard_unrelated``
     link (a claim of one naming an article of the other) always share a split, so a
     hard unrelated pair never crosses splits and an article never sits in test
     while its near-twin sibling, with the same actors and places, is in train.
     A v2 group with a ``same_event`` partner among the v1 clusters goes to that
     partner's split.

2. writes topic rows, one per article;
3. writes stance pairs, each with an ``origin``:

   - ``authored``: every claim with every article of its cluster (agree, disagree,
     discuss);
   - ``hard_unrelated``: the authored hard pairs of v2 claims, as ``unrelated``;
   - ``sampled``: automatic ``unrelated`` pairs, added until a claim has
     ``unrelated_per_claim`` unrelated pairs. They are drawn, seeded, from the
     ``pool`` articles of other clusters in the same split whose word overlap with
     the claim (:mod:`arnews.corpus.overlap`) is highest and at least
     ``min_overlap``, so that overlap alone no longer tells unrelated from related
     pairs (a claim with no such article gets fewer sampled pairs, or none).
     Clusters listed in ``parts.json`` as ``same_event`` (different parts that
     cover one event) are never paired: their articles report each other's claims. Candidates that share more than
     ``max_bigram_share`` of the claim's word pairs (bigrams) are skipped: they may
     report the claim's very assertion in a background paragraph, and an automatic
     label cannot tell. Sibling clusters not listed as hard pairs are skipped too.

The result is deterministic for a given seed.
"""
from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from arnews.corpus.overlap import article_text, overlap, words

CORPUS_VERSION = 2
SPLIT_SHARES = {"train": 0.7, "dev": 0.1, "test": 0.2}
ARTICLE_FIELDS = ("id", "title", "text", "topics", "date", "source", "genre", "cluster")
MANIFEST = "parts.json"
BUILD_COMMAND = "arnews-corpus build --parts corpus/parts --seed 13"
# Sampled unrelated pairs: how many unrelated pairs a claim gets in all (hard pairs
# count first), the size of the high-overlap pool they are drawn from, the largest
# share of the claim's bigrams a sampled article may contain, and the least word
# overlap it must have (easy, low-overlap pairs are left out rather than padded in).
# Chosen on the overlap AUC: pool 6 and no floor gave 0.91, these
# settings 0.79 (see DATACARD.md).
UNRELATED_PER_CLAIM = 4
POOL = 4
MAX_BIGRAM_SHARE = 0.34
MIN_OVERLAP = 0.6


def read_parts(parts_dir: Path) -> tuple[list[dict], list[dict]]:
    articles, claims = [], []
    for path in sorted(parts_dir.glob("*/articles*.jsonl")):
        articles += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in sorted(parts_dir.glob("*/claims*.jsonl")):
        claims += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return articles, claims


def same_event_pairs(parts_dir: Path) -> set[frozenset]:
    """Cluster pairs of different parts about the same event (``parts.json``)."""
    manifest = parts_dir / MANIFEST
    if not manifest.exists():
        return set()
    return {frozenset(p) for p in json.loads(manifest.read_text(encoding="utf-8")).get("same_event", [])}


def part_versions(parts_dir: Path) -> dict[str, int]:
    """``{"h1": 1, ..., "h7": 2}`` from ``parts.json``; every part folder must be listed."""
    manifest = parts_dir / MANIFEST
    versions = json.loads(manifest.read_text(encoding="utf-8"))["parts"] if manifest.exists() else {}
    folders = sorted(p.name for p in parts_dir.iterdir() if p.is_dir() and any(p.glob("articles*.jsonl")))
    missing = [f for f in folders if f not in versions]
    if missing and manifest.exists():
        raise ValueError(f"{manifest}: parts {missing} have no version; add them to 'parts'")
    return {f: int(versions.get(f, 1)) for f in folders}


def part_of(item_id: str) -> str:
    """``h7-a004`` / ``h7-c02`` / ``h7-k001`` -> ``h7``."""
    return item_id.split("-", 1)[0]


def sibling_groups(claims: list[dict], articles_by_id: dict) -> list[tuple[str, ...]]:
    """Clusters joined by hard_unrelated links (connected components), as sorted tuples."""
    parent: dict[str, str] = {}

    def root(c):
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for a in articles_by_id.values():
        root(a["cluster"])
    for claim in claims:
        for aid in claim.get("hard_unrelated", []):
            parent[root(articles_by_id[aid]["cluster"])] = root(claim["cluster"])
    groups = defaultdict(list)
    for c in parent:
        groups[root(c)].append(c)
    return sorted(tuple(sorted(g)) for g in groups.values())


def assign_clusters(articles: list[dict], seed: int, groups=None, pinned=None) -> dict[str, str]:
    """cluster → split, filling each split toward its share of articles.

    ``groups`` (tuples of clusters that must share a split) default to one cluster
    each; then the assignment is the corpus v1 one, cluster by cluster. ``pinned``
    (cluster → split) places a group first, wherever one of its clusters is pinned.
    """
    pinned = pinned or {}
    size = defaultdict(int)
    for a in articles:
        size[a["cluster"]] += 1
    units = sorted(groups) if groups is not None else [(c,) for c in sorted(size)]
    units = [u for u in units if any(c in size for c in u)]
    random.Random(seed).shuffle(units)
    units.sort(key=lambda u: not any(c in pinned for c in u))  # stable: pinned first
    total, filled, out = sum(size.values()), defaultdict(int), {}
    for unit in units:
        pins = sorted(pinned[c] for c in unit if c in pinned)
        split = pins[0] if pins else max(SPLIT_SHARES, key=lambda s: SPLIT_SHARES[s] * total - filled[s])
        for c in unit:
            out[c] = split
        filled[split] += sum(size[c] for c in unit)
    return out


def assign_versions(articles, claims, versions: dict[str, int], seed: int, same_event=()) -> dict[str, str]:
    """cluster → split, each corpus version on its own (see the module docstring)."""
    by_id = {a["id"]: a for a in articles}
    out = {}
    for version in sorted(set(versions.values())):
        mine = [a for a in articles if versions[part_of(a["id"])] == version]
        groups = None
        if version >= 2:
            ids = {a["id"] for a in mine}
            groups = sibling_groups([c for c in claims if versions[part_of(c["claim_id"])] == version],
                                    {i: by_id[i] for i in ids})
        pinned = {}
        for pair in same_event:
            old = [c for c in pair if c in out]
            for c in pair:
                if c not in out and old:
                    pinned.setdefault(c, out[sorted(old)[0]])
        out.update(assign_clusters(mine, seed, groups, pinned))
    return out


@lru_cache(maxsize=4096)
def _bigrams(text: str) -> frozenset:
    from arnews.models.pair_features import content_tokens

    tokens = content_tokens(text)
    return frozenset(zip(tokens, tokens[1:]))


def bigram_share(claim: str, article: str) -> float:
    c = _bigrams(claim)
    return len(c & _bigrams(article)) / len(c) if c else 0.0


def stance_pairs(claims, articles_by_id, split_of, seed: int, unrelated_per_claim: int = UNRELATED_PER_CLAIM,
                 pool: int = POOL, max_bigram_share: float = MAX_BIGRAM_SHARE,
                 min_overlap: float = MIN_OVERLAP, siblings=(), same_event=()):
    """Authored pairs, hard unrelated pairs and sampled high-overlap unrelated pairs."""
    rng = random.Random(seed)
    group_of = {c: set(g) for g in siblings for c in g}
    by_split = defaultdict(list)
    for a in sorted(articles_by_id.values(), key=lambda a: a["id"]):
        by_split[split_of[a["cluster"]]].append(a)
    pairs = defaultdict(list)
    for claim in sorted(claims, key=lambda c: c["claim_id"]):
        split = split_of[claim["cluster"]]
        for aid, stance in sorted(claim["stances"].items()):
            pairs[split].append(_pair(claim, articles_by_id[aid], stance, "authored"))
        hard = sorted(claim.get("hard_unrelated", []))
        for aid in hard:
            if split_of[articles_by_id[aid]["cluster"]] != split:
                raise ValueError(f"{claim['claim_id']}: hard_unrelated {aid} is in another split")
            pairs[split].append(_pair(claim, articles_by_id[aid], "unrelated", "hard_unrelated"))
        need = unrelated_per_claim - len(hard)
        if need <= 0:
            continue
        skip = group_of.get(claim["cluster"], {claim["cluster"]})
        text = claim["claim"]
        scored = sorted(((overlap(text, article_text(a)), a["id"]) for a in by_split[split]
                         if a["cluster"] not in skip and a["cluster"] != claim["cluster"]
                         and a["id"] not in hard
                         and frozenset((claim["cluster"], a["cluster"])) not in same_event),
                        key=lambda t: (-t[0], t[1]))
        scored = [(o, aid) for o, aid in scored if o >= min_overlap]
        candidates = [aid for _, aid in scored
                      if bigram_share(text, article_text(articles_by_id[aid])) <= max_bigram_share]
        for aid in rng.sample(candidates[:pool], min(need, len(candidates[:pool]))):
            pairs[split].append(_pair(claim, articles_by_id[aid], "unrelated", "sampled"))
    return pairs


def _pair(claim, article, stance, origin):
    return {"id": f"{claim['claim_id']}__{article['id']}", "claim_id": claim["claim_id"],
            "claim": claim["claim"], "article_id": article["id"], "title": article["title"],
            "text": article["text"], "stance": stance, "origin": origin}


def write_jsonl_gz(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the compressed bytes identical across rebuilds (clean git diffs).
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


def build(parts_dir: Path, out_dir: Path, seed: int = 13) -> dict:
    """Write ``out_dir/{topic,stance}/{split}.jsonl.gz`` and ``out_dir/corpus.json``;
    return row counts per split."""
    articles, claims = read_parts(parts_dir)
    versions = part_versions(parts_dir)
    same_event = same_event_pairs(parts_dir)
    split_of = assign_versions(articles, claims, versions, seed, same_event)
    by_id = {a["id"]: a for a in articles}
    siblings = sibling_groups(claims, by_id)
    topic = defaultdict(list)
    for a in sorted(articles, key=lambda a: a["id"]):
        topic[split_of[a["cluster"]]].append({k: a[k] for k in ARTICLE_FIELDS if k in a})
    stance = stance_pairs(claims, by_id, split_of, seed, siblings=siblings, same_event=same_event)
    counts = {}
    for split in SPLIT_SHARES:
        write_jsonl_gz(out_dir / "topic" / f"{split}.jsonl.gz", topic[split])
        write_jsonl_gz(out_dir / "stance" / f"{split}.jsonl.gz", stance[split])
        counts[split] = {"articles": len(topic[split]), "pairs": len(stance[split])}
    meta = {"version": CORPUS_VERSION, "seed": seed, "build": BUILD_COMMAND,
            "parts": versions,
            "sampling": {"unrelated_per_claim": UNRELATED_PER_CLAIM, "pool": POOL,
                         "max_bigram_share": MAX_BIGRAM_SHARE, "min_overlap": MIN_OVERLAP},
            "sibling_groups": [list(g) for g in siblings if len(g) > 1],
            "same_event": sorted(sorted(p) for p in same_event)}
    (out_dir / "corpus.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    words.cache_clear()
    _bigrams.cache_clear()
    return counts
