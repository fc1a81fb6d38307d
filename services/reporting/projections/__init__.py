"""Projections: event envelopes → `event_log` and insert-only fact tables (schema `facts`)."""

from services.reporting.projections.projector import local_date, parse_time, project
from services.reporting.projections.rebuild import rebuild

__all__ = ["local_date", "parse_time", "project", "rebuild"]
