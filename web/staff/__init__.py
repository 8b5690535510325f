"""Bureau staff: the placement of record, appeals, notices and rosters (views, service)."""
