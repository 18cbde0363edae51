"""The shared classifier's trained model files (`make train-moderation` writes them)."""
