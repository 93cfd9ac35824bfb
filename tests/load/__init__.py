"""Load and fault testing of the production server (waitress), on 127.0.0.1 only."""
