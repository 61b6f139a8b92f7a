"""The in-app inbox: notifications, the words each feature gives them, and their email."""
