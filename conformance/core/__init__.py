"""Bottom layer: what every part of the kit shares (atomic writes, explaining a difference,
the usage error)."""
