"""The loyalty program: a points ledger that never drifts, earned from paid orders and taken
back on refunds and cancellations. `app.loyalty.service` is what journeys and other programs
call; `app.loyalty.listeners` wires it to the commerce facts."""
