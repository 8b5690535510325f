"""Parents (blueprint ``public``, no login): the lookup page (views) and what it does (service)."""
