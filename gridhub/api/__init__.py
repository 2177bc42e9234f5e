"""The HTTP API: FastAPI app, sign-in and roles, resources, live events, dashboard."""
