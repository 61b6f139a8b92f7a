"""The accounts blueprint: logging in and out, two-factor sign-in, a staff member's own
account, and the administration of users."""
