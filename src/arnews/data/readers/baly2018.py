"""Reader for the Arabic Fact-Checking and Stance Detection Corpus (Baly et al., 2018).

Get it from the authors (the paper points to https://groups.csail.mit.edu/sls/downloads/);
research use, see the corpus README.txt. ``path`` is the folder
holding ``dataset/<claim id>.json`` (one claim: ``id, claim, fact, article, url,
stance, rationale``, the last four parallel lists) and ``train_test_splits.txt``
(one line per fold: ``Fold_1: R-10 V-49 ...``).

Splits are unions of folds, so a claim and all its articles stay in one split and
``claim_id`` is the claim's id. The published corpus has 5 folds; some copies hold
fewer (the project's shared copy: 1-4), hence the configurable ``train_folds``,
``dev_folds`` and ``test_folds``.
Pass ``dev_folds=[]`` to leave dev out and let the core carve it from train.

Usage::

    splits = read_baly2018("/data/baly2018", train_folds=[1, 2], dev_folds=[3], test_folds=[4])
    splits["test"][0]
    # {'id': 'R-602/0', 'claim': '...', 'text': '...', 'stance': 'unrelated',
    #  'claim_id': 'R-602', '_where': '/data/baly2018/dataset/R-602.json:article[0]'}
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from arnews.data.readers._common import existing_dir, existing_file, keep
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

LABELS = ("agree", "disagree", "discuss", "unrelated")
GET_IT = ("get the Baly et al. (2018) Arabic stance corpus from its authors "
          "(https://groups.csail.mit.edu/sls/downloads/)")
_FOLD_LINE = re.compile(r"^\s*fold[\s_-]*(\d+)\s*:(.*)$", re.IGNORECASE)


def read_folds(path: Path) -> dict[int, list[str]]:
    """``train_test_splits.txt`` as {fold number: [claim ids]}."""
    folds: dict[int, list[str]] = {}
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            match = _FOLD_LINE.match(line)
            if match is None:
                raise ArnewsError(f"{path}:{lineno}: expected 'Fold_<n>: <claim ids>', got "
                                  f"{line.strip()[:40]!r}")
            fold = int(match.group(1))
            for claim in match.group(2).replace(",", " ").split():
                if claim in seen:
                    raise ArnewsError(f"{path}:{lineno}: claim {claim} is already in fold "
                                      f"{seen[claim]}; a claim must be in one fold only")
                seen[claim] = fold
                folds.setdefault(fold, []).append(claim)
    if not folds:
        raise ArnewsError(f"{path}: no folds found; expected lines 'Fold_<n>: <claim ids>'")
    return folds


def _read_claim(file: Path, claim_id: str) -> list[dict]:
    try:
        record = json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ArnewsError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    for field in ("claim", "article", "stance"):
        if field not in record:
            raise ArnewsError(f"{file}: missing field {field!r}; each claim file needs "
                              "claim, article and stance")
    articles, stances = record["article"], record["stance"]
    if not (isinstance(articles, list) and isinstance(stances, list)
            and len(articles) == len(stances)):
        raise ArnewsError(f"{file}: 'article' and 'stance' must be lists of the same length")
    rows = []
    for k, (text, stance) in enumerate(zip(articles, stances)):
        label = str(stance).strip().lower()
        if label not in LABELS:
            raise ArnewsError(f"{file}: stance[{k}] is {stance!r}; expected one of "
                              f"{', '.join(LABELS)}")
        if not str(text or "").strip():
            log.warning("%s: article[%d] is empty; skipped", file, k)
            continue
        rows.append({"id": f"{claim_id}/{k}", "claim": str(record["claim"]).strip(),
                     "text": str(text).strip(), "stance": label, "claim_id": claim_id,
                     "_where": f"{file}:article[{k}]"})
    return rows


def read_baly2018(path: str, splits=("train", "dev", "test"), train_folds=(1, 2),
                  dev_folds=(3,), test_folds=(4,)) -> dict[str, list[dict]]:
    """Claim-article stance pairs, split by the corpus's claim folds."""
    folder = existing_dir(path, "the Baly et al. (2018) corpus", GET_IT)
    fold_file = existing_file(folder / "train_test_splits.txt",
                              "data.path must hold train_test_splits.txt and dataset/")
    claims_dir = folder / "dataset"
    if not claims_dir.is_dir():
        raise ArnewsError(f"{claims_dir}: no such folder; data.path must hold dataset/"
                          "<claim id>.json and train_test_splits.txt")
    folds = read_folds(fold_file)
    wanted = {"train": train_folds or (), "dev": dev_folds or (), "test": test_folds or ()}
    owner: dict[int, str] = {}
    for split, numbers in wanted.items():
        for number in numbers:
            number = int(number)
            if number not in folds:
                raise ArnewsError(f"{fold_file}: there is no fold {number} (folds: "
                                  f"{', '.join(map(str, sorted(folds)))}); fix "
                                  f"data.reader.{split}_folds")
            if number in owner:
                raise ArnewsError(f"fold {number} is in both {owner[number]}_folds and "
                                  f"{split}_folds; give each fold to one split")
            owner[number] = split

    out: dict[str, list[dict]] = {}
    for split in splits:
        if split not in wanted or not wanted[split]:
            continue
        rows = []
        for number in wanted[split]:
            for claim_id in folds[int(number)]:
                file = existing_file(claims_dir / f"{claim_id}.json",
                                     f"{fold_file} lists claim {claim_id} but its file is "
                                     "missing; use a complete copy of the corpus")
                rows.extend(_read_claim(file, claim_id))
        out[split] = rows
    if "train" in splits and not out.get("train"):
        raise ArnewsError(f"{fold_file}: no training pairs; set data.reader.train_folds")
    return keep(out, splits)
