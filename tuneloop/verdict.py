"""The gate's outcome for a registered version, in one set of words (no heavy imports: the
command line's start reads it)."""

from __future__ import annotations


def verdict_words(promoted: bool) -> str:
    """What every log line, summary and status says of a gated version: `rejected` is the
    version tag's and status's word too (sweep 51c F6: the same outcome read "kept as
    challenger", "registered as challenger" and "rejected")."""
    return "promoted to champion" if promoted else "rejected by the gate, kept as challenger"
