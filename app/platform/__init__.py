"""Process-level plumbing: embedded services, the composition root's resources."""
