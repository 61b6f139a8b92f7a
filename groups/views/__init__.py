"""The groups blueprint: group, member and meeting pages."""
