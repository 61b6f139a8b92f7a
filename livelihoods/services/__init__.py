"""Grants from draft to outcome, their tranches, follow-up visits and member logins.

Every state change adds a GrantEvent: the timeline shows who, when and why. A module per
subject: `grants` (draft to decision and close), `tranches` (payments), `follow_ups` (the
checks after a payment and their visits), `members` (a member's PIN and texts).
"""
