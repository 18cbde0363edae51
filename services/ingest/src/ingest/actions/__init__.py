"""Network actions: hides, deletes and replies that moderation requests, carried out by ingest."""
