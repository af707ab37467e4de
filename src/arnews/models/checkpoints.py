"""The Trainer's checkpoints: the one an interrupted run continues from.

transformers' ``get_last_checkpoint`` returns the highest-numbered ``checkpoint-<step>``
folder whatever its state. A run killed while it saves leaves that folder half written,
and ``Trainer.train(resume_from_checkpoint=True)`` then fails on its missing
``trainer_state.json``. The Trainer writes that file last (after the weights, optimizer,
scheduler and RNG states), so it marks a finished checkpoint.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> for step, done in ((4, True), (8, False)):
...     (root / f"checkpoint-{step}").mkdir()
...     if done:
...         _ = (root / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
>>> latest_complete_checkpoint(root).name
'checkpoint-4'
"""
from __future__ import annotations

import re
from pathlib import Path

# transformers.trainer's names (PREFIX_CHECKPOINT_DIR, TRAINER_STATE_NAME), spelled out so
# that a baseline run, which imports this through arnews.resume, loads no Trainer; a test
# checks they still match.
CHECKPOINT_PREFIX = "checkpoint"
STATE_FILE = "trainer_state.json"
_STEP = re.compile(rf"^{CHECKPOINT_PREFIX}-(\d+)$")


def latest_complete_checkpoint(folder: str | Path) -> Path | None:
    """The newest fully written ``checkpoint-<step>`` folder in ``folder``, if any."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    steps = {int(m.group(1)): path for path in folder.iterdir()
             if (m := _STEP.match(path.name)) and (path / STATE_FILE).is_file()}
    return steps[max(steps)] if steps else None
