"""Shared fixtures: tiny datasets cut from the demo corpus, an isolated MLflow store,
Hydra composition of the real config tree, ``python train.py`` subprocesses (sweeps,
torchrun) and a throwaway PostgreSQL server."""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from arnews.data.demo import read_demo

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
EXPERIMENT = "arnews-topic-jsonl"  # what train.py names the experiment of data=jsonl topic runs
TIMEOUT = 420  # seconds per train.py subprocess: generous for a loaded CI machine

# A compact BERT small enough to train in seconds: the same code path as the default.
TINY_BERT = [
    "model=compact_scratch", "model.compact.vocab_size=500", "model.compact.hidden_size=32",
    "model.compact.num_hidden_layers=1", "model.compact.num_attention_heads=2",
    "model.compact.intermediate_size=64", "model.max_length=64",
    "model.training.num_train_epochs=2", "model.training.per_device_train_batch_size=16",
    "trainer.args.disable_tqdm=true",
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({k: v for k, v in row.items() if not k.startswith("_")},
                                ensure_ascii=False) + "\n")
    return path


def _cut(task: str, sizes: dict, folder: Path) -> Path:
    demo = read_demo(task)
    for split, n in sizes.items():
        write_jsonl(folder / f"{split}.jsonl", demo[split][:n])
    return folder


@pytest.fixture(scope="session")
def tiny_topic_dir(tmp_path_factory) -> Path:
    """60/20/20 multi-label topic articles from the demo corpus, as data=jsonl input."""
    return _cut("topic", {"train": 60, "dev": 20, "test": 20}, tmp_path_factory.mktemp("topic"))


@pytest.fixture(scope="session")
def tiny_stance_dir(tmp_path_factory) -> Path:
    """Claim–article pairs from the demo corpus (whole claims, as the splits keep them)."""
    return _cut("stance", {"train": 120, "dev": 40, "test": 40}, tmp_path_factory.mktemp("stance"))


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Run in a temp dir with its own MLflow SQLite store and model cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARNEWS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARNEWS_PARENT_RUN_ID", raising=False)
    return tmp_path


def compose_cfg(config_name: str = "train", overrides: list[str] = ()):
    """The composed config, exactly as ``python train.py`` would build it."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides))


def train_on_jsonl(workdir: Path, data_dir: Path, *overrides: str):
    """``python train.py data=jsonl data.path=DATA_DIR ...`` in-process, into the workdir's
    store; returns (dev score, the MLflow run, its client)."""
    from mlflow.tracking import MlflowClient

    from arnews.train import train

    cfg = compose_cfg("train", ["data=jsonl", f"data.path={data_dir}",
                                f"tracking.uri={tracking_uri(workdir)}", *overrides])
    score = train(cfg)
    client = MlflowClient(tracking_uri(workdir))
    run = client.search_runs([client.get_experiment_by_name(cfg.tracking.experiment).experiment_id],
                             order_by=["attributes.start_time DESC"])[0]
    return score, run, client


def tracking_uri(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'mlflow.db'}"


# ---- train.py in a subprocess: sweeps, launchers, torchrun --------------------------------

@dataclass
class Sweep:
    """A ``python train.py ...`` subprocess writing to ``folder/log.txt`` and to ``uri``."""

    folder: Path
    proc: subprocess.Popen
    uri: str = ""

    def __post_init__(self):
        self.uri = self.uri or f"sqlite:///{self.folder / 'mlflow.db'}"

    @property
    def log(self) -> str:
        return (self.folder / "log.txt").read_text(errors="replace")

    def wait(self, timeout: float = TIMEOUT) -> "Sweep":
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"sweep in {self.folder} still running after {timeout}s:\n{self.log[-3000:]}")
        return self


def launch(folder: Path, data_dir: Path, *overrides: str, uri: str | None = None,
           launcher: tuple[str, ...] = (), env: dict | None = None, **popen) -> Sweep:
    """Start ``python train.py <overrides>`` in ``folder``, logging to ``uri`` (default: its
    own SQLite store); ``launcher`` goes before the script, e.g. torchrun's arguments,
    ``env`` adds variables. An override of a key set here (``hydra.run.dir=...``) wins."""
    from arnews.tracking import PARENT_RUN_ENV

    folder.mkdir(parents=True, exist_ok=True)
    uri = uri or f"sqlite:///{folder / 'mlflow.db'}"
    environment = {k: v for k, v in os.environ.items()
                   # A stray parent id would nest these runs; PYTEST_CURRENT_TEST switches on
                   # MLflow's test-only session checks, which a user's run never has.
                   if k not in (PARENT_RUN_ENV, "PYTEST_CURRENT_TEST")}
    environment.update(ARNEWS_CACHE_DIR=str(folder / "cache"), MLFLOW_DISABLE_TELEMETRY="true",
                       HYDRA_FULL_ERROR="1", **(env or {}))
    settings = {"data": "jsonl", "data.path": str(data_dir), "tracking.log_model": "false",
                "tracking.uri": uri, "hydra.sweep.dir": str(folder / "multirun"),
                "hydra.run.dir": str(folder / "run"),
                # Job folders named by number: the default name joins every override, and
                # with these long tmp paths it can pass the 255-character file name limit.
                "hydra.sweep.subdir": "${hydra.job.num}"}
    given = {o.split("=", 1)[0] for o in overrides}
    args = [sys.executable, *launcher, str(ROOT / "train.py"), *overrides,
            *(f"{k}={v}" for k, v in settings.items() if k not in given)]
    with open(folder / "log.txt", "w") as log:
        proc = subprocess.Popen(args, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                **popen)
    return Sweep(folder, proc, uri)


def wait_for_line(sweep: Sweep, text: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while text not in sweep.log:
        if sweep.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"never logged {text!r}:\n{sweep.log[-3000:]}")
        time.sleep(0.5)


def runs(sweep: Sweep, experiment: str = EXPERIMENT) -> tuple[object, list]:
    """(parent run, child runs) of the one sweep in a store; fails unless both exist."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(sweep.uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, sweep.log[-3000:]
    every = client.search_runs([found.experiment_id], max_results=1000)
    parents = [r for r in every if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1, (len(parents), sweep.log[-3000:])
    children = [r for r in every if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == len(every) - 1, "a run belongs to no parent"
    return parents[0], children


# ---- PostgreSQL: a team tracking server's backend store -------------------------------------

PG_USER = "arnews"
PG_START_S = 60


def find_postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: ``$ARNEWS_PG_BIN``, PATH, or Debian's
    ``/usr/lib/postgresql/<version>/bin`` (newest first)."""
    named = os.environ.get("ARNEWS_PG_BIN")
    candidates = [named] if named else []
    if shutil.which("initdb"):  # often a link into the version's own bin folder
        candidates.append(str(Path(shutil.which("initdb")).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                         reverse=True)
    return next((Path(c) for c in candidates if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file()),
                None)


@dataclass
class Postgres:
    """A running throwaway PostgreSQL cluster: ``url`` is the SQLAlchemy URL of its database."""

    bin: Path
    folder: Path
    port: int
    user: dict = field(default_factory=dict)  # subprocess user/group to run its tools as

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/mlflow"

    def run(self, tool: str, *args: str, timeout: float = PG_START_S) -> None:
        result = subprocess.run([str(self.bin / tool), *args], cwd=self.folder, capture_output=True, text=True,
                                timeout=timeout, **self.user)
        if result.returncode:
            log = self.folder / "postgres.log"
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}"
                               + (f"\n{log.read_text()[-2000:]}" if log.exists() else ""))


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    """A PostgreSQL server on a free loopback port, for the session; stopped at the end.

    PostgreSQL refuses to run as root: as root its tools run as ``nobody`` in a temp
    folder that user owns. Skipped (failed where ``ARNEWS_REQUIRE_POSTGRES`` is set, as
    in CI) when the server binaries or psycopg are missing.
    """
    from ui_browser import HOST, free_port

    def unavailable(reason: str):
        if os.environ.get("ARNEWS_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason}, but ARNEWS_REQUIRE_POSTGRES is set (.ci/run installs it)")
        pytest.skip(reason)

    binaries = find_postgres_bin()
    if binaries is None:
        unavailable("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install -y postgresql, "
                    "or set ARNEWS_PG_BIN to their folder")
    try:
        import psycopg  # what SQLAlchemy 2.1 loads for MLflow's postgresql:// URLs
    except ImportError:
        unavailable('psycopg is not installed: pip install "arnews[team]"')
    folder = Path(tempfile.mkdtemp(prefix="arnews-pg-"))
    user = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": [],
                "env": {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}}
    server = Postgres(binaries, folder, free_port(), user)
    try:
        server.run("initdb", "-D", "data", "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync",
                   "--no-instructions")
        server.run("pg_ctl", "-D", "data", "-l", "postgres.log", "-w", "-t", str(PG_START_S), "-o",
                   f"-p {server.port} -k {folder} -c listen_addresses={HOST} -c fsync=off", "start")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc}")
    try:
        # CREATE DATABASE runs outside a transaction: autocommit
        with psycopg.connect(host=HOST, port=server.port, user=PG_USER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute("CREATE DATABASE mlflow")
        yield server
    finally:
        try:
            server.run("pg_ctl", "-D", "data", "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def encoder(tmp_path_factory):
    """The shipped compact encoder, resolved into a throwaway cache."""
    from arnews.encoders import resolve_pretrained

    return resolve_pretrained("arnews:compact_arabic_bert", tmp_path_factory.mktemp("cache"))
