"""Reader for SaudiNewsNet (Alhagri, 2015): unlabelled Saudi newspaper articles.

Get it from https://github.com/ParallelMazen/SaudiNewsNet (CC BY-NC-SA 4.0: research
use only; cite it). ``path`` is a folder of ``YYYY-MM-DD.json`` files, or of the
``YYYY-MM-DD.zip`` files the repository ships (each holding one such JSON), each a JSON
array of ``{source, url, date_extracted, title, author, content}``.

There are no labels, so everything is returned as ``"train"`` (for domain-adaptive
pretraining); requests for dev/test get nothing. Rows are ``{id, title, text}``
with ``id`` a stable hash of the article URL. Articles with empty content (about 1.5%)
and repeated URLs are skipped and counted in a warning.

Usage::

    rows = read_saudinewsnet("/data/saudinewsnet")["train"]
    rows[0].keys()                            # dict_keys(['id', 'title', 'text', '_where'])
"""
from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

from arnews.data.readers._common import existing_dir, stable_id
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

GET_IT = "download SaudiNewsNet from https://github.com/ParallelMazen/SaudiNewsNet"


def _load(file: Path) -> list:
    try:
        if file.suffix == ".zip":
            with zipfile.ZipFile(file) as archive:
                inner = [n for n in archive.namelist() if n.endswith(".json")]
                if len(inner) != 1:
                    raise ArnewsError(f"{file}: expected one .json inside, found {len(inner)}")
                data = json.loads(archive.read(inner[0]).decode("utf-8-sig"))
        else:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ArnewsError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except zipfile.BadZipFile:
        raise ArnewsError(f"{file}: not a valid zip file; download it again") from None
    if not isinstance(data, list):
        raise ArnewsError(f"{file}: expected a JSON array of articles, got "
                          f"{type(data).__name__}")
    return data


def read_saudinewsnet(path: str, splits=("train", "dev", "test")) -> dict[str, list[dict]]:
    """All articles as unlabelled rows under ``"train"``."""
    folder = existing_dir(path, "SaudiNewsNet", GET_IT)
    if "train" not in splits:
        return {}
    jsons = sorted(folder.glob("*.json"))
    # a day unpacked next to its zip would otherwise be read twice
    zips = sorted(z for z in folder.glob("*.zip") if not z.with_suffix(".json").exists())
    files = sorted(jsons + zips)
    if not files:
        raise ArnewsError(f"{folder}: no YYYY-MM-DD.json or .zip files; {GET_IT}")
    rows, seen, empty, repeated = [], set(), 0, 0
    for file in files:
        for k, article in enumerate(_load(file)):
            where = f"{file}:[{k}]"
            if not isinstance(article, dict) or "content" not in article:
                raise ArnewsError(f"{where}: expected an object with 'content' (and url, "
                                  "title)")
            text = (article.get("content") or "").strip()
            if not text:
                empty += 1
                continue
            url = (article.get("url") or "").strip() or f"{file.name}:{k}"
            if url in seen:
                repeated += 1
                continue
            seen.add(url)
            rows.append({"id": stable_id(url, "snn-"),
                         "title": (article.get("title") or "").strip(),
                         "text": text, "_where": where})
    if empty or repeated:
        log.warning("%s: skipped %d articles with empty content and %d repeated URLs",
                    folder, empty, repeated)
    return {"train": rows}
