"""The review request: after an order is fulfilled, an email asking for a review of each of its
products, and a reminder; stopped once they are reviewed."""
