"""Domain events, listeners, event store and projections."""
