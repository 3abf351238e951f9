"""generate-report: the daily fraud report (JSON and HTML) in the reports bucket."""
