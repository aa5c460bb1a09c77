"""English word forms for the democorpus: plurals, verb forms, articles, and the template filters built on them."""

import re

from .data import DATA

# Regular rules here, the exceptions in morphology.toml.

_MORPH = DATA["morphology"]
PAST, PLURAL, THIRD, ING = (dict(w.split(":") for w in _MORPH[k].split())
                            for k in ("past", "plural", "third", "ing"))
DOUBLING = frozenset(_MORPH["doubling"].split())
AN_WORDS, A_PREFIXES = frozenset(_MORPH["an_words"].split()), tuple(_MORPH["a_prefixes"].split())
_VOWELS, _SIBILANT = "aeiou", ("s", "x", "z", "ch", "sh")


def _s_form(word: str, irregular: dict) -> str:
    """-s, -es or -ies: plural nouns and third-person verbs follow the same rule."""
    if word in irregular:
        return irregular[word]
    if word.endswith(_SIBILANT):
        return word + "es"
    return word[:-1] + "ies" if word.endswith("y") and word[-2] not in _VOWELS else word + "s"


def plural(noun: str) -> str:
    """Plural of a (possibly multi-word) noun; only the last word changes."""
    head, sep, last = noun.rpartition(" ")
    return head + sep + _s_form(last, PLURAL)


def third(verb: str) -> str:
    return _s_form(verb, THIRD)


def past(verb: str) -> str:
    if verb in PAST:
        return PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in _VOWELS:
        return verb[:-1] + "ied"
    return verb + verb[-1] * (verb in DOUBLING) + "ed"


def ing(verb: str) -> str:
    if verb in ING:
        return ING[verb]
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + verb[-1] * (verb in DOUBLING) + "ing"


def with_article(phrase: str) -> str:
    """'a' or 'an' + phrase, by how its first word sounds."""
    word = phrase.split(" ", 1)[0].lower()
    an = word in AN_WORDS or (word[:1] in _VOWELS and not word.startswith(A_PREFIXES))
    return ("an " if an else "a ") + phrase


_MARK = re.compile(r"([=+*])([a-z]+)")


def resolve(text: str, tense: str) -> str:
    """Replace every =verb / +verb / *verb marker by its form in `tense`."""
    def form(m: re.Match) -> str:
        marker, verb = m.groups()
        if verb == "be":
            return _MORPH["be"][marker][tense == "past"]
        return past(verb) if tense == "past" else third(verb) if marker == "=" else verb
    return _MARK.sub(form, text)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


_VERB = re.compile(r"^[=+*]?([^ ]+)")  # the first word of a verb phrase, without its marker

# Filters of one argument; adj, mark and reject take more and live in Generator.expr.
FILTERS = {"plural": plural, "a": with_article, "cap": cap,
           "the": lambda v: re.sub(r"^(?:an?|the) ", "the ", v), "first": lambda v: v.split(" ", 1)[0],
           "ing": lambda v: _VERB.sub(lambda m: ing(m[1]), v, 1),
           "past": lambda v: _VERB.sub(lambda m: past(m[1]), v, 1)}
