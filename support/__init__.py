"""Screening and referrals: the protection side, with stricter access than the rest."""
