"""Model factories, seeders and the db_seed/factory commands."""
