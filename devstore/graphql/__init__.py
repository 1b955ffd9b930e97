"""The GraphQL Admin API subset: schema, resolvers, query cost and the leaky-bucket throttle."""
