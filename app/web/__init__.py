"""HTTP edges: the FastAPI application, its dependencies and shared routes."""
