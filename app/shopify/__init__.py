"""The one place that speaks Shopify: Admin API client, documents, verification adapters."""
