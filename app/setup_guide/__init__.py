"""The setup guide on the admin's home page: a new shop's way from install to its first
scenario on (app/setup_guide/progress.py)."""
