"""The one place that speaks Shopify: verification, OAuth, tokens and the Admin GraphQL client."""
