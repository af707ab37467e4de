"""Tasks: label space, input building, decision rule and metrics."""
from arnews.tasks.inputs import Inputs
from arnews.tasks.task import Task, build_task
from arnews.tasks.thresholds import DecisionRule

__all__ = ["Inputs", "Task", "build_task", "DecisionRule"]
