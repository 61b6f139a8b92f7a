"""Screenings, providers, consent to share and referrals: state changes and queries.

Services flush, never commit, and take an explicit actor and dates. Modules: scope (the
SQL twins of the permission methods in support/models), screenings, directory (the
provider directory and consent to share), referrals (making and following referrals,
and what the member's own page says of them), and the provider's side (issue 26):
provider_links (the letter's link and code), provider_accounts (provider staff) and
provider_answers (what a provider records).
"""
