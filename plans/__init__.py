"""A case plan per member: goals, actions, reviews (issue 26)."""
