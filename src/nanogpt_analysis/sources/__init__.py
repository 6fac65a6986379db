"""Layer 1: raw sources (upstream git repository, GitHub API, star-history files)."""
