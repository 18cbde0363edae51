"""What a comment is: language, toxicity, spam, sentiment and intent, from models that ship in
installed packages or in this package (nothing is fetched at run time)."""

from moderation.classify.classifier import Classification, Classifier

__all__ = ["Classification", "Classifier"]
