"""Pipeline room: the `wmin` command line, the nightly run, publish and settings."""
