"""The `tuneloop` command line: the top floor of the house. It may import the flows, the stages
and the library; nothing imports it. Heavy libraries load inside commands, so --help is
instant. Each module of command groups exposes `register(app)`."""
