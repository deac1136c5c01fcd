"""Command groups of the `tuneloop` CLI, one module per concern; each exposes `register(app)`."""
