"""Training the shared classifier's models: `python -m moderation.train DATA_DIR`.

Nothing here runs in the service: the worker only loads what this writes under
`moderation/classify/models/`.
"""
