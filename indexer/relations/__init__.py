"""How documents relate: citations, validity, similar passages, duplicate copies."""
