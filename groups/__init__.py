"""Self-help groups, their members and memberships, meetings and attendance."""
