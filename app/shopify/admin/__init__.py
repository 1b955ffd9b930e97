"""The GraphQL Admin API: a throttle-aware client and the typed operations Boomerang uses."""
