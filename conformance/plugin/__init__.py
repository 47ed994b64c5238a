"""The pytest plugin's machinery: its options, one test item per corpus case, and goldens."""
