"""Training the shared classifier's models: `python -m moderation_tools.train DATA_DIR`.

Nothing here runs in the service (`make train-moderation` runs it): the worker only loads what
this writes under `moderation/classify/models/`.
"""
