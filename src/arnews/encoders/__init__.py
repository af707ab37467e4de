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
SAFETENSORS_FILES = ("model.safetensors", "model.safetensors.index.json")


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
        return str(check_checkpoint(_download(name, Path(cache_dir).expanduser()), name))
    folder = Path(name).expanduser()
    if folder.is_dir():
        return str(check_checkpoint(folder, name))
    if looks_like_path(name):
        raise ArnewsError(f"model.pretrained={name}: no such folder; point it at a checkpoint "
                          "folder (config.json, model.safetensors and the tokenizer files), a hub "
                          f"id, or {PACKAGE_PREFIX}compact_arabic_bert")
    return name


def looks_like_path(name: str) -> bool:
    """True for what can only be a local path, never a hub id (``org/name``).

    >>> [looks_like_path(n) for n in ("/models/bert", "./bert", "~/bert", "a/b/c", "org/bert")]
    [True, True, True, True, False]
    """
    return (name.startswith(("/", "./", "../", "~", "\\")) or name.count("/") > 1
            or "\\" in name or (len(name) > 1 and name[1] == ":"))


def safetensors_only(folder: str | Path = "FOLDER") -> str:
    """The way out for pickled weights: convert them once with ``weights_only`` loading,
    which reads tensors without running the pickle's code. Clones undo the weight
    sharing (tied embeddings) that safetensors refuses to write."""
    return ("arnews loads safetensors only: convert the weights, e.g. python -c \"import torch; "
            "from safetensors.torch import save_file; save_file({k: v.clone().contiguous() for k, v "
            f"in torch.load('{folder}/pytorch_model.bin', weights_only=True).items()}}, "
            f"'{folder}/model.safetensors')\"")


def load_error(what: str, exc: Exception, advice: str) -> ArnewsError:
    """One line for a failed ``from_pretrained``: the library's first line, then what to
    do (``advice``, or how to convert when the weights exist only as a pickle)."""
    reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    if "safetensors" in reason:
        advice = safetensors_only()
    return ArnewsError(f"cannot load {what} ({reason}); {advice}")


def check_checkpoint(folder: Path, name: str) -> Path:
    """``folder`` if it holds a loadable checkpoint whose weights are safetensors.

    arnews never unpickles weights (a ``pytorch_model.bin`` can run arbitrary code when
    loaded), so a folder holding only pickled weights is refused with the way out.
    """
    if not (folder / "config.json").is_file():
        raise ArnewsError(f"model.pretrained={name}: {folder} holds no config.json; point it at "
                          "a folder written by save_pretrained")
    if not any((folder / f).is_file() for f in SAFETENSORS_FILES):
        raise ArnewsError(f"model.pretrained={name}: {folder} has no model.safetensors; "
                          f"{safetensors_only(folder)}")
    return folder


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
