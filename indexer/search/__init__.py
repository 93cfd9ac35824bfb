"""Backend-independent search: query syntax, ranking constants, snippets, expansion."""
