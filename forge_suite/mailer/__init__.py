"""Mailable classes, queued sending, providers and tracking."""
