"""The HTTP API: schemas, routes, authentication and the problem+json error mapping."""
