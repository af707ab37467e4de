"""Model-from-code entry that MLflow stores with each logged model.

MLflow loads this file instead of unpickling a Python object; the classifier,
task and decision rule come from the model's artifacts in ``load_context``.
"""
import mlflow

from arnews.pyfunc import ArnewsPyfunc

mlflow.models.set_model(ArnewsPyfunc())
