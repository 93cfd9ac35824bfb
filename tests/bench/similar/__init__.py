"""Similar passages benchmark: judged precision of the threshold, build cost, query time."""
