"""A shop's install: OAuth and token exchange outcomes, shop facts, uninstall, compliance."""
