"""Performance benchmarks: scripts that print figures and ratios to a floor measured in the same run."""
