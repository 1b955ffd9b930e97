"""The reconciler: Shopify does not guarantee webhook delivery, so each shop's orders, checkouts
and customers are read back from the Admin API now and then, and what no delivery brought goes
into the webhook inbox as a synthetic event, processed like a delivery."""
