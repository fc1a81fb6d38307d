"""The referral service's business rules: one pure decider per aggregate."""
