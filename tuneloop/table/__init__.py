"""What a user's table is, as `tuneloop init` reads it: its target, cells, dates, identifiers,
leaks, how its rows are dealt into batches, and the settings scaled to it."""
