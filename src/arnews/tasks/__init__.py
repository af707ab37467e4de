"""Tasks: label space, input building, decision rule and metrics."""
from arnews.tasks.inputs import Inputs
from arnews.tasks.task import Task
from arnews.tasks.thresholds import DecisionRule

__all__ = ["Inputs", "Task", "DecisionRule"]
