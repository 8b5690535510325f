"""CLI subcommands, one module per pipeline step (see :mod:`geo_enroll.cli`)."""
