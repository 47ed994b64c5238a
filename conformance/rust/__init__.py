"""Rust test glue: ``generate --rust`` and the one Rust error classification."""
