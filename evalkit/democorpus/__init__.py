"""Generate a plain English base corpus offline, with no downloads.

A tiny llama2.c-style model must learn ordinary English before a Q/A fine-tune
can teach it anything, and the demo must run on a machine with no network. So
the corpus is written here by a small probabilistic grammar: sentence templates
with typed slots over hand-written word lists, rendered into short paragraphs
(stories, places, animals, seasons, meals, work, dialogue, and plain talk about
the demo's themes: sound, light, memory, ...).

The language is all data; this module is only the engine. Every *.toml file here
is merged into one namespace: morphology.toml (irregular forms), words.toml
(UPPER_CASE word lists and records), sentences.toml and themes.toml (sentence
templates), slots.toml ([slot]: what each {slot} produces) and paragraphs.toml
([kind.*]: paragraph kinds, their weights and recipe steps, documented there).

A template is text with holes. {name} fills the slot `name`; {Name} capitalizes
it; within a sentence a slot avoids giving the same value twice. <expr> is
evaluated on the spot, reading data, cast variables and kept values:

  <LIST>             one item of a list, itself rendered as a template
  <LIST.f>, <A+B>    ... of the field f of a list of records; of both lists
  <LIST[:3]>         ... of its first three; LIST[f^x]: records whose f starts
                     with x; MAP[path]: the entry named by a value; MAP.*: any
  <name.f>, <'text'> a cast variable (C, he, job, ...) or kept value; the text
  <@slot>            run that slot here (no de-duplication, same variables)
  <deck job.tasks>   the next item of a shuffled deck (dealt again when empty)
  <expr|f1|f2 ...>   filters: plural, a (article), cap, ing, past, first (word),
                     the (a/an -> the), mark = (a verb marker), adj LIST P (an
                     adjective with chance P), reject [field] LIST (draw again
                     while it starts with one of LIST)
  <expr as name>     keep the value as `name` for the rest of the slot

Verbs in templates carry a marker before the base form: =walk (he/she), +walk
(they), *walk (I); each sentence resolves them to its tense, so one template
serves present and past. A template starting with "!" is always in the present.

Usage:
    python -m evalkit.democorpus --out data/base_corpus.txt [--chars N] [--seed S]
"""

import argparse
import os
import random
import re
import sys
from functools import lru_cache

from .data import DATA
from .english import FILTERS, cap, past, resolve, third


# -- Parsing templates, expressions and paths (each parsed once) -------------

_HOLE = re.compile(r"\{(\w+)\}|<([^<>]+)>")
_EXPR = re.compile(r"(.*?)(?: as (\w+))?")
_STEP = re.compile(r"\.(\w+|\*)|\[([^\]]*)\]")
_HEADS = re.compile(r"(?:^|[+\[])([A-Za-z_]\w*)")  # the names a path starts from
_PLUS = re.compile(r"\+(?![^\[]*\])")  # a + that is not inside [...]


@lru_cache(maxsize=None)
def _template(text: str) -> tuple:
    """Text -> (0, text), (1, slot name) and (2, parsed expression) in order."""
    parts = _HOLE.split(text)  # text, slot name, expression, text, ...
    return tuple((i % 3, _expr(p) if i % 3 == 2 else p) for i, p in enumerate(parts) if p)


@lru_cache(maxsize=None)
def _expr(text: str) -> tuple:
    """'source|filter args|... as name' -> (source, ((filter, *args), ...), name)."""
    body, name = _EXPR.fullmatch(text.strip()).groups()
    source, *filters = body.split("|")
    return source.strip(), tuple(tuple(f.split()) for f in filters), name


@lru_cache(maxsize=None)
def _path(text: str) -> tuple:
    """'A.x[:3]+B' -> (alternatives, each a literal or (name, steps); whether it reads only DATA)."""
    alts = []
    for part in _PLUS.split(text):
        name, rest = re.fullmatch(r"(\w*)(.*)", part).groups()
        alts.append((name, tuple(_STEP.findall(rest))) if name else part.strip("'"))
    return tuple(alts), all(name in DATA for name in _HEADS.findall(text))


# -- The generator -----------------------------------------------------------

_CONSTANT: dict = {}  # values of paths that read only DATA


class Templates:
    """The template engine: slots, expressions and paths rendered against DATA, the cast and kept values; every
    random draw comes from one random.Random, in a fixed order."""

    def __init__(self, rng: random.Random):
        self.r, self.c, self.p = rng, rng.choice, rng.random
        self.slots = DATA["slot"]
        self.vars, self.decks, self.used = {}, {}, {}  # cast and paragraph; job decks; per sentence
        self.tense = "present"

    def lookup(self, name: str, scope: dict):
        for space in (scope, self.vars, DATA):
            if name in space:
                return space[name]
        raise KeyError(f"democorpus: nothing is called {name!r}")

    def value(self, text: str, scope: dict):
        """A path's value, unchosen: a string, a list or a record."""
        if text in _CONSTANT:
            return _CONSTANT[text]
        paths, constant = _path(text)
        alts = []
        for alt in paths:
            if isinstance(alt, tuple):  # a name and steps into it
                v = self.lookup(alt[0], scope)
                for field, index in alt[1]:
                    if field == "*":
                        v = list(v.values())
                    elif field:
                        v = [x[field] for x in v] if isinstance(v, list) else v[field]
                    elif index.startswith(":"):
                        v = v[:int(index[1:])]
                    elif "^" in index:
                        key, prefix = index.split("^")
                        v = [x for x in v if x[key].startswith(prefix)]
                    else:
                        key = self.value(index, scope)
                        v = [v[k] for k in key] if isinstance(key, list) else v[key]
                alt = v
            alts.append(alt)
        # A+B: one list of all the items
        v = alts[0] if len(alts) == 1 else [x for a in alts for x in (a if isinstance(a, list) else [a])]
        if constant:  # the same every time
            _CONSTANT[text] = v
        return v

    def source(self, text: str, scope: dict):
        """Draw an expression's source: one item of a list (rendered, if text), else the value."""
        v = _CONSTANT.get(text)  # most sources are data lists, known after their first use
        if v is None:
            if text[0] == "@":
                return self.run(self.slots[text[1:]], scope)
            if text.startswith("deck "):
                path = text[5:]
                deck = self.decks.get(path)
                if not deck:  # exhausted: deal the list again, in its own order
                    deck = self.decks[path] = list(self.value(path, scope))
                return self.render(deck.pop(), scope)
            v = self.value(text, scope)
        if v.__class__ is list:
            v = self.c(v)
            if v.__class__ is str:
                v = self.render(v, scope)
        return v

    def expr(self, e: tuple, scope: dict):
        """<source|filters as name>: draw, transform, then write out or keep."""
        source, filters, name = e
        v = self.source(source, scope)
        for i, (f, *args) in enumerate(filters):
            if f == "adj":  # an adjective with chance P, never "an old old man"
                adjs = self.value(args[0], scope)
                if self.p() < float(args[1]):
                    if " " in v:
                        adjs = [a for a in adjs if not v.startswith(a + " ")]
                    v = self.c(adjs) + " " + v
            elif f == "mark":
                v = args[0] + v
            elif f == "reject":  # draw the whole thing again while it starts with a bad word
                *field, bad = args
                bad = tuple(self.value(bad, scope))
                while (v[field[0]] if field else v).startswith(bad):
                    v = self.expr((source, filters[:i], None), scope)
            else:
                v = FILTERS[f](v)
        if name:
            scope[name] = v
            return ""
        return v

    def render(self, text: str, scope: dict) -> str:
        """Fill a template's holes in order (the order of the random draws)."""
        if "{" not in text and "<" not in text:
            return text
        out = []
        for kind, part in _template(text):
            out.append(part if kind == 0 else self.fill(part, scope) if kind == 1 else self.expr(part, scope))
        return "".join(out)

    def run(self, slot, scope: dict) -> str:
        """One value of a slot definition: a template, a uniform choice or chance branches."""
        if isinstance(slot, str):
            return self.render(slot, scope)
        if isinstance(slot[0], list):
            x = self.p()
            return self.render(next(text for bound, text in slot if x < bound), scope)
        return self.render(self.c(slot), scope)

    def fill(self, key: str, scope: dict) -> str:
        """{key}: a fresh slot value, avoiding one it already gave in this sentence."""
        upper = key[0].isupper() and key not in self.slots and key not in self.vars and key not in scope
        if upper:
            key = key[0].lower() + key[1:]
        slot = self.slots.get(key)
        if slot is None:
            text = self.lookup(key, scope)
        else:
            seen = self.used.get(key) or self.used.setdefault(key, set())
            for _ in range(4):
                text = self.run(slot, dict(scope) if scope else {})
                if text not in seen:
                    break
            seen.add(text)
        return cap(text) if upper else text

    def sentence(self, template: str, tense: str) -> str:
        if template.startswith("!"):  # a general truth: always present tense
            template, tense = template[1:], "present"
        self.used = {}
        return cap(resolve(self.render(template, {}), tense))


class Generator(Templates):
    """Renders paragraphs: a cast drawn, then a paragraph kind's recipe steps (paragraphs.toml) run over it."""

    def __init__(self, rng: random.Random):
        super().__init__(rng)
        self.kinds, self.weights = list(DATA["kind"]), [k["weight"] for k in DATA["kind"].values()]
        self.new_cast()  # the old generator drew a cast up front; kept so the text stays the same

    def quote(self, who: str, pronoun: str, first: bool = False) -> str:
        """A line of dialogue: what is said ({quote}), who says it and how it is punctuated."""
        conf = DATA["dialogue"]
        self.used = {}
        said = self.run(self.slots["quote"], {})
        text, kind = cap(said[:-1]), said[-1]
        verb = conf["ask"] if kind == "?" else self.c(conf["say"])
        verb = past(verb) if self.tense == "past" else third(verb)
        name = self.vars[who]
        speaker = name if (first or self.p() < 0.7) else self.vars[pronoun]
        x = self.p()
        if kind == "!" or x < 0.55:
            tail = "," if kind == "." else kind
            if speaker == name and not name.startswith(tuple(conf["no_inversion"])) and self.p() < 0.5:
                return f'"{text}{tail}" {verb} {speaker}.'
            return f'"{text}{tail}" {speaker} {verb}.'
        if kind == "." and x < 0.8 and " " in text:
            return f'{cap(speaker)} {verb}, "{text}."'
        return f'{cap(speaker)} {verb}, "{text}{kind}"'

    def new_cast(self) -> None:
        """The paragraph's people: C with a gender, name or role and job; O, a friend or relative."""
        p, c, odds, genders = self.p, self.c, DATA["cast"], DATA["GENDERS"]
        gk = "m" if p() < odds["male"] else "f"
        g = genders[gk]
        name = c(g["names"]) if p() < odds["named"] else "the " + c(g["roles"])
        job = c(DATA["JOBS"])
        while job.get("only", gk) != gk:
            job = c(DATA["JOBS"])
        ok = "m" if p() < odds["other_male"] else "f"
        if p() < odds["other_named"]:
            other = c(genders[ok]["names"])
            while other == name:
                other = c(genders[ok]["names"])
        else:
            rel = c(DATA["FAMILY"])
            ok = rel.get("gender", ok)
            other = g["his"] + " " + rel["word"]
        o = genders[ok]
        self.vars = {
            "C": name, "O": other, "is_role": not name[:1].isupper(), "job": job, "g": g,
            "he": g["he"], "him": g["him"], "his": g["his"], "himself": g["himself"], "poss": g["his"],
            "o_he": o["he"], "o_his": o["his"], "o_him": o["him"],
            "settlement": c(DATA["SETTLEMENTS"]), "meal": c(DATA["MEALS"]),
        }

    def steps(self, steps: list, out: list) -> None:
        """Run recipe steps (see paragraphs.toml), appending sentences to out."""
        for st in steps:
            tense = st.get("tense", self.tense)
            if "pick" in st:
                pool, avoid = self.value(st["pick"], {}), st.get("if_role_avoid")
                text = self.c(pool)
                while avoid and self.vars["is_role"] and avoid in text:
                    text = self.c(pool)
                out.insert(0 if st.get("first") else len(out), self.sentence(text, tense))
            elif "say" in st:
                out.append(self.sentence(st["say"], tense))
            elif "lines" in st:
                pool = self.value(st["lines"], {})
                idx = self.r.sample(range(len(pool)), min(self.r.randint(*st["k"]), len(pool)))
                out += [self.sentence(pool[i], tense) for i in (sorted(idx) if st.get("ordered") else idx)]
            elif "quote" in st:
                out.append(self.quote(*st["quote"]))
            elif "conversation" in st:
                for i in range(self.r.randint(*st["conversation"])):
                    out.append(self.quote(*(("C", "he"), ("O", "o_he"))[i % 2], first=i < 2))
            elif "chance" in st:
                self.steps(st["then"] if self.p() < st["chance"] else st.get("else", []), out)
            elif "repeat" in st:
                for _ in range(self.r.randint(*st["repeat"])):
                    self.steps(st["do"], out)
            elif "if" in st:
                self.steps(st["then"] if self.value(st["if"], {}) else st.get("else", []), out)
            elif "let" in st:
                for key, text in st["let"].items():
                    self.vars[key] = self.expr(_expr(text), {})
            elif "shuffle" in st:
                self.decks[st["shuffle"]] = deck = list(self.value(st["shuffle"], {}))
                self.r.shuffle(deck)
            elif "tense" in st:
                t = st["tense"]
                self.tense = t if isinstance(t, str) else (t[1] if self.p() < t[0] else t[2])
            else:
                raise ValueError(f"democorpus: unknown recipe step {st!r}")

    def paragraph(self) -> str:
        self.new_cast()
        self.steps(DATA["paragraph"]["start"], [])
        kind = self.r.choices(self.kinds, self.weights)[0]
        out: list[str] = []
        self.steps(DATA["kind"][kind]["steps"], out)
        return " ".join(s if s.endswith((".", "!", "?", '"')) else s + "." for s in out)


def generate_corpus(n_chars: int = 3_000_000, seed: int = 0) -> str:
    """Return roughly n_chars characters of plain English prose, deterministic in seed.

    Paragraphs are separated by blank lines and the text ends with a newline.
    """
    gen = Generator(random.Random(seed))
    parts, total = [], 0
    while total < n_chars:
        parts.append(gen.paragraph())
        total += len(parts[-1]) + 2
    return "\n\n".join(parts) + "\n"


def generate_conversations(n: int = 450, seed: int = 0) -> list[list[dict]]:
    """n one-turn chat conversations (the JSONL's turns), deterministic in seed: a question of
    conversations.toml and an answer of facts from its theme, as the base English states them.

    Themes take turns, so every theme gets about n / 24 conversations. The first fact opens on the theme
    ("An echo is ...": the question's subject first, a habit a small model can learn; one that names it
    where none opens on it); the rest follow in their order.
    """
    gen = Generator(random.Random(seed))
    questions, (lo, hi) = DATA["QUESTIONS"], DATA["conversation"]["facts"]
    themes = sorted(questions)
    out = []
    for i in range(n):
        theme = themes[i % len(themes)]
        facts = DATA["THEMES"][theme]["facts"]
        opening = [j for j, f in enumerate(facts) if re.match(rf"!?(?:(?:a|an|the) )?{theme[:5]}", f, re.I)]
        naming = opening or [j for j, f in enumerate(facts) if re.search(rf"\b{theme[:5]}", f, re.I)] or [0]
        first = gen.c(naming)
        rest = gen.r.sample([j for j in range(len(facts)) if j != first], gen.r.randint(lo, hi) - 1)
        gen.new_cast()
        answer = " ".join(gen.sentence(facts[j], "present") for j in [first, *sorted(rest)])
        out.append([{"role": "user", "content": gen.c(questions[theme])},
                    {"role": "assistant", "content": answer}])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evalkit.democorpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="path of the text file to write")
    ap.add_argument("--chars", type=int, default=3_000_000, help="approximate size in characters")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same text)")
    args = ap.parse_args(argv)
    text = generate_corpus(args.chars, args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {len(text)} characters to {args.out}", file=sys.stderr)
    return 0
