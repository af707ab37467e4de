"""The least a tracked baseline run can cost: the libraries arnews stands on, and nothing else.

A Hydra app that opens an MLflow SQLite store, starts a run, fits scikit-learn's
DummyClassifier on four rows and logs one metric; ``+log_model=true`` also logs the
classifier with ``mlflow.sklearn.log_model`` (pinned requirements and an input example,
as arnews logs its models). ``benchmarks/serving.py`` times it beside
``python train.py model=majority``, so the gap between them is what arnews itself adds.

    python benchmarks/library_floor.py +tracking_uri=sqlite:////tmp/floor.db hydra.run.dir=/tmp/floor
"""
import hydra
from omegaconf import DictConfig


@hydra.main(version_base=None, config_path=None)
def main(cfg: DictConfig) -> None:
    # imported here, as train.py defers them: Hydra's own start-up comes first
    import mlflow
    import numpy as np
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import f1_score

    mlflow.set_tracking_uri(cfg.tracking_uri)
    mlflow.set_experiment("library-floor")
    frame, y = pd.DataFrame({"text": ["a", "b", "c", "d"]}), np.array([0, 1, 0, 0])
    with mlflow.start_run():
        clf = DummyClassifier().fit(frame, y)
        mlflow.log_metric("test/macro_f1", f1_score(y, clf.predict(frame), average="macro"))
        if cfg.get("log_model", False):
            mlflow.sklearn.log_model(clf, name="model", input_example=frame.head(2),
                                     pip_requirements=["scikit-learn", "pandas", "numpy"])


if __name__ == "__main__":
    main()
