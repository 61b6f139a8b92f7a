"""Users, roles and scopes, login sessions and language preference."""
