"""Performance: synthetic data at coalition scale, and the benchmark behind `monitor bench`."""
