"""The reviews program: reviews customers leave through the hosted form, their photos,
moderation, the products' aggregates written to Shopify, and the rewards reviews earn."""
