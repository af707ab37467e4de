"""Encoders shipped with arnews, and the names ``model.pretrained`` accepts.

``model.pretrained`` may be

- ``arnews:<name>``, an encoder shipped inside this package (``compact_arabic_bert``,
  pre-trained by ``pretrain.py``; see its ``MODEL_CARD.md``);
- ``runs:/<run_id>/<path>`` or ``models:/<name>/<version>``, a checkpoint logged to
  MLflow (``pretrain.py`` logs its encoder as ``runs:/<run_id>/encoder``), fetched
  once into the cache;
- a local folder or a hub id, passed to ``from_pretrained`` as it is.

>>> resolve_pretrained("aubmindlab/bert-base-arabertv02")
'aubmindlab/bert-base-arabertv02'
>>> Path(resolve_pretrained("arnews:compact_arabic_bert")).name
'compact_arabic_bert'
"""
from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

from arnews.errors import ArnewsError

PACKAGE_PREFIX = "arnews:"
MLFLOW_PREFIXES = ("runs:/", "models:/")


def shipped_encoders() -> list[str]:
    """Names of the encoders inside the package."""
    root = Path(str(files("arnews.encoders")))
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())


def resolve_pretrained(name: str, cache_dir: str | Path = "~/.cache/arnews") -> str:
    """A path or hub id that ``from_pretrained`` can load."""
    name = str(name)
    if name.startswith(PACKAGE_PREFIX):
        folder = Path(str(files("arnews.encoders"))) / name[len(PACKAGE_PREFIX):]
        if not (folder / "config.json").is_file():
            raise ArnewsError(f"model.pretrained={name}: no such shipped encoder; shipped: "
                              f"{', '.join(PACKAGE_PREFIX + n for n in shipped_encoders()) or 'none'}")
        return str(folder)
    if name.startswith(MLFLOW_PREFIXES):
        return str(_download(name, Path(cache_dir).expanduser()))
    return name


def _download(uri: str, cache_dir: Path) -> Path:
    """Fetch a logged checkpoint once; later runs reuse the cached copy."""
    import mlflow
    from mlflow.exceptions import MlflowException

    target = cache_dir / "mlflow-checkpoints" / hashlib.sha256(uri.encode()).hexdigest()[:16]
    done = target / ".complete"
    if not done.is_file():
        target.mkdir(parents=True, exist_ok=True)
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(target)))
        except (MlflowException, OSError) as exc:
            raise ArnewsError(f"model.pretrained={uri}: cannot fetch it from MLflow "
                              f"({str(exc).splitlines()[0][:160]}); check the run id and "
                              "tracking.uri") from None
        done.write_text(str(local))
    local = Path(done.read_text())
    if not (local / "config.json").is_file():
        raise ArnewsError(f"model.pretrained={uri}: the artifact holds no config.json; point at "
                          "the checkpoint folder, e.g. runs:/<run_id>/encoder")
    return local
