"""The bootstrap's phases. Each module lists the remote steps of one phase, in the order they run."""
