"""Configuration: the model, its schema, loading with secrets, rendering, the starter file."""
