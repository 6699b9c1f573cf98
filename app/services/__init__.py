"""Use cases: the only place business rules live. Views, API, jobs, CLI and tests call these."""
