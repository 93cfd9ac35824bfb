"""The embedded backend: a Whoosh index on local disk with NumPy posting arrays."""
