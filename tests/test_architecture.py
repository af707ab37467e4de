"""Hydra at the top, plain Python below, and light logged models (DESIGN.md, layout)."""
from __future__ import annotations

import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from arnews.data import load_splits
from arnews.data.jsonl import read_jsonl_dir
from arnews.data.splits import group_of, label_of
from conftest import ROOT, train_on_jsonl, write_jsonl

HEAVY = ("torch", "transformers", "datasets", "hydra", "omegaconf")
LIBRARY = ("data", "tasks", "models")
# Hides packages from a child interpreter, as in a venv without them: the path finder
# reports them missing (find_spec -> None), which is what libraries probe for.
def hide(packages: tuple[str, ...]) -> str:
    return f"""import sys, importlib.machinery
_PF = importlib.machinery.PathFinder
class _Hide(_PF):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if name.split(".")[0] in {packages!r} else _PF.find_spec(name, path, target)
sys.meta_path = [_Hide if f is _PF else f for f in sys.meta_path]
"""


BLOCK_HEAVY = hide(HEAVY)

def test_the_library_layers_never_import_hydra_or_omegaconf():
    imports = re.compile(r"^\s*(from|import)\s+(hydra|omegaconf)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for layer in LIBRARY
                 for p in (ROOT / "src" / "arnews" / layer).rglob("*.py") if imports.search(p.read_text())]
    assert offenders == []


def test_baselines_and_the_serving_code_load_without_heavy_packages():
    code = ("import sys, arnews.data, arnews.tasks, arnews.models, arnews.models.sklearn_models, "
            "arnews.models.pair_features, arnews.pyfunc, arnews.predictor; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


@pytest.mark.slow
def test_a_logged_tfidf_model_needs_no_torch_to_serve(workdir, tiny_topic_dir):
    _, run, client = train_on_jsonl(workdir, tiny_topic_dir, "model=tfidf_logreg")
    uri = run.data.tags["model_uri"]
    model_dir = Path(client.download_artifacts(run.info.run_id, "", str(workdir / "dl")))
    reqs = next(model_dir.rglob("requirements.txt"), None)
    if reqs is None:  # MLflow 3 keeps logged models outside the run's artifacts
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
        reqs = Path(mlflow.artifacts.download_artifacts(f"{uri}/requirements.txt", dst_path=str(workdir / "m")))
    names = {re.split(r"[=<>!~ ]", line)[0].lower() for line in reqs.read_text().splitlines() if line.strip()}
    assert {"mlflow", "scikit-learn", "pandas", "numpy"} <= names
    assert not names & {"torch", "transformers", "tokenizers", "datasets", "hydra-core", "omegaconf"}
    # Load and predict with the heavy packages made unimportable, as in a venv without them.
    code = (BLOCK_HEAVY + "import mlflow, pandas as pd\n"
            f"mlflow.set_tracking_uri('sqlite:///{workdir / 'mlflow.db'}')\n"
            f"out = mlflow.pyfunc.load_model({uri!r}).predict(pd.DataFrame({{'text': ['هجوم إلكتروني على وزارة']}}))\n"
            "print(sorted(out.columns))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'labels'" in out.stdout and "'score_cybersecurity'" in out.stdout


@pytest.mark.slow
def test_a_logged_transformer_serves_without_torch(workdir, tiny_stance_dir):
    """The default model serves through its ONNX graph: no torch, datasets or Hydra."""
    _, run, client = train_on_jsonl(workdir, tiny_stance_dir, "task=stance", "model=compact_bert",
                                    "model.max_length=48", "model.training.num_train_epochs=1",
                                    "trainer.args.disable_tqdm=true")
    uri = run.data.tags["model_uri"]
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    reqs = Path(mlflow.artifacts.download_artifacts(f"{uri}/requirements.txt", dst_path=str(workdir / "m")))
    names = {re.split(r"[=<>!~ ]", line)[0].lower() for line in reqs.read_text().splitlines() if line.strip()}
    assert {"mlflow", "onnxruntime", "transformers", "tokenizers"} <= names
    assert not names & {"torch", "datasets", "hydra-core", "omegaconf", "accelerate"}
    code = (hide(("torch", "datasets", "hydra", "omegaconf", "accelerate")) + "import mlflow, pandas as pd\n"
            f"mlflow.set_tracking_uri('sqlite:///{workdir / 'mlflow.db'}')\n"
            f"out = mlflow.pyfunc.load_model({uri!r}).predict(pd.DataFrame({{'claim': ['ادعاء عن الهجوم'], "
            "'text': ['هجوم إلكتروني على وزارة المالية']}))\n"
            "print(sorted(out.columns), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'labels'" in out.stdout and out.stdout.strip().endswith("False")


def test_load_splits_carves_dev_by_claim_keeping_the_label_mix(tmp_path, tiny_stance_dir):
    data = tmp_path / "no_dev"
    for split in ("train", "test"):
        write_jsonl(data / f"{split}.jsonl", [r for r in read_jsonl_dir(str(tiny_stance_dir))[split]])
    splits = load_splits(partial(read_jsonl_dir, str(data)), seed=3, dev_fraction=0.25)
    assert splits["dev"] and splits["train"]
    assert not {group_of(r) for r in splits["train"]} & {group_of(r) for r in splits["dev"]}
    before = read_jsonl_dir(str(data))["train"]
    assert len(splits["train"]) + len(splits["dev"]) == len(before)
    # every stance of train with enough claims appears in dev too (stratified by label)
    assert {label_of(r) for r in splits["dev"]} == {label_of(r) for r in before}
    again = load_splits(partial(read_jsonl_dir, str(data)), seed=3, dev_fraction=0.25)
    assert [r["id"] for r in again["dev"]] == [r["id"] for r in splits["dev"]]


def test_a_dataset_without_the_needed_split_says_so(tmp_path, tiny_topic_dir):
    from arnews.errors import ArnewsError

    def only_train(splits):
        return {"train": read_jsonl_dir(str(tiny_topic_dir))["train"]}

    with pytest.raises(ArnewsError, match=r"no test split \(it has: train, dev\)"):
        load_splits(only_train)
