"""Display names that imitate someone in letters of another script.

Anyone can name themselves "Support Team" with a Cyrillic `Ѕ` and `Т` (U+0405, U+0422) or in
mathematical bold (`𝐒𝐮𝐩𝐩𝐨𝐫𝐭`), so that an agent reading the thread takes a customer's
mail for a colleague's. Real names mix scripts rarely in this way: Latin letters beside
Cyrillic, Greek, Armenian or Cherokee ones (the scripts with Latin lookalikes, Unicode TR39's
confusables), or letters from the styled blocks (fullwidth, mathematical) at all. A
Japanese name mixing kanji and kana, or a name wholly in Cyrillic, is not flagged; a name
wholly in lookalike letters of one other script is not caught (TR39's whole-script
confusables need its data tables).
"""

from __future__ import annotations

_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
_STYLED = frozenset({"FULLWIDTH", "MATHEMATICAL"})


def mixed_scripts(name: str) -> bool:
    """Whether `name` looks like one thing written in letters of another (see above)."""
    import unicodedata

    scripts = {unicodedata.name(c, "").partition(" ")[0] for c in name if c.isalpha()}
    return bool(scripts & _STYLED) or ("LATIN" in scripts and bool(scripts & _LOOKALIKE_SCRIPTS))
