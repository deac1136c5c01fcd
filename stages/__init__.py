"""The work of the loop: one module per stage, each a pure `run` plus a `main` for dvc.yaml."""
