"""Import formats, one module per tool family; each exposes FORMATS (see tasks.ingest.base)."""
