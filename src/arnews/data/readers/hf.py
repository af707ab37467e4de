"""Reader for any Hugging Face dataset: a hub id or a local folder.

``path`` (or ``dataset``) is a hub id such as ``NoraAlt/Mawqif_Stance-Detection``,
a folder written by ``Dataset(Dict).save_to_disk``, or a folder of data files that
``datasets.load_dataset`` understands. Machines without hub access need a local
folder: run ``load_dataset(id).save_to_disk(DIR)`` where the hub is reachable and
copy DIR over. Each dataset keeps its own licence; see its dataset card.

- ``split_map`` names the dataset split for each of ours (default train -> train,
  dev -> validation, test -> test); a missing dev split is left to the core to carve.
- ``columns`` maps schema fields to dataset columns, e.g. ``{text: content, topic:
  label}``; fields whose column has the same name are taken as they are.
- Integer labels of a ``ClassLabel`` (or a list of them, for ``topics``) become the
  feature's names; ``label_names`` (a list, index -> name, or a dict, value -> name)
  overrides that or decodes plain integer columns.

Usage::

    read_hf("/data/my_news_saved", columns={"text": "content", "topic": "label"})
    # {'train': [{'text': '...', 'topic': 'sport', 'id': 'train-0', '_where': ...}], ...}
"""
from __future__ import annotations

from pathlib import Path

from arnews.data.readers._common import (LABEL_FIELDS, keep, label_names_of,
                                         resolve_columns, to_row)
from arnews.errors import ArnewsError

DEFAULT_SPLIT_MAP = {"train": "train", "dev": "validation", "test": "test"}


def _load(dataset: str, config_name: str | None):
    """A DatasetDict (or a lone Dataset) from a local folder or the hub."""
    import datasets  # slow to import: only when this reader is used

    local = Path(dataset).expanduser()
    looks_local = dataset.startswith(("/", ".", "~")) or local.exists()
    if looks_local and not local.exists():
        raise ArnewsError(f"data.path={dataset}: no such folder; save the dataset there with "
                          "datasets' save_to_disk or put its data files there")
    try:
        if (local / "dataset_dict.json").is_file() or (local / "state.json").is_file():
            return datasets.load_from_disk(str(local))
        return datasets.load_dataset(str(local) if looks_local else dataset, name=config_name)
    except ArnewsError:
        raise
    except Exception as exc:  # noqa: BLE001 - network, auth and format errors alike
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ArnewsError(f"could not load Hugging Face dataset {dataset!r} "
                          f"({type(exc).__name__}: {reason}); if this machine cannot reach "
                          "the hub, save it with load_dataset(...).save_to_disk(DIR) elsewhere "
                          "and set data.path=DIR") from None


def _class_names(feature):
    """Label names of a ClassLabel, or of a list/sequence of ClassLabels."""
    inner = getattr(feature, "feature", feature)
    return list(inner.names) if hasattr(inner, "names") else None


def read_hf(path: str | None = None, splits=("train", "dev", "test"), dataset: str | None = None,
            config_name: str | None = None, split_map: dict | None = None,
            columns: dict | None = None, label_names=None, label_sep: str = "|"
            ) -> dict[str, list[dict]]:
    """Rows in our schema from a Hugging Face dataset (see the module docstring)."""
    name = str(dataset or path or "")
    if not name or name == "???":
        raise ArnewsError("data.path is not set; set data.path=<hub id or local dataset folder>")
    split_map = {**DEFAULT_SPLIT_MAP, **(split_map or {})}
    loaded = _load(name, config_name)
    available = list(loaded.keys()) if hasattr(loaded, "keys") else ["train"]
    out = {}
    for split in splits:
        source = split_map.get(split) or split
        if source not in available:
            if split == "dev":
                continue
            raise ArnewsError(f"{name}: no split {source!r} for {split} (splits: "
                              f"{', '.join(available)}); set data.reader.split_map.{split}=<split>")
        part = loaded[source] if hasattr(loaded, "keys") else loaded
        where = f"{name}[{source}]"
        mapping = resolve_columns(list(part.column_names), columns, where)
        names = {}
        for field in LABEL_FIELDS:
            if field in mapping:
                names[field] = (label_names_of(label_names)
                               or _class_names(part.features[mapping[field]]))
        out[split] = [to_row(record, mapping, names, f"{where}:{i}", f"{split}-{i}", label_sep)
                      for i, record in enumerate(part)]
    return keep(out, splits)
