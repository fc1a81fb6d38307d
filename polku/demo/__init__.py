"""Demo data: realistic pathways for the five seed regions, loaded through the services' HTTP APIs.

`generator.build_plan` is pure (seed → plan of HTTP commands); `loader.load_plan` sends a
plan to the running services. Calibration figures and assumptions: `calibration.md`.
"""
