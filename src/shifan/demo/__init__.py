"""Demo data for `make demo`: every role, organisations in all 21 cities, made through the services."""
