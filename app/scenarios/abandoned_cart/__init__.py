"""Abandoned cart: a checkout with a contact and items, not completed after the first delay,
gets up to three reminders (the later ones with a unique code) until it is bought, emptied,
superseded or the customer may no longer be written to.

`rule` decides (pure, over snapshots), `queries` reads and writes, `settings` and `content`
are what the merchant tunes and what the shopper reads, `declaration` tells the engine."""
