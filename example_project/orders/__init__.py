"""Demo: shop orders as an event-sourced aggregate, an order summary projection, and an
observer that calls a webhook when an order is paid."""
