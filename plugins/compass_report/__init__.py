"""The HTML report: ``summary/report_<ts>.html`` after every run, and ``compass report``."""
