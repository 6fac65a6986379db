"""Layer 2: derive the tables in data/ from the sources."""
