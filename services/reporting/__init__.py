"""Reporting: projections of every service's events into facts, and indicators over them."""
