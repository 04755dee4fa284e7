"""A tus 1.0.0 server: core, creation, creation-with-upload, creation-defer-length,
expiration, checksum, termination and concatenation. State lives in the database."""
