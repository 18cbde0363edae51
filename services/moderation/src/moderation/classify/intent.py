"""What the author wants, in English and French: a question, a complaint, to buy, or to praise.

Patterns over the normalised text; a comment can carry several intents or none.
"""

from __future__ import annotations

import re

INTENTS: dict[str, re.Pattern[str]] = {
    "question": re.compile(
        r"\?|^(?:how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would"
        r"|should)\b"
        r"|^(?:comment|pourquoi|quand|où|qui|quel(?:le)?s?|combien|est-ce que|peut-on"
        r"|pouvez-vous)\b"
    ),
    "complaint": re.compile(
        r"\b(?:refund|broken|damaged|never (?:arrived|received|came)|still waiting|worst|"
        r"disappointed|unacceptable|complain|no answer|not working|doesn'?t work|"
        r"rembours\w*|cassée?|abîmée?|jamais (?:reçu|arrivée?)|toujours pas|déçue?|inadmissible|"
        r"ne marche pas|ne fonctionne pas|pas de réponse|plainte)\b"
    ),
    "purchase_intent": re.compile(
        r"\b(?:buy|purchase|order|price|how much|in stock|available|ship to|where can i get|"
        r"acheter|commander|prix|combien|en stock|disponible|livr\w+ en)\b"
    ),
    "praise": re.compile(
        r"\b(?:love|loved|amazing|awesome|great|perfect|thank you|thanks|best|beautiful|"
        r"j'adore|adore|génial|parfait|merci|magnifique|top|bravo)\b"
    ),
}


def intents_of(text: str) -> list[str]:
    """The intents found in a normalised text, in a fixed order."""
    return [name for name, pattern in INTENTS.items() if pattern.search(text)]
