"""The OpenSearch backend: the same documents and analysis as the embedded index, in a cluster.

``connection`` reaches the cluster (TLS, basic auth, API keys; credentials never printed),
``tokens`` turns our analysis into whitespace-joined token strings, ``queries`` turns a parsed
query into the query DSL, ``build`` fills a new physical index and swaps the alias, ``engine``
answers searches. ``index.json`` holds the mapping and settings.
"""
