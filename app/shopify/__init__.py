"""The one place that speaks Shopify: verification, OAuth, tokens, the Admin GraphQL client."""
