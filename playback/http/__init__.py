"""What every HTTP interface shares (the playback API, the flows API, the admin's
id URLs): ids in paths, the error bodies and the mapping of the services' errors to
HTTP answers, permissions, filters, the JSON parser, middlewares, schema hooks."""
