"""The coaching service: IPS-based supported employment (engagements, placements, fidelity)."""
