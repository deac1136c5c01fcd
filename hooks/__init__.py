"""The bundled flights project's own code: its prepare hook (params.yaml `data.prepare`)."""
