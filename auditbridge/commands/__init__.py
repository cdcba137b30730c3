"""One module per `auditbridge` sub-command: `add_arguments(parser)` and `run(args) -> int`."""
