"""A runnable Django project that uses every Forge Suite app."""
