"""Running an implementation: runner protocol v1, the adapter process, verdicts and baselines."""
