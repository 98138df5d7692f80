"""Feed specs: one YAML file per trust, validated by `spec.FeedSpec`."""
