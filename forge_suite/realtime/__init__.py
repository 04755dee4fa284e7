"""Pusher-protocol WebSocket channels and broadcasting."""
