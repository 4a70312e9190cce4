"""Words built from names (verbose names, statuses): the English article before them."""

# Words spelt with a vowel but said with a consonant: "a unit", "a user", "a euro", "a one-off".
_SAID_WITH_A_CONSONANT = ("uni", "use", "usu", "eu", "one")


def with_article(phrase) -> str:
    """``"activation"`` -> ``"an activation"``, ``"pledge"`` -> ``"a pledge"``."""
    text = str(phrase)
    lower = text.lower()
    vowel = lower[:1] in ("a", "e", "i", "o", "u") and not lower.startswith(_SAID_WITH_A_CONSONANT)
    return f"{'an' if vowel else 'a'} {text}"
