"""Ingest: files → text blocks → cleaned paragraphs, outline and official metadata."""
