"""Looking at finished runs: ``compass runs`` (the runs of a work dir) and ``compass compare``."""
