"""The reporting dashboard: `GET /dashboard`, the main indicators as charts (Chart.js)."""

from services.reporting.dashboard.routes import router

__all__ = ["router"]
