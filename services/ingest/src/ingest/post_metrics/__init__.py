"""Public metrics of the brands' own posts and of tracked competitors' posts, polled."""
