"""Bad input gets one clear line naming the file, line and field."""
from __future__ import annotations

import subprocess
import sys

import pytest

from arnews.data.jsonl import read_jsonl_dir
from arnews.errors import ArnewsError
from arnews.tasks.task import Task
from conftest import ROOT

GOOD = '{"id": "1", "title": "عنوان", "text": "نص الخبر", "topics": ["cybersecurity"]}'


def _dir(tmp_path, train_lines, test_lines=(GOOD,)):
    (tmp_path / "train.jsonl").write_text("\n".join(train_lines) + "\n", encoding="utf-8")
    (tmp_path / "test.jsonl").write_text("\n".join(test_lines) + "\n", encoding="utf-8")
    return tmp_path


def _topic():
    return Task("topic", ["title", "text"], ["topics", "topic"])


def _error(tmp_path, lines) -> str:
    with pytest.raises(ArnewsError) as err:
        _topic().setup(read_jsonl_dir(_dir(tmp_path, lines)))
    assert "\n" not in str(err.value)
    return str(err.value)


def test_bad_json_names_file_and_line(tmp_path):
    msg = _error(tmp_path, [GOOD, '{"id": "2", "text": '])
    assert "train.jsonl:2" in msg and "JSON" in msg


def test_missing_text_names_the_field(tmp_path):
    msg = _error(tmp_path, [GOOD, '{"id": "2", "title": "t", "topics": []}'])
    assert "train.jsonl:2" in msg and "'text'" in msg


def test_topics_must_be_a_list(tmp_path):
    msg = _error(tmp_path, [GOOD, '{"id": "2", "text": "x", "topics": "cybersecurity"}'])
    assert "train.jsonl:2" in msg and "'topics'" in msg and "list" in msg


def test_unknown_label_against_a_fixed_label_set(tmp_path):
    task = Task("topic", ["title", "text"], ["topics"], labels=["cybersecurity"])
    bad = '{"id": "2", "text": "x", "topics": ["sports"]}'
    with pytest.raises(ArnewsError, match=r"train\.jsonl:2.*sports"):
        task.setup(read_jsonl_dir(_dir(tmp_path, [GOOD, bad])))


def test_stance_row_needs_a_claim_or_target(tmp_path):
    task = Task("stance", ["text"], ["stance"], pair_fields=["claim", "target"])
    bad = '{"id": "2", "text": "x", "stance": "agree"}'
    good = '{"id": "1", "claim": "ادعاء", "text": "x", "stance": "agree"}'
    with pytest.raises(ArnewsError, match=r"train\.jsonl:2.*claim"):
        task.setup(read_jsonl_dir(_dir(tmp_path, [good, bad], [good])))


def test_missing_split_file_and_folder(tmp_path):
    (tmp_path / "train.jsonl").write_text(GOOD + "\n")
    with pytest.raises(ArnewsError, match="test.jsonl"):
        read_jsonl_dir(tmp_path)
    with pytest.raises(ArnewsError, match="no such folder"):
        read_jsonl_dir(tmp_path / "nope")


@pytest.mark.slow
def test_cli_reports_one_line_exits_nonzero_and_leaves_no_run(tmp_path):
    data = _dir(tmp_path / "data", [GOOD, '{"id": "2", "text": 5, "topics": []}']) \
        if (tmp_path / "data").mkdir() is None else None
    out = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "model=majority", "data=jsonl", f"data.path={data}",
         f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}", f"hydra.run.dir={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "train.jsonl:2" in errors[0] and "'text'" in errors[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "mlflow.db").exists()  # the data check runs before any run opens
