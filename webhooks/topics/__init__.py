"""One module per topic family; importing this package registers their handlers."""
