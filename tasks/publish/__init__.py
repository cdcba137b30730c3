"""Publication of a run's files to S3-compatible storage, and their retrieval (CONTRACTS section 7).

`publisher` holds the I/O (boto3 calls), `layout`, `manifest` and `index` the pure parts (keys, manifests,
the index page), `clients` builds the one client a run uses, `task` wraps the I/O in Prefect tasks.
"""
