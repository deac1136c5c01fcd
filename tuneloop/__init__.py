"""tuneloop: continuous hyperparameter tuning on Prefect, DVC, Great Expectations and MLflow."""

from tuneloop.telemetry import disable_telemetry

disable_telemetry()

__version__ = "0.1.0"
