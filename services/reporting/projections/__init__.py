"""Projections: typed events → `event_log` and insert-only fact tables (schema `facts`)."""

from services.reporting.projections.projector import local_date, project
from services.reporting.projections.rebuild import rebuild

__all__ = ["local_date", "project", "rebuild"]
