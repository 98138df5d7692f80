"""One writer per feed family, each driven by the trust's FeedSpec."""
