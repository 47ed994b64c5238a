"""The golden corpus: case files, loading and selection, the manifest, lint and the secret lint."""
