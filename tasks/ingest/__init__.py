"""Ingestion: what real tools export -> the canonical datasets (CONTRACTS section 2)."""
