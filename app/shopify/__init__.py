"""The one place that speaks Shopify: verification, GraphQL client, documents."""
