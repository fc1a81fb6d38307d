"""The assessment service: work ability assessments, measurements, health checks, support
plans and consultations (API.md, EVENTS.md `polku.assessment.v1`)."""
