"""The shop's customers as the merchant looks them up: the index (search, filters, sorting,
keyset pages) and one customer's page (orders, messages with their opens and clicks, open
sequences, loyalty and referral summary)."""
