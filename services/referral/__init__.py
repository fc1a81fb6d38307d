"""The referral service: clients and their personal data, consents, referrals, cases, feedback."""
