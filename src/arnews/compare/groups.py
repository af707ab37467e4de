"""The grouping rule: runs that differ only in seed (and bookkeeping) form one group.

Rule, in two steps:

1. Runs are first split by identity: (task, data, model) from the params
   ``task.name``, ``data.name``, ``model.name`` (falling back to the same-named tags).
2. Within one identity, every other param that takes more than one value across
   those runs splits it further, except ``seed`` and bookkeeping params (prefixes
   ``tracking.``, ``paths.``, ``hydra.``, plus any ``--ignore-param`` prefix). A param
   missing from some runs counts as the value ``<unset>``.

So three seeds of one config are one group, a learning-rate sweep of one model is
one group per rate, and params of other models (``model.compact.*`` is absent from
TF-IDF runs) never split anything. The group label is the model name plus its
splitting params, e.g. ``compact_bert (model.training.learning_rate=1e-3)``.

    >>> r = lambda seed, lr: RunRecord(f"r{seed}{lr}", "", "0", {"task.name": "topic",
    ...     "data.name": "demo", "model.name": "bert", "seed": seed, "lr": lr,
    ...     "tracking.run_name": f"bert-seed{seed}"}, {}, {})
    >>> [g.label for g in group_runs([r("1", "a"), r("2", "a"), r("1", "b")])]
    ['bert (lr=a)', 'bert (lr=b)']
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from arnews.compare.selection import RunRecord

UNSET = "<unset>"
SEED_PARAM = "seed"
BOOKKEEPING_PREFIXES = ("tracking.", "paths.", "hydra.")
IDENTITY = (("task", "task.name"), ("data", "data.name"), ("model", "model.name"))


@dataclass
class Group:
    task: str
    data: str
    model: str
    varying: dict[str, str]
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def label(self) -> str:
        if not self.varying:
            return self.model
        return f"{self.model} ({', '.join(f'{k}={v}' for k, v in self.varying.items())})"

    @property
    def seeds(self) -> list[str]:
        return [r.params.get(SEED_PARAM, r.tags.get(SEED_PARAM, "?")) for r in self.runs]


def identity(run: RunRecord) -> tuple[str, str, str]:
    """(task, data, model) of a run, from params, else tags, else ``<unset>``."""
    return tuple(run.params.get(param, run.tags.get(tag, UNSET)) for tag, param in IDENTITY)


def is_ignored(name: str, extra_prefixes: tuple[str, ...] = ()) -> bool:
    """Whether a param never splits a group: the seed, identity params, bookkeeping.

    >>> is_ignored("seed"), is_ignored("tracking.run_name"), is_ignored("model.lr")
    (True, True, False)
    """
    if name == SEED_PARAM or name in {p for _, p in IDENTITY}:
        return True
    return name.startswith(BOOKKEEPING_PREFIXES + tuple(extra_prefixes))


def _seed_order(run: RunRecord) -> tuple:
    seed = run.params.get(SEED_PARAM, run.tags.get(SEED_PARAM, ""))
    return (0, int(seed), run.run_id) if seed.lstrip("-").isdigit() else (1, seed, run.run_id)


def group_runs(runs: list[RunRecord], ignore: tuple[str, ...] = ()) -> list[Group]:
    """Groups in a stable order (identity, then splitting values); see the module rule."""
    by_identity: dict[tuple, list[RunRecord]] = defaultdict(list)
    for run in runs:
        by_identity[identity(run)].append(run)
    groups = []
    for (task, data, model), members in sorted(by_identity.items()):
        names = sorted({n for r in members for n in r.params if not is_ignored(n, ignore)})
        varying = [n for n in names if len({r.params.get(n, UNSET) for r in members}) > 1]
        split: dict[tuple, list[RunRecord]] = defaultdict(list)
        for run in members:
            split[tuple(run.params.get(n, UNSET) for n in varying)].append(run)
        for values, grouped in sorted(split.items()):
            grouped.sort(key=_seed_order)  # stable report order, whatever order MLflow returned
            groups.append(Group(task, data, model, dict(zip(varying, values)), grouped))
    return groups
