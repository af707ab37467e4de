"""Reader for the ANT corpus v1.1 (Chouigui et al., 2017), news from JawharaFM (Tunisia).

Get it from https://github.com/antcorpus/antcorpus.data (Apache-2.0, with a request
to cite the ANT papers). ``path`` is the folder of category folders,
``<category>/<doc id>.txt``, each file one pseudo-XML document::

    <DOC><DOCNO>..</DOCNO><URL>..</URL><SRC>..</SRC><CAT>economy</CAT>
    <TITLE>..</TITLE><TIME>..</TIME><AUTHOR>..</AUTHOR><ABSTRACT>..</ABSTRACT>
    <TEXT>..</TEXT></DOC>

The files are not well-formed XML (raw ``&`` in 27 files, a missing tag in a few),
so each tag is found with its own regex. The single-label ``topic`` is ``CAT``, or the
folder name when ``CAT`` is missing (one v1.1 file). Documents with an empty text
are skipped and counted in a warning (23 in v1.1).

166 texts occur more than once (339 files), some under two categories, and a few
more are near copies (a story re-posted with small edits: 185 groups, 377 files). They are kept, but the split
is made by duplicate group (:func:`arnews.data.leakage.duplicate_groups`: equal
normalised text, or char n-gram cosine >= ``near_threshold``; null for exact copies
only), so copies always land in one split and the leakage check finds nothing. The
split is stratified by topic and reproducible from ``seed``.

``categories`` keeps the documents of some sections only, before the split. Two of
JawharaFM's nine sections are not topics: ``localNews`` (national news, 48% of the
corpus, about politics, society and the economy alike) and ``diverse`` (miscellany).
``conf/data/ant_topics.yaml`` keeps the seven topical sections.

Usage::

    splits = read_ant("/data/ant_v1", dev_fraction=0.1, test_fraction=0.2, seed=13)
    splits["train"][0]
    # {'id': 'ant-JA-culture-1-20170120', 'title': '...', 'text': '...', 'topic': 'culture',
    #  '_where': '/data/ant_v1/culture/JA-culture-1-20170120.txt:1'}
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from arnews.data.leakage import duplicate_groups
from arnews.data.readers._common import existing_dir, keep
from arnews.data.splits import stratified_group_split
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

GET_IT = "download ANT v1.1 from https://github.com/antcorpus/antcorpus.data"
_TAGS = ("DOCNO", "CAT", "TITLE", "TEXT")
_PATTERNS = {tag: re.compile(rf"<{tag}>(.*?)</{tag}\s*>", re.DOTALL | re.IGNORECASE)
             for tag in _TAGS}


def parse_document(raw: str) -> dict[str, str]:
    """The tags of one ANT file; a missing or unclosed tag gives ""."""
    out = {}
    for tag, pattern in _PATTERNS.items():
        match = pattern.search(raw)
        value = match.group(1) if match else ""
        # keep the body's line breaks (paragraphs); one-line fields get single spaces
        out[tag] = value.strip() if tag == "TEXT" else " ".join(value.split())
    return out


def read_ant(path: str, splits=("train", "dev", "test"), dev_fraction: float = 0.1,
             test_fraction: float = 0.2, seed: int = 13, near_threshold: float | None = 0.9,
             categories: Sequence[str] | None = None) -> dict[str, list[dict]]:
    """ANT documents as single-label topic rows, split without leaking copies.

    ``categories``: the topics to keep (None: all nine)."""
    folder = existing_dir(path, "ANT v1.1", GET_IT)
    files = sorted(p for p in folder.glob("*/*.txt") if p.is_file())
    if not files:
        raise ArnewsError(f"{folder}: no <category>/<doc>.txt files; point data.path at the "
                          "ANT folder that holds the category folders (culture, sport, ...)")
    rows, empty = [], 0
    for file in files:
        doc = parse_document(file.read_text(encoding="utf-8-sig", errors="replace"))
        if not doc["TEXT"]:
            empty += 1
            continue
        rows.append({"id": f"ant-{file.stem}", "title": doc["TITLE"], "text": doc["TEXT"],
                     "topic": doc["CAT"] or file.parent.name, "_where": f"{file}:1"})
    if categories is not None:
        rows = _only(rows, categories, folder)
    if empty:
        log.warning("%s: skipped %d documents with an empty <TEXT>", folder, empty)
    if not rows:
        raise ArnewsError(f"{folder}: every document has an empty <TEXT>")
    group = dict(zip(map(id, rows), duplicate_groups(rows, near_threshold)))
    out = stratified_group_split(rows, lambda r: r["topic"], lambda r: str(group[id(r)]),
                                 dev_fraction, test_fraction, seed)
    return keep({s: v for s, v in out.items() if v}, splits)


def _only(rows: list[dict], categories: Sequence[str], folder) -> list[dict]:
    """The rows whose topic is in ``categories``; an unknown name is an error, not a
    silently smaller corpus."""
    if isinstance(categories, str):  # data.reader.categories=sport: one name, not its letters
        categories = [categories]
    if not categories:
        raise ArnewsError(f"{folder}: data.reader.categories is empty; name the topics to keep, "
                          "or set it to null for all of them")
    found = {r["topic"] for r in rows}
    unknown = sorted(set(categories) - found)
    if unknown:
        raise ArnewsError(f"{folder}: data.reader.categories names {unknown}, which no document "
                          f"has; the categories are {sorted(found)}")
    wanted = set(categories)
    return [r for r in rows if r["topic"] in wanted]
