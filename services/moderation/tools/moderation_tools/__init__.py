"""Moderation's command-line tools: training the shared classifier and measuring it and the
brands' models (`make train-moderation`, `eval-moderation`, `eval-learning`).

They live beside the service, not in it: the service never imports them, and only development
installs put them on the path (`dev-mode-dirs`), so the image ships the runtime alone.
"""
