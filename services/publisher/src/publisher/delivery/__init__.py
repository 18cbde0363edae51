"""Posts on their way to the networks: each target claimed when due, published, and its outcome
recorded; the post's status follows its targets'."""
