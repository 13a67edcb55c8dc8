"""What a command does, end to end: the run folder, search, rederive, compare."""
