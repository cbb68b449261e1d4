"""compass-reporter-jsonl: the summary as JSON Lines, for dashboards and spreadsheets."""
