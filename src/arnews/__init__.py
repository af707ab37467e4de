"""arnews: topic and stance classification of Arabic news, tracked with MLflow."""

__version__ = "0.1.0"
