"""The load test (`make loadtest`)."""
