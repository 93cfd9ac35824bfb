"""Reading features over an index: trends, 新提法, comparison, glossary, export."""
