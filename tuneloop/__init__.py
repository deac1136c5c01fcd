"""tuneloop: continuous hyperparameter tuning on Prefect, DVC, Great Expectations and MLflow."""

from tuneloop.runtime import apply_defaults

apply_defaults()

__version__ = "0.1.0"
