"""The service desk: requests with SLA, warranty repairs, service reports."""
