"""The README stands alone in a clone: every document it links to is in the repository,
and what it shows of the logged model matches what the code produces."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_stays_in_the_repository(doc):
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_readme_lists_the_score_columns_in_the_models_order():
    from arnews.data.demo import read_demo
    from arnews.components import build_task
    from conftest import compose_cfg

    task = build_task(compose_cfg("train").task)
    task.setup(read_demo("topic"))
    line = next(l for l in (ROOT / "README.md").read_text().splitlines() if l.startswith("# -> columns:"))
    assert line.split(":", 1)[1].strip().split(", ") == ["labels"] + [f"score_{lab}" for lab in task.labels]


def test_the_virtualenv_is_ignored():
    assert ".venv/" in (ROOT / ".gitignore").read_text().splitlines()
