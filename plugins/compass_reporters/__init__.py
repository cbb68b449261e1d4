"""The first-party reporters: the summary table as csv, txt and md."""
