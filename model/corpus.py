"""Generate a plain English base corpus offline, with no downloads.

A tiny llama2.c-style model has to learn ordinary English before a Q/A
fine-tune can teach it anything, and we want the demo to work on a fresh
machine with no network. This module writes that base corpus itself: a
small probabilistic grammar (sentence templates with typed slots) over
hand-written word lists, rendered into short paragraphs separated by blank
lines. The paragraphs are little stories, descriptions of places, animals,
seasons, meals and work, dialogue, and calm reflections on the themes of the
demo data (sound, light, memory, quiet, rhythm, breath, and so on).

About a third of the text is about those themes: besides the short
reflections there are plain explanations (how resonance, echoes, memory,
attention or habits work), advice to the reader, small scenes, and diary-like
lines in the first person. They give the base model the ordinary vocabulary of
the Q/A fine-tune (resonance, vibration, awareness, perception, gently,
naturally, ...) in sentences of their own; the word lists are written here by
hand and nothing is read from the fine-tuning data.

Grammar is handled explicitly: a/an, plurals, verb agreement and past tense
(irregular forms are listed below). Inside templates a verb is written with a
marker in front of its base form:

    =walk   the subject is singular      ("walks" / "walked")
    +walk   the subject is plural        ("walk"  / "walked")
    *be     the subject is "I"           ("am"    / "was")

and the marker is resolved to present or past tense when the sentence is
rendered, so the same template serves both tenses.

Usage:
    python -m model.corpus --out data/base_corpus.txt [--chars N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys

# ---------------------------------------------------------------------------
# Morphology
# ---------------------------------------------------------------------------


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for item in text.split():
        key, _, value = item.partition(":")
        out[key] = value
    return out


IRREGULAR_PAST = _pairs(
    """
    awake:awoke bear:bore beat:beat become:became begin:began bend:bent
    bite:bit bleed:bled blow:blew break:broke bring:brought build:built
    burn:burned buy:bought catch:caught choose:chose cling:clung come:came
    cost:cost creep:crept cut:cut dig:dug do:did draw:drew dream:dreamed
    drink:drank drive:drove eat:ate fall:fell feed:fed feel:felt fight:fought
    find:found fling:flung fly:flew forget:forgot forgive:forgave freeze:froze
    get:got give:gave go:went grind:ground grow:grew hang:hung have:had
    hear:heard hide:hid hit:hit hold:held hurt:hurt keep:kept kneel:knelt
    know:knew lay:laid lead:led leap:leaped leave:left lend:lent let:let lie:lay
    light:lit lose:lost make:made mean:meant meet:met pay:paid put:put
    read:read ride:rode ring:rang rise:rose run:ran say:said see:saw
    seek:sought sell:sold send:sent set:set sew:sewed shake:shook shine:shone
    shoot:shot shut:shut sing:sang sink:sank sit:sat sleep:slept slide:slid
    speak:spoke spend:spent spin:spun spread:spread spring:sprang stand:stood
    steal:stole stick:stuck sting:stung strike:struck swear:swore sweep:swept
    swim:swam swing:swung take:took teach:taught tear:tore tell:told
    think:thought throw:threw mistake:mistook understand:understood wake:woke wear:wore
    weave:wove weep:wept win:won wind:wound write:wrote
    """
)

# Verbs that double their final consonant before -ed and -ing.
DOUBLING = frozenset(
    """
    bat beg chat chop clap dig dim dip drag drip drop fan fit flap flip grab
    grin hop hug hum jog knit knot mop nod pat pin plan plod pop rob rot rub
    run scan scrub set ship shop shrug sip sit skip slam slip sob spin spot
    step stir stop swim tap tip trim trip tug wag wrap zip begin forget get
    hit let put shut cut win spit trot flit
    """.split()
)

IRREGULAR_PLURAL = _pairs(
    """
    man:men woman:women child:children person:people foot:feet tooth:teeth
    mouse:mice goose:geese sheep:sheep fish:fish deer:deer moose:moose
    salmon:salmon trout:trout knife:knives wife:wives life:lives leaf:leaves
    loaf:loaves shelf:shelves wolf:wolves calf:calves half:halves
    scarf:scarves thief:thieves hoof:hooves potato:potatoes tomato:tomatoes
    echo:echoes hero:heroes volcano:volcanoes ox:oxen
    fisherman:fishermen postman:postmen snowman:snowmen
    """
)

_VOWELS = "aeiou"


def plural(noun: str) -> str:
    """Plural of a (possibly multi-word) noun; only the last word changes."""
    head, sep, last = noun.rpartition(" ")
    if last in IRREGULAR_PLURAL:
        p = IRREGULAR_PLURAL[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2] not in _VOWELS:
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return head + sep + p


def past(verb: str) -> str:
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in _VOWELS:
        return verb[:-1] + "ied"
    if verb in DOUBLING:
        return verb + verb[-1] + "ed"
    return verb + "ed"


def third(verb: str) -> str:
    if verb == "have":
        return "has"
    if verb in ("go", "do", "echo"):
        return verb + "es"
    if verb.endswith(("s", "x", "z", "ch", "sh")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in _VOWELS:
        return verb[:-1] + "ies"
    return verb + "s"


def ing(verb: str) -> str:
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and verb != "be":
        return verb[:-1] + "ing"
    if verb in DOUBLING:
        return verb + verb[-1] + "ing"
    return verb + "ing"


_AN_EXCEPTIONS = ("uni", "use", "usu", "uti", "eu", "one", "once", "ure")
_AN_WORDS = frozenset(("hour", "hours", "honest", "honor", "heir"))


def article(phrase: str) -> str:
    word = phrase.split(" ", 1)[0].lower()
    if word in _AN_WORDS:
        return "an"
    if word[:1] in _VOWELS and not word.startswith(_AN_EXCEPTIONS):
        return "an"
    return "a"


def with_article(phrase: str) -> str:
    return article(phrase) + " " + phrase


_BE = {("=", "present"): "is", ("+", "present"): "are", ("*", "present"): "am",
       ("=", "past"): "was", ("+", "past"): "were", ("*", "past"): "was"}


def inflect(marker: str, verb: str, tense: str) -> str:
    if verb == "be":
        return _BE[(marker, tense)]
    if tense == "past":
        return past(verb)
    if marker == "=":
        return third(verb)
    return verb


_MARK = re.compile(r"([=+*])([a-z]+)")


def resolve(text: str, tense: str) -> str:
    """Replace every =verb / +verb / *verb marker by its inflected form."""
    return _MARK.sub(lambda m: inflect(m.group(1), m.group(2), tense), text)


def conj(phrase: str, form: str) -> str:
    """Inflect the first word of a verb phrase: base, third, past, ing, or a marker."""
    verb, sep, rest = phrase.partition(" ")
    if form == "base":
        out = verb
    elif form == "past":
        out = past(verb)
    elif form == "third":
        out = third(verb)
    elif form == "ing":
        out = ing(verb)
    else:  # "=" or "+": leave a marker for resolve()
        out = form + verb
    return out + sep + rest


def _t(text: str) -> tuple[str, ...]:
    """Whitespace separated words -> tuple, duplicates removed, order kept."""
    return tuple(dict.fromkeys(text.split()))


def _l(text: str) -> tuple[str, ...]:
    """One phrase per line -> tuple."""
    return tuple(dict.fromkeys(line.strip() for line in text.strip().splitlines() if line.strip()))


# ---------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------

MALE_NAMES = _t(
    """Tom Sam Ben Jack Leo Max Paul Peter Daniel David Michael James John Henry
    Oliver Harry George Thomas Adam Luke Mark Simon Joe Alex Oscar Hugo Felix
    Arthur Noah Owen Frank Walter Robert Edward Charlie Martin Victor Isaac"""
)
FEMALE_NAMES = _t(
    """Anna Emma Lucy Sarah Kate Mary Alice Clara Rose Grace Lily Ella Sophie
    Hannah Laura Julia Nina Eva Amy Jane Ruth Helen Maria Olivia Chloe Molly
    Ivy Iris Maya Zoe Ellen Martha Rachel Susan Beth Agnes Vera Nora"""
)

FAMILY = (("mother", "f"), ("father", "m"), ("sister", "f"), ("brother", "m"),
          ("grandmother", "f"), ("grandfather", "m"), ("aunt", "f"), ("uncle", "m"),
          ("cousin", None), ("friend", None), ("neighbor", None), ("best friend", None),
          ("son", "m"), ("daughter", "f"))

JOBS = {
    # job: (workplace, tasks in base form)
    "baker": ("in the bakery", _l("""
        bake bread before sunrise
        knead the dough on a wooden table
        sell warm rolls to the neighbors
        light the big oven
        sweep the flour from the floor
        decorate a cake for a wedding
        pull a tray of buns from the oven""")),
    "farmer": ("on the farm", _l("""
        feed the pigs and the chickens
        plow the field behind the barn
        milk the cows at dawn
        mend the fence by the road
        gather the eggs from the henhouse
        bring in the hay before the rain
        drive the tractor up the muddy lane""")),
    "teacher": ("at the school", _l("""
        read a story to the class
        mark a pile of homework
        write new words on the board
        help a student with a hard lesson
        open the windows of the classroom
        answer a great many questions
        take the children on a walk to the river""")),
    "doctor": ("at the clinic", _l("""
        listen to the heart of a patient
        visit sick people in the village
        wash {his} hands with great care
        check the temperature of a child
        write careful notes about each visit
        tell a worried family that all is well""")),
    "fisherman": ("at the harbor", _l("""
        mend the nets on the quay
        sail out before dawn
        bring the boat back to the harbor
        sell fish at the market
        watch the sky for storms
        pull in a net full of silver fish""")),
    "carpenter": ("in the workshop", _l("""
        build a new table
        cut long boards of pine
        sand the rough wood until it is smooth
        fix a broken chair
        measure the frame of a door
        carve a small wooden bird""")),
    "gardener": ("in the gardens of a large house", _l("""
        plant a row of roses
        water the vegetable beds
        pull weeds from the path
        trim the tall hedges
        rake the fallen leaves
        dig a new bed for the tulips""")),
    "shepherd": ("in the hills", _l("""
        lead the sheep to fresh grass
        count the lambs at sunset
        watch the hills for wolves
        call the dog with a sharp whistle
        carry a lost lamb back to the flock
        sleep in a stone hut under the stars""")),
    "tailor": ("in a small shop", _l("""
        sew a new coat
        measure a customer for a suit
        mend a torn sleeve
        choose buttons from a wooden box
        press the finished shirts
        cut cloth with long silver scissors""")),
    "potter": ("in the workshop", _l("""
        shape wet clay on the wheel
        paint blue flowers on the bowls
        fire the pots in the kiln
        sell jugs and cups at the market
        wedge the clay on a stone table""")),
    "blacksmith": ("at the forge", _l("""
        heat iron in the fire
        shape horseshoes on the anvil
        hammer the glowing metal
        sharpen axes and knives
        mend a broken gate""")),
    "sailor": ("on a fishing ship", _l("""
        raise the sails at first light
        tie strong knots in the ropes
        scrub the deck
        watch the waves from the mast
        steer the ship through the narrow channel""")),
    "cook": ("in the kitchen of an inn", _l("""
        chop onions and carrots
        stir a large pot of soup
        taste the sauce with a wooden spoon
        wash a stack of dishes
        roast a chicken for the guests
        bake a pie for the evening meal""")),
    "musician": ("in the concert hall", _l("""
        tune the violin
        practice scales for an hour
        play for the guests at a wedding
        write a new song
        rehearse with the band
        teach a young student to read music""")),
    "librarian": ("in the library", _l("""
        sort the returned books
        help readers find the books they need
        read stories to the children
        repair old books with glue and thread
        keep the reading room quiet""")),
    "painter": ("in a studio by the river", _l("""
        mix colors on a wooden board
        paint the hills at sunset
        sketch faces in the park
        clean the brushes in warm water
        hang new pictures on the wall""")),
    "nurse": ("at the hospital", _l("""
        care for the sick
        bring water to the patients
        change bandages
        comfort a frightened child
        check on the patients during the night""")),
    "beekeeper": ("in the orchard", _l("""
        check the hives
        collect honey in large jars
        move slowly and calmly among the bees
        watch the bees return from the flowers""")),
    "miller": ("at the mill", _l("""
        grind wheat into flour
        carry heavy sacks of grain
        listen to the great wheel turning
        sell flour to the baker""")),
    "postman": ("in the village", _l("""
        deliver letters and parcels
        walk the same route every morning
        greet the neighbors by name
        carry a heavy bag of mail""")),
    "shopkeeper": ("in a small shop", _l("""
        open the shop early
        stack the shelves with tins and jars
        count the money at the end of the day
        chat with customers about the weather
        sweep the front step""")),
    "builder": ("on a building site", _l("""
        lay bricks in neat rows
        mix cement in a large bucket
        climb tall ladders
        build a new house at the edge of town
        read the plans with great care""")),
    "weaver": ("in the workshop", _l("""
        weave cloth on a wooden loom
        dye the wool in deep colors
        spin thread by the window
        sell warm blankets at the market""")),
    "woodcutter": ("in the forest", _l("""
        chop wood for the winter
        stack logs beside the cottage
        sharpen the axe on a stone
        walk deep into the forest""")),
    "scientist": ("in a laboratory", _l("""
        study samples under a microscope
        write careful notes
        test a new idea
        measure the temperature of the water
        share the results with other scientists""")),
    "writer": ("in a quiet study", _l("""
        write a few pages every morning
        read old books for ideas
        walk by the river to think
        rewrite a chapter again and again""")),
    "innkeeper": ("at the inn", _l("""
        welcome tired travelers
        light a fire in the hall
        serve hot soup and bread
        make up the beds in the rooms upstairs""")),
}
JOB_NAMES = tuple(JOBS)
MALE_JOBS = ("fisherman", "postman")

PERSON_ADJ = _t(
    """kind old young tall quiet cheerful clever gentle patient brave shy friendly
    busy careful curious wise honest proud strong lively serious funny polite calm
    generous thoughtful cautious hardworking famous humble sensible modest"""
)
FEELINGS = _t(
    """happy sad tired calm nervous excited proud lonely curious worried grateful
    hopeful cheerful sleepy hungry thirsty glad relieved surprised puzzled
    restless peaceful content anxious brave afraid shy upset bored delighted
    thoughtful homesick joyful pleased eager safe free uneasy confident"""
)
HAIR = _l("""
    short gray hair
    long dark hair
    curly red hair
    straight brown hair
    fair hair tied back with a ribbon
    a wide straw hat
    bright blue eyes
    dark brown eyes
    a warm smile
    a loud laugh
    a soft voice
    strong rough hands
    a limp from an old injury
    freckles across {his} nose
""")
MALE_FEATURES = ("a neat gray beard", "a thick dark mustache", "a short brown beard")
FEMALE_FEATURES = ("long braids", "silver earrings", "a bright yellow headscarf")

COLORS = _t("red blue green yellow brown black white gray orange purple pink silver golden")

THINGS = _t(
    """basket bag box bottle bowl bucket candle cup jar jug key knife lamp
    mirror needle notebook pan pencil pen photograph pillow plate pot ribbon
    rope scarf shell spoon stone blanket book brush button coin comb
    envelope fork glove hammer hat kettle ladder lantern mug net parcel pebble
    picture purse rug sack saucer stick suitcase teapot tray towel umbrella vase
    wallet whistle feather flag ball kite doll puzzle radio camera watch ring
    necklace bracelet backpack stool cushion bell broom brick rake saw axe
    chisel tin cloth quilt apron clock compass telescope magnet crayon ruler
    spade sieve ladle pitcher tablecloth handkerchief diary postcard ticket
    newspaper package gift toolbox paintbrush spool thimble lid shovel"""
)
THING_ADJ = _t(
    """old new small large little tiny worn dusty clean shiny plain pretty
    strange useful favorite simple precious familiar borrowed"""
)
HEAVY_THINGS = _t("box bucket ladder sack suitcase basket stool rug quilt toolbox chair trunk crate barrel")
READABLES = _t("book letter note newspaper map poem story recipe postcard diary sign message list notice")
WRITABLES = _t("letter note postcard message poem story song")
OPENABLES = _t("door window box gate drawer jar cupboard suitcase envelope parcel bottle curtains shutters trunk")
GARMENTS = _t(
    """coat hat scarf jacket sweater shirt dress apron cap cloak belt raincoat
    boots shoes gloves mittens socks trousers sandals slippers"""
)
INSTRUMENTS = _t("piano violin guitar flute drum harp trumpet cello accordion harmonica organ clarinet")
PLANTS = _t("""roses tulips beans tomatoes carrots potatoes lettuce herbs flowers daisies
    sunflowers onions peas cabbages pumpkins""")
PICKABLES = _t("apples pears cherries berries plums strawberries flowers mushrooms beans peas raspberries blackberries")
RIDES = _t("bicycle horse pony")
CONTAINERS = _t("basket bowl bag box bucket jar sack tin crate")
SUBSTANCES = _t("water sand flour apples stones leaves soil seeds grain berries shells wool")
SPOTS_FOR_PUT = _l("""
    on the table
    on the shelf
    by the door
    under the bed
    in the drawer
    on the windowsill
    beside the fire
    in the cupboard
    on the kitchen table
    next to the lamp
    in a safe place
    on a hook by the door
""")

FRUIT = _t("apple pear plum peach cherry grape orange lemon banana melon strawberry raspberry apricot fig")
VEG = _t("carrot potato onion tomato cucumber cabbage pumpkin pepper bean pea radish turnip mushroom beet leek")
BAKED = _t("cake pie biscuit cookie bun muffin pancake roll tart")
MASS_FOOD = {
    "bread": ("loaf", "slice", "piece"),
    "cheese": ("piece", "slice"),
    "honey": ("jar", "spoonful"),
    "jam": ("jar", "spoonful"),
    "milk": ("glass", "jug", "bottle"),
    "tea": ("cup", "pot"),
    "coffee": ("cup", "pot"),
    "juice": ("glass", "jug"),
    "lemonade": ("glass", "jug"),
    "soup": ("bowl", "pot"),
    "stew": ("bowl", "pot"),
    "porridge": ("bowl",),
    "rice": ("bowl", "plate"),
    "pasta": ("bowl", "plate"),
    "butter": ("piece",),
    "cream": ("jug",),
    "water": ("glass", "jug"),
    "yogurt": ("bowl",),
    "salad": ("bowl", "plate"),
}
FOOD_TASTE = {
    "fruit": _t("sweet juicy ripe fresh sour crisp soft"),
    "veg": _t("fresh crisp young tender small large"),
    "baked": _t("warm soft fresh golden sweet crumbly"),
    "mass": _t("warm fresh hot cold thick rich sweet"),
}
MEALS = _t("breakfast lunch dinner supper")
DISHES = _l("""
    soup with carrots and onions
    a pie with apples from the orchard
    bread and cheese with a little butter
    porridge with honey
    rice with beans and peppers
    a stew of potatoes and leeks
    pancakes with jam
    eggs and toast
    fish with lemon and potatoes
    a salad of tomatoes and cucumbers
    roast chicken with carrots
    pasta with a simple tomato sauce
    warm bread and a bowl of soup
    a plate of sandwiches
    baked potatoes with cheese
    a pot of vegetable soup
    a cake with cream and strawberries
""")
TOPICS = _l("""
    the weather
    the harvest
    the old days
    their plans for the summer
    the new bridge
    a book they had both read
    the price of bread
    the garden
    a letter from the city
    the stars
    the news from the next village
    the coming winter
    their favorite songs
    the children
    a long journey
    the animals on the farm
    the sea
    what they wanted to learn next
""")

# Places. Each group: (prepositions of location, prepositions of movement, nouns, adjectives).
ROOM_GROUP = (("in",), ("into", "out of"),
              _t("kitchen bedroom attic cellar hallway study pantry parlor bathroom classroom workshop nursery"),
              _t("small warm cold dark bright quiet tidy narrow cozy little sunny empty old"))
BUILDING_GROUP = (("in", "near", "outside", "behind", "beside", "at"), ("to", "toward", "past", "into"),
                  _t("house cottage barn mill church school library bakery shop inn castle tower station "
                     "museum hospital theater farmhouse cabin hut chapel stable lighthouse cafe hotel"),
                  _t("old new small large tall empty busy quiet white red little crowded"))
OPEN_GROUP = (("in", "near", "at the edge of", "in the middle of"), ("across", "through", "toward"),
              _t("field meadow park square yard valley"),
              _t("green wide quiet empty sunny muddy peaceful little big open"))
AREA_GROUP = (("in", "near", "at the edge of", "beyond"), ("through", "into", "toward", "out of"),
              _t("forest wood orchard garden village town city"),
              _t("old quiet dark green little sleepy peaceful busy wild"))
LINEAR_GROUP = (("beside", "by", "near"), ("along", "down", "across"),
                _t("river road path street lane stream canal track railway"),
                _t("long narrow winding quiet old wide busy muddy"))
EDGE_GROUP = (("beside", "by", "near", "on"), ("along",),
              _t("shore coast beach wall fence hedge riverbank"),
              _t("long low old sandy stony quiet"))
HIGH_GROUP = (("on", "near", "at the top of", "at the foot of", "behind"), ("up", "over", "down"),
              _t("hill mountain cliff ridge slope"),
              _t("high steep green rocky grassy distant gentle"))
WATER_GROUP = (("by", "beside", "near", "on the far side of", "at the edge of"), ("toward", "along the edge of"),
               _t("lake pond sea harbor bay pool marsh"),
               _t("still calm deep cold quiet wide dark clear blue small"))
UNDER_GROUP = (("under", "beside", "near", "behind"), ("to", "toward", "past"),
               _t("tree bridge bench oak willow"),
               _t("old big tall little"))
BY_GROUP = (("by", "beside", "near"), ("to", "toward", "past"),
            _t("window door gate fire well fountain"),
            _t("old open big little"))
INDOOR_GROUP = (("under", "beside", "near"), ("to", "toward", "past"),
                _t("table stairs bed desk"),
                _t("old big little wooden"))
PLACE_GROUPS = (INDOOR_GROUP, ROOM_GROUP, BUILDING_GROUP, OPEN_GROUP, AREA_GROUP, LINEAR_GROUP, EDGE_GROUP,
                HIGH_GROUP, WATER_GROUP, UNDER_GROUP, BY_GROUP)
ROOMS = ROOM_GROUP[2]
BUILDINGS = BUILDING_GROUP[2]
OPEN_PLACES = OPEN_GROUP[2] + AREA_GROUP[2]
WATERS = WATER_GROUP[2]
FIELDS = _t("field meadow valley pasture orchard")
BIG_WATERS = _t("lake sea river bay harbor")
HIGH_PLACES = HIGH_GROUP[2]
SETTLEMENTS = _t("village town city")
DESTINATIONS = _l("""
    the city
    the coast
    the next village
    the mountains
    the market town
    a small town by the sea
    an old farm in the hills
    the lake
    the forest on the other side of the valley
    the capital
    the harbor
    the island
""")

# Animals: (noun, group, sound verb or "")
ANIMALS = (
    ("cow", "farm", "moo"), ("horse", "farm", "neigh"), ("sheep", "farm", "bleat"),
    ("goat", "farm", "bleat"), ("donkey", "farm", "bray"), ("pony", "farm", ""),
    ("pig", "farm", "grunt"), ("hen", "poultry", "cluck"), ("duck", "poultry", "quack"),
    ("goose", "poultry", "honk"), ("rooster", "poultry", "crow"),
    ("rabbit", "small", ""), ("mouse", "small", "squeak"), ("squirrel", "small", ""),
    ("hedgehog", "wild", ""), ("fox", "wild", "bark"), ("badger", "wild", ""),
    ("mole", "wild", ""), ("deer", "big", ""), ("wolf", "hunter", "howl"),
    ("bear", "hunter", "growl"), ("moose", "big", ""),
    ("owl", "raptor", "hoot"), ("crow", "bird", "caw"), ("robin", "bird", "sing"),
    ("sparrow", "bird", "chirp"), ("swan", "shore", ""), ("eagle", "raptor", "cry"),
    ("hawk", "raptor", "cry"), ("pigeon", "bird", "coo"), ("gull", "shore", "cry"),
    ("heron", "shore", ""), ("blackbird", "bird", "sing"), ("wren", "bird", "sing"),
    ("magpie", "bird", "chatter"), ("thrush", "bird", "sing"),
    ("frog", "water", "croak"), ("otter", "water", ""), ("beaver", "water", ""),
    ("seal", "water", ""), ("turtle", "water", ""), ("fish", "fishy", ""),
    ("salmon", "fishy", ""), ("trout", "fishy", ""), ("crab", "water", ""),
    ("whale", "sea", "sing"), ("dolphin", "sea", "whistle"),
    ("bee", "insect", "buzz"), ("butterfly", "insect", ""), ("ant", "insect", ""),
    ("spider", "insect", ""), ("snail", "insect", ""), ("beetle", "insect", ""),
    ("moth", "insect", ""), ("grasshopper", "insect", "chirp"),
    ("dragonfly", "insect", ""), ("caterpillar", "insect", ""), ("ladybug", "insect", ""),
    ("dog", "pet", "bark"), ("cat", "pet", "purr"), ("puppy", "pet", "bark"),
    ("kitten", "pet", "mew"),
)
ANIMAL_ADJ = _t("small brown gray young old little fat sleepy curious shy white black spotted quick")
ANIMAL_GROUPS = {
    # group: (homes, food, participle phrases in base form, abilities in base form)
    "farm": (_l("""
        in green pastures
        on farms
        in fields behind the farmhouse
        in warm barns during the winter"""),
        _l("""
        grass and hay
        grass, oats, and clover
        hay, apples, and carrots"""),
        _l("""
        graze in the {field}
        rest in the shade of {a_tree}
        stand by the gate
        walk slowly toward the barn
        drink from the trough
        lie in the sun"""),
        _l("""
        walk a long way in a day
        recognize the voice of the farmer
        find its way home""")),
    "poultry": (_l("""
        on farms
        in yards and gardens
        near ponds and rivers"""),
        _l("""
        grain, seeds, and worms
        corn, seeds, and small insects"""),
        _l("""
        peck at the ground by the {building}
        waddle across the yard
        scratch in the dust
        drink from a puddle
        rest in the shade of the barn"""),
        _l("""
        lay an egg almost every day
        find seeds hidden in the grass""")),
    "small": (_l("""
        in holes under the ground
        in woods and hedges
        at the edges of fields
        in gardens and parks"""),
        _l("""
        seeds, nuts, and tender plants
        grass, seeds, and roots"""),
        _l("""
        dig near the {tree}
        hide under a bush
        run across the {field}
        sniff the air at the edge of the {field}
        nibble on a leaf"""),
        _l("""
        hear the smallest sound
        hide very quickly
        dig deep tunnels
        move without making a sound""")),
    "wild": (_l("""
        in burrows under hedges
        in woods and at the edges of fields
        in quiet gardens and parks"""),
        _l("""
        insects, worms, and berries
        beetles, worms, and fallen fruit"""),
        _l("""
        dig near the {tree}
        hide under a bush
        trot along the {linear}
        sniff the ground at the edge of the {field}"""),
        _l("""
        hear the smallest sound
        find food in the dark
        dig deep tunnels""")),
    "hunter": (_l("""
        in deep forests
        in the mountains
        in wild valleys far from towns"""),
        _l("""
        whatever they can find or catch
        meat, fish, and berries"""),
        _l("""
        walk through the trees
        drink from a stream
        stand very still at the edge of the forest
        wander along the ridge"""),
        _l("""
        walk many miles in a day
        smell food from far away
        swim across wide rivers""")),
    "raptor": (_l("""
        in tall trees
        on high cliffs
        in old barns and hollow trees"""),
        _l("""
        mice, small birds, and fish
        mice, frogs, and beetles"""),
        _l("""
        circle high above the {high}
        sit on a branch of the {tree}
        glide over the {field}
        watch the {field} from a fence post"""),
        _l("""
        see a mouse from high in the sky
        fly without making a sound""")),
    "big": (_l("""
        in deep forests
        in the mountains
        in wild valleys far from towns"""),
        _l("""
        leaves, grass, and bark
        grass, twigs, and water plants"""),
        _l("""
        walk through the trees
        drink from a stream
        stand very still at the edge of the forest
        wander along the ridge"""),
        _l("""
        walk many miles in a day
        smell food from far away
        swim across wide rivers""")),
    "shore": (_l("""
        near lakes and rivers
        along the shore
        by the sea"""),
        _l("""
        fish, plants, and small creatures from the water"""),
        _l("""
        stand in the shallow water
        float on the {water}
        fly low over the water
        walk along the {edge}"""),
        _l("""
        fly a long way
        float on rough water""")),
    "bird": (_l("""
        in trees and hedges
        in gardens and woods
        in parks and fields"""),
        _l("""
        seeds and insects
        worms and berries
        small fish and insects"""),
        _l("""
        fly over the {field}
        sit on a branch of the {tree}
        hop along the {linear}
        perch on the roof of the {building}
        build a nest under the roof"""),
        _l("""
        fly a very long way
        build a nest from grass and twigs
        find its way home across the sea""")),
    "water": (_l("""
        in rivers and streams
        near ponds and lakes
        along the shore"""),
        _l("""
        fish, insects, and water plants
        worms, snails, and small fish"""),
        _l("""
        swim in the {water}
        sit on a stone by the {water}
        slide into the water
        rest on the bank of the river"""),
        _l("""
        hold its breath under water
        swim faster than you might think""")),
    "fishy": (_l("""
        in rivers and lakes
        in cold, clear streams
        in ponds and pools"""),
        _l("""
        insects, worms, and tiny plants"""),
        _l("""
        swim in the {water}
        rest in the shadow of a rock
        jump out of the water"""),
        _l("""
        swim against the current
        stay still in moving water""")),
    "sea": (_l("""
        in the open sea
        in cold northern waters"""),
        _l("""
        fish and tiny sea creatures"""),
        _l("""
        swim beside the boat
        leap out of the waves
        rise to the surface to breathe"""),
        _l("""
        dive very deep
        call to others across great distances""")),
    "insect": (_l("""
        in gardens and meadows
        under stones and fallen leaves
        among the flowers"""),
        _l("""
        nectar, leaves, and tiny insects
        leaves, seeds, and small plants"""),
        _l("""
        crawl along a leaf
        rest on a flower in the {field}
        climb up the wall of the {building}
        move slowly across the path"""),
        _l("""
        carry things much heavier than itself
        find flowers from far away""")),
    "pet": (_l("""
        in houses with the families who care for them
        in homes all over the world"""),
        _l("""
        food from a bowl
        meat, biscuits, and fresh water"""),
        _l("""
        sleep by the fire
        play in the {field}
        wait by the door
        chase a ball across the {field}
        curl up on a cushion"""),
        _l("""
        learn its own name
        hear a door open from across the house
        tell when someone is sad""")),
}

# Sound sources: (noun phrase, plural?, verb phrase in base form)
SOUND_SOURCES = (
    ("the bell", False, "ring"), ("the old clock", False, "tick"), ("the wind", False, "whistle"),
    ("the rain", False, "tap on the roof"), ("the river", False, "murmur"), ("the sea", False, "roar"),
    ("the thunder", False, "rumble"), ("an owl", False, "hoot"), ("a dog", False, "bark"),
    ("the door", False, "creak"), ("the kettle", False, "whistle"), ("the fire", False, "crackle"),
    ("the leaves", True, "rustle"), ("the bees", True, "hum"), ("the frogs", True, "croak"),
    ("a train", False, "rumble"), ("the church bells", True, "ring"), ("a cart", False, "rattle"),
    ("the crickets", True, "sing"), ("a cuckoo", False, "call"), ("the stream", False, "babble"),
    ("the waves", True, "crash"), ("the wind chimes", True, "chime"), ("a blackbird", False, "sing"),
    ("the gulls", True, "cry"), ("the floorboards", True, "creak"), ("the water", False, "drip"),
    ("a piano", False, "play"), ("the children", True, "laugh"), ("the rooster", False, "crow"),
)
SOUND_ADJ = _t("soft faint distant steady gentle loud sharp low familiar slow sudden")
LIGHT_SOURCES = {
    "sun": _t("golden warm bright pale early late"),
    "moon": _t("pale silver cold soft white"),
    "lamp": _t("warm soft dim yellow"),
    "candle": _t("warm soft dim flickering"),
    "fire": _t("warm red orange flickering"),
    "lantern": _t("yellow dim warm swinging"),
    "stars": _t("cold pale silver faint"),
    "streetlamps": _t("yellow orange dim"),
    "sunset": _t("golden red rosy orange"),
    "dawn": _t("gray pale rosy soft"),
}
LIGHT_SOURCE_NAMES = tuple(LIGHT_SOURCES)
LIGHT_ADJ = _t("soft pale golden warm silver cold bright dim gentle early late blue gray yellow rosy")
LIGHT_VERBS = _l("""
    fall across
    spread over
    touch
    shine on
    glow on
    flicker on
    move slowly across
    fade from
    rest on
""")
SURFACES = _l("""
    the floor
    the kitchen table
    the walls
    the garden
    the fields
    the water
    the roofs of the houses
    the hills
    the path
    the snow
    the pages of the book
    the old wooden floor
    the faces of the children
    the tops of the trees
    the wet stones
    the curtains
""")
SMELLS = _l("""
    fresh bread
    rain on warm stones
    pine trees
    wood smoke
    cut grass
    the sea
    old books
    coffee in the morning
    ripe apples
    soap and clean sheets
    roses after rain
    a fire in winter
    oranges
    wet earth
""")
MEMORY_EVENTS = _l("""
    the river froze
    the whole family went to the sea
    the old barn burned down
    the first snow fell
    a stranger came to the village
    the circus came to town
    the storm knocked down the great oak
    her brother learned to swim
    they planted the cherry tree
    the lights went out all over town
    the swallows came back
    the band played in the square
""")
SEASONS = _t("spring summer autumn winter")
SEASON_CLAUSES = {
    # Written with verb markers so they serve present and past tense.
    "spring": _l("""
        the days +grow longer and the air =grow soft
        the first flowers +open in the {open}
        birds +build nests in the {tree_pl}
        farmers +plant seeds in the fields
        a gentle rain =fall on the {open}
        lambs +play in the meadows
        buds +appear on every branch
        the snow =melt on the {high}
        the river =run high with melted snow
        the mornings +be cool and bright
        the swallows +return from the south"""),
    "summer": _l("""
        the sun =rise early and =set late
        children +swim in the {water}
        the fields +be full of tall grass
        bees +move from flower to flower
        people +eat outside in the long evenings
        the air =stay warm even at night
        the grass =turn dry and yellow
        storms +roll in from the hills
        fruit =ripen in the orchard
        the roads +be dry and dusty"""),
    "autumn": _l("""
        the leaves +turn red, gold, and brown
        apples +fall in the orchard
        the wind =blow leaves across the {open}
        the evenings +grow dark earlier
        farmers +bring in the harvest
        mist =lie over the fields in the morning
        geese +fly south in long lines
        squirrels +hide nuts for the winter
        people +light fires in their homes
        the air =smell of smoke and rain"""),
    "winter": _l("""
        snow =cover the roofs and the fields
        the pond =freeze
        the nights +be long and cold
        people +wear thick coats and scarves
        smoke =rise from every chimney
        the trees +stand bare against the gray sky
        children +build snowmen in the {open}
        frost =draw patterns on the windows
        the wind =howl around the house
        birds +search for seeds in the snow"""),
}

WEATHER = _l("""
    the sky over the {open} =be gray and heavy
    a {wind_adj} wind =blow from the {direction}
    the sun =shine on the wet roofs of the {settlement}
    a light rain =fall all {day_part}
    thick fog =hide the {high} and the {linear}
    the air {place_pp} =be warm and still
    snow =fall softly on the {open}
    {cloud_kind} +move quickly across the sky
    thunder =roll somewhere beyond the {high}
    the {day_part} =be {clear_adj} and clear
    a strong wind =shake the windows of the {building}
    the rain =stop just after {clock_time}
    a {wind_adj} wind =blow the leaves along the {linear}
    the first stars +appear above the {high}
""")
BAD_WEATHER = _l("""
    the sky over the {open} =be gray and heavy
    a {cold_wind} wind =blow from the {direction}
    a cold rain =begin to fall on the {open}
    thick fog =hide the {high} and the {linear}
    snow =fall softly on the {open}
    dark clouds +gather over the {high}
    thunder =roll somewhere beyond the {high}
    a strong wind =shake the windows of the {building}
    the {linear} =be deep in mud after {rain_kind}
""")
WEATHER_EVENTS = _l("""
    the rain =begin
    the sun =come out
    the church bells =ring
    the lamps =be lit in the street
    the first stars =appear
    a cold wind =rise
    {O} =arrive with the news
    the clock in the {clock_room} =strike the hour
""")
DIRECTIONS = _t("north south east west sea hills mountains")

TREES = ("oak", "willow", "birch", "pine", "apple tree", "elm", "beech", "maple", "chestnut", "cherry tree")
TREE_PLURAL = _t("oaks willows birches pines elms beeches maples chestnuts")

TIME_OPENERS = _l("""
    In the morning
    Early the next day
    After breakfast
    Later that afternoon
    That evening
    At dawn
    Before sunset
    Just after noon
    After the rain
    At the end of the day
    A little later
    After a while
    Before long
    In the afternoon
    Every morning
    Late that night
    On the way home
    The next morning
    Some time later
    At first
    Soon
    Then
""")
WEEKDAYS = _t("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
MONTHS = _t("January February March April May June July August September October November December")
DAY_PARTS = _t("morning afternoon evening night")
NUMBERS = _t("two three four five six seven eight nine ten twelve twenty several a\\_few many some")
NUMBERS = tuple(n.replace("\\_", " ") for n in NUMBERS)

WALK_ADVERBS = _t("slowly quickly quietly happily calmly briskly carefully")
SAY_VERBS = _t("say reply answer whisper call add explain agree")

# Activities for a person, in base form, with slots; the first word is the verb.
ACTS = _l("""
    carry {a_thing} {path_pp}
    pick up {a_thing} {place_pp}
    find {a_thing} {place_pp}
    put {the_thing} {put_spot}
    clean {the_thing} with a damp cloth
    mend {the_broken}
    wrap {a_thing} in brown paper
    look for {poss} {thing}
    lose {poss} {thing} {place_pp}
    open {the_openable}
    close {the_openable}
    read {a_readable} {room_pp}
    write {a_writable} to {poss} {relative}
    put on {poss} {garment}
    take off {poss} {garment}
    play {the_instrument} {room_pp}
    water the {plants} in the garden
    plant {plants} behind the house
    pick {pickables} in the orchard
    ride {poss} {ride} to the {building}
    cook {dish} for {meal}
    bake {a_baked} for {poss} {relative}
    eat {food_np} {place_pp}
    share {food_np} with {poss} {relative}
    buy {food_np} at the market
    visit {poss} {relative} {place_pp}
    meet {poss} {relative} {place_pp}
    call {poss} {relative} from the {building}
    thank {poss} {relative} for {a_thing}
    wave to {poss} {relative}
    talk with {poss} {relative} about {topic}
    tell {poss} {relative} about {topic}
    follow the {linear} to the {building}
    sing {a_song}
    hum {a_song}
    draw {a_picture}
    paint the {paintable} {color}
    sweep the floor of the {room}
    wash the dishes after {meal}
    make a cup of tea
    light {a_lightable}
    feed the {feedable}
    watch {animal_scene}
    listen to {sound_np}
    count the {things} in the {container}
    fold the clean sheets
    tidy the {room}
    dig a hole in the garden
    chop wood for the fire
    fill {a_container} with {substance}
    empty the {container}
    lift {the_heavy} onto the cart
    hang {the_thing} on a hook
    sort the old {things} into piles
    fix the {broken_big}
    borrow {a_thing} from {poss} {relative}
    give {a_thing} to {poss} {relative}
    take {a_thing} to the {building}
    look out of the window at the {open}
    learn a new song on the {instrument}
    practice the {instrument} for an hour
""")
BUSY_SKIP = ("thanking", "waving", "meeting", "visiting", "calling", "telling", "talking", "giving",
             "borrowing", "looking", "losing", "finding", "listening", "watching")
QUOTE_SKIP = ("look out", "count", "sort", "hang", "clean", "lose", "put on", "take off", "listen",
              "watch", "lift", "empty", "put ", "find", "look for", "pick up", "wave", "thank")
MOVES = _l("""
    walk {adv_opt}{route_pp}
    run {adv_opt}{route_pp}
    sit {place_pp}
    wait {place_pp}
    rest {place_pp}
    wander {adv_opt}{route_pp}
    climb {the_high}
    swim in the {water}
    go for a walk {route_pp}
    hurry {route_pp}
    stand {place_pp}
""")
BROKEN_BIG = _t("gate fence roof chair table door window cart wheel shelf clock step")
PAINTABLES = _t("fence door gate wall shed boat bench shutters")
LIGHTABLES = _t("candle lamp lantern fire stove")
SONGS = _l("""
    old song
    song about the sea
    lullaby
    quiet tune
    cheerful tune
    song her mother used to sing
    song from the radio
    hymn
    marching song
    song about the spring
""")
PICTURES = _l("""
    picture of the sea
    map of the village
    bird on a branch
    portrait of her grandmother
    picture of the house
    horse in a field
    boat in the harbor
    bowl of fruit
    view of the hills
""")
WAIT_TARGETS = _l("""
    the bread to rise
    the rain to stop
    the kettle to boil
    the seeds to grow
    the letter to arrive
    the fish to bite
    spring to come
    the paint to dry
    the bus to come
    the snow to melt
    the soup to cool
    the sun to come out
    the ferry to leave
""")
SKILLS = _l("""
    play the {instrument}
    swim
    ride a bicycle
    bake bread
    tie a strong knot
    read music
    sew a button
    speak a new language
    draw faces
    row a boat
    knit a scarf
    name the stars
    find the way by the sun
    plant a garden
""")
WONDERS = _l("""
    the stars
    a spider's web covered in dew
    the first snow of the year
    a rainbow over the {high}
    the ocean at night
    a field full of fireflies
    the way a seed becomes a tree
    a flock of birds turning together in the sky
    the patterns of frost on the window
    a storm moving across the valley
    the moon rising over the {water}
    the tiny shell of a snail
""")
DREAMS = _l("""
    a house by the sea
    flying over the {open}
    a long journey through the forest
    a door that opened onto a summer garden
    a river made of light
    a city full of bells
    an old friend who had moved away
    a boat drifting on a calm lake
    a staircase that went up into the clouds
    a garden where it was always spring
    a library with endless rooms
""")
IMAGINE = _l("""
    what the village looked like long ago
    a ship sailing to a distant island
    a castle on the top of the {high}
    how it would feel to fly
    the world from the eyes of a bird
    a city under the sea
    what the stars might say if they could speak
    a garden on the roof of the {building}
    a train that ran all the way to the sea
""")
ACTIVITIES_ING = _l("""
    walking by the sea
    listening to the rain
    reading before bed
    working in the garden
    baking bread
    playing music with friends
    sitting quietly by a river
    writing in a diary
    watching the clouds
    learning a new skill
    cooking for friends
    drawing what you see
    singing in a choir
    taking a slow walk after dinner
    looking at the stars
""")
CALM_ADJ = _t("calm rested peaceful happy clear relaxed content hopeful refreshed")
BENEFITS = _l("""
    rest the mind
    learn patience
    notice small things
    spend a quiet evening
    feel closer to the world
    forget the worries of the day
    slow down
    think more clearly
    feel less alone
""")
MECHANISMS = _l("""
    the old mill
    the clock in the tower
    a compass
    a bicycle
    the water pump
    a boat's sail
    the lighthouse lamp
    a piano
    the bridge over the river
    a kite
""")
PLURAL_THINGS_TO_NAME = _l("""
    birds in the forest
    flowers in the meadow
    stars in the winter sky
    trees along the river
    shells on the beach
    streets in the old town
    fish in the lake
    herbs in the garden
""")


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


class _Filler:
    """Mapping for str.format_map: every {slot} asks the generator for a fresh value.

    Within one sentence a slot avoids repeating a value it already gave
    ("peppers and peppers"), unless it has nothing else to offer.
    """

    __slots__ = ("g", "used")

    def __init__(self, g: "_Gen"):
        self.g = g
        self.used: dict[str, set] = {}

    def __getitem__(self, key: str) -> str:
        upper = key[0].isupper() and key not in self.g.slots
        if upper:
            key = key[0].lower() + key[1:]
        fn = self.g.slots.get(key)
        if fn is None:
            raise KeyError(key)
        seen = self.used.setdefault(key, set())
        for _ in range(4):
            text = fn()
            if text not in seen:
                break
        seen.add(text)
        return text[:1].upper() + text[1:] if upper else text


class _Gen:
    def __init__(self, rng: random.Random):
        self.r = rng
        self.c = rng.choice
        self.p = rng.random
        self.filler = _Filler(self)
        self.slots = {name[5:]: getattr(self, name) for name in dir(self) if name.startswith("slot_")}
        self.poss_word = "his"
        self.new_cast()

    # -- cast ---------------------------------------------------------------
    def new_cast(self) -> None:
        g = "m" if self.p() < 0.5 else "f"
        if self.p() < 0.72:
            self.name = self.c(MALE_NAMES if g == "m" else FEMALE_NAMES)
        else:
            role = self.c(("old man", "young man", "tall man") if g == "m"
                          else ("old woman", "young woman", "tall woman"))
            self.name = "the " + role
        self.is_role = not self.name[:1].isupper()
        self.job = self.c(JOB_NAMES)
        while g == "f" and self.job in MALE_JOBS:
            self.job = self.c(JOB_NAMES)
        self.gender = g
        self.he, self.him, self.his = ("he", "him", "his") if g == "m" else ("she", "her", "her")
        self.poss_word = self.his
        og = "m" if self.p() < 0.5 else "f"
        if self.p() < 0.5:
            names = MALE_NAMES if og == "m" else FEMALE_NAMES
            self.other = self.c(names)
            while self.other == self.name:
                self.other = self.c(names)
        else:
            rel, rg = self.c(FAMILY)
            og = rg or og
            self.other = self.his + " " + rel
        self.o_he = "he" if og == "m" else "she"
        self.o_his = "his" if og == "m" else "her"
        self.settlement = self.c(SETTLEMENTS)
        self.meal = self.c(MEALS)

    def fill(self, template: str) -> str:
        return template.format_map(self.filler)

    # -- helpers ------------------------------------------------------------
    def adj_np(self, noun: str, adjs, prob: float = 0.4) -> str:
        if self.p() < prob:
            return self.c(adjs) + " " + noun
        return noun

    def a(self, noun: str, adjs=THING_ADJ, prob: float = 0.4) -> str:
        return with_article(self.adj_np(noun, adjs, prob))

    def cap(self, s: str) -> str:
        return s[:1].upper() + s[1:]

    # -- slots: people ----------------------------------------------------
    def slot_C(self):
        return self.name

    def slot_O(self):
        return self.other

    def slot_he(self):
        return self.he

    def slot_him(self):
        return self.him

    def slot_his(self):
        return self.his

    def slot_poss(self):
        return self.poss_word

    def slot_she2(self):
        return self.o_he

    def slot_relative(self):
        return self.c(FAMILY)[0]

    def slot_job(self):
        return self.c(JOB_NAMES)

    def slot_feel(self):
        return self.c(FEELINGS)

    def slot_feature(self):
        f = self.c(HAIR + (MALE_FEATURES if self.gender == "m" else FEMALE_FEATURES))
        return f.replace("{his}", self.his)

    # -- slots: things ----------------------------------------------------
    def slot_thing(self):
        return self.c(THINGS)

    def slot_things(self):
        return plural(self.c(THINGS))

    def slot_a_thing(self):
        return self.a(self.c(THINGS))

    def slot_the_thing(self):
        return "the " + self.adj_np(self.c(THINGS), THING_ADJ)

    def slot_the_broken(self):
        return "the broken " + self.c(THINGS + BROKEN_BIG)

    def slot_broken_big(self):
        return self.c(BROKEN_BIG)

    def slot_the_heavy(self):
        return "the heavy " + self.c(HEAVY_THINGS)

    def slot_a_readable(self):
        return self.a(self.c(READABLES), ("long", "short", "old", "new", "strange", "funny", "sad"), 0.4)

    def slot_a_writable(self):
        return self.a(self.c(WRITABLES), ("long", "short", "cheerful", "careful"), 0.3)

    def slot_the_openable(self):
        return "the " + self.adj_np(self.c(OPENABLES), ("old", "heavy", "little", "wooden", "blue", "green"), 0.3)

    def slot_garment(self):
        return self.adj_np(self.c(GARMENTS), COLORS + ("old", "warm", "best", "new"), 0.4)

    def slot_instrument(self):
        return self.c(INSTRUMENTS)

    def slot_the_instrument(self):
        return "the " + self.adj_np(self.c(INSTRUMENTS), ("old", "new", "little"), 0.2)

    def slot_plants(self):
        return self.c(PLANTS)

    def slot_pickables(self):
        return self.c(PICKABLES)

    def slot_ride(self):
        return self.c(RIDES)

    def slot_container(self):
        return self.c(CONTAINERS)

    def slot_a_container(self):
        return self.a(self.c(CONTAINERS), ("big", "small", "old", "clean", "wooden"), 0.4)

    def slot_substance(self):
        return self.c(SUBSTANCES)

    def slot_put_spot(self):
        return self.c(SPOTS_FOR_PUT)

    def slot_color(self):
        return self.c(COLORS[:12])

    def slot_paintable(self):
        return self.c(PAINTABLES)

    def slot_a_lightable(self):
        return with_article(self.c(LIGHTABLES)) if self.p() < 0.5 else "the " + self.c(LIGHTABLES)

    def slot_a_song(self):
        return with_article(self.c(SONGS))

    def slot_a_picture(self):
        return with_article(self.c(PICTURES))

    # -- slots: food --------------------------------------------------------
    def slot_food_np(self):
        x = self.p()
        if x < 0.45:
            mass = self.c(tuple(MASS_FOOD))
            adj = self.c(FOOD_TASTE["mass"]) + " " if self.p() < 0.3 else ""
            y = self.p()
            if y < 0.6:
                return with_article(self.c(MASS_FOOD[mass])) + " of " + adj + mass
            if y < 0.8:
                return "some " + adj + mass
            return (adj + mass) if adj else "some " + mass
        kind = self.c(("fruit", "veg", "baked"))
        noun = self.c(FRUIT if kind == "fruit" else VEG if kind == "veg" else BAKED)
        adjs = FOOD_TASTE[kind]
        y = self.p()
        if y < 0.35:
            return self.a(noun, adjs, 0.4)
        if y < 0.7:
            return self.c(NUMBERS) + " " + self.adj_np(plural(noun), adjs, 0.3)
        container = with_article(self.c(("basket", "bowl", "bag", "box", "plate")))
        return container + " of " + self.adj_np(plural(noun), adjs, 0.3)

    def slot_a_baked(self):
        return self.a(self.c(BAKED + ("loaf of bread",)), FOOD_TASTE["baked"], 0.3)

    def slot_dish(self):
        return self.c(DISHES)

    def slot_meal(self):
        return self.meal

    def slot_fruit_pl(self):
        return plural(self.c(FRUIT))

    def slot_topic(self):
        return self.c(TOPICS)

    # -- slots: places ------------------------------------------------------
    def slot_place_pp(self):
        preps, _, nouns, adjs = self.c(PLACE_GROUPS)
        return self.c(preps) + " the " + self.adj_np(self.c(nouns), adjs, 0.35)

    def slot_path_pp(self):
        _, preps, nouns, adjs = self.c(PLACE_GROUPS)
        return self.c(preps) + " the " + self.adj_np(self.c(nouns), adjs, 0.35)

    def slot_adv_opt(self):
        return self.c(WALK_ADVERBS) + " " if self.p() < 0.3 else ""

    def slot_big_water(self):
        return self.c(BIG_WATERS)

    def slot_edge(self):
        return self.c(EDGE_GROUP[2])

    def slot_room_pp(self):
        return "in the " + self.adj_np(self.c(ROOMS), ROOM_GROUP[3], 0.3)

    def slot_room(self):
        return self.c(ROOMS)

    def slot_building(self):
        return self.c(BUILDINGS)

    def slot_a_building(self):
        return self.a(self.c(BUILDINGS), BUILDING_GROUP[3], 0.6)

    def slot_open(self):
        return self.c(OPEN_PLACES)

    def slot_water(self):
        return self.c(WATERS)

    def slot_high(self):
        return self.c(HIGH_PLACES)

    def slot_the_high(self):
        return "the " + self.adj_np(self.c(HIGH_PLACES), HIGH_GROUP[3], 0.4)

    def slot_linear(self):
        return self.c(LINEAR_GROUP[2])

    def slot_settlement(self):
        return self.settlement

    def slot_destination(self):
        return self.c(DESTINATIONS)

    def slot_a_tree(self):
        return with_article(self.c(TREES))

    def slot_tree(self):
        return self.c(TREES)

    def slot_tree_pl(self):
        return self.c(TREE_PLURAL)

    # -- slots: animals -----------------------------------------------------
    def _animal(self):
        return self.c(ANIMALS)

    def slot_animals(self):
        return plural(self._animal()[0])

    def slot_a_animal(self):
        return self.a(self._animal()[0], ANIMAL_ADJ, 0.5)

    def slot_animal_scene(self):
        noun, group, _ = self._animal()
        act = self.fill(self.c(ANIMAL_GROUPS[group][2]))
        if self.p() < 0.5:
            return self.a(noun, ANIMAL_ADJ, 0.5) + " " + conj(act, "ing")
        return self.c(NUMBERS[:8]) + " " + self.adj_np(plural(noun), ANIMAL_ADJ, 0.3) + " " + conj(act, "ing")

    # -- slots: senses ----------------------------------------------------
    def slot_sound_np(self):
        src, _pl, verb = self.c(SOUND_SOURCES)
        v = verb.split(" ", 1)[0]
        for art in ("an ", "a "):
            if src.startswith(art):
                src = "the " + src[len(art):]
        adj = self.c(SOUND_ADJ) + " " if self.p() < 0.5 else ""
        return "the " + adj + ing(v) + " of " + src

    def slot_light_np(self):
        src = self.c(LIGHT_SOURCE_NAMES)
        return "the " + self.c(LIGHT_SOURCES[src]) + " light of the " + src

    def slot_surface(self):
        return self.c(SURFACES)

    def slot_smell(self):
        return self.c(SMELLS)

    def slot_memory_np(self):
        x = self.p()
        if x < 0.3:
            return "the smell of " + self.c(SMELLS)
        if x < 0.5:
            return self.slot_sound_np()
        if x < 0.75:
            return "the day " + self.c(MEMORY_EVENTS)
        return "the " + self.c(SEASONS) + " when " + self.c(MEMORY_EVENTS)

    def slot_wonder(self):
        return self.fill(self.c(WONDERS))

    def slot_dream(self):
        return self.fill(self.c(DREAMS))

    def slot_imagine(self):
        return self.fill(self.c(IMAGINE))

    def slot_activity_ing(self):
        return self.c(ACTIVITIES_ING)

    def slot_calm(self):
        return self.c(CALM_ADJ)

    def slot_benefit(self):
        return self.c(BENEFITS)

    def slot_mechanism(self):
        return self.c(MECHANISMS)

    def slot_skill(self):
        return self.fill(self.c(SKILLS))

    def slot_wait_target(self):
        return self.c(WAIT_TARGETS)

    def slot_name_targets(self):
        return self.c(PLURAL_THINGS_TO_NAME)

    # -- slots: time, manner --------------------------------------------------
    def slot_season(self):
        return self.c(SEASONS)

    def slot_number(self):
        return self.c(NUMBERS[:9])

    def slot_time(self):
        x = self.p()
        if x < 0.6:
            return self.c(TIME_OPENERS)
        if x < 0.75:
            return "On " + self.c(WEEKDAYS) + " " + self.c(DAY_PARTS[:3])
        if x < 0.87:
            adj = self.c(("cold", "warm", "bright", "rainy", "quiet", "windy", "gray", "foggy"))
            return "One " + adj + " " + self.c(DAY_PARTS[:3])
        return "In " + self.c(MONTHS)

    # -- verb phrases -------------------------------------------------------
    def act(self, form: str, poss: str | None = None, busy: bool = False) -> str:
        """A filled activity phrase; form is base/past/ing or a marker."""
        saved = self.poss_word
        if poss is not None:
            self.poss_word = poss
        pool = ACTS if (busy or self.p() < 0.75) else MOVES
        text = self.fill(conj(self.c(pool), form))
        self.poss_word = saved
        return text

    def slot_act(self):  # singular subject, marker form
        return self.act("=")

    def slot_act_base(self):
        return self.act("base")

    def slot_weather(self):
        return self.fill(self.c(WEATHER))

    # -- sentence rendering -------------------------------------------------
    def sentence(self, template: str, tense: str) -> str:
        if template.startswith("!"):  # a general truth: always present tense
            template, tense = template[1:], "present"
        self.filler.used = {}
        s = resolve(self.fill(template), tense)
        return s[:1].upper() + s[1:]

    # -- quotes ---------------------------------------------------------------
    def quote_act(self, poss: str) -> str:
        while True:
            text = self.act("base", poss)
            if not text.startswith(QUOTE_SKIP):
                return text

    def quote_content(self) -> tuple[str, str]:
        """Returns (text without final punctuation, kind) where kind is . ? !"""
        x = self.p()
        if x < 0.18:
            return resolve("I " + self.act("+", "my"), "past"), "."
        if x < 0.30:
            when = self.c(("before dark", "tomorrow", "this afternoon", "soon", "after lunch", "before the rain comes"))
            return "We should " + self.quote_act("our") + " " + when, "."
        if x < 0.40:
            opener = self.c(("Can you help me", "Will you", "Could we", "Shall we", "Do you want to"))
            return opener + " " + self.quote_act("my" if opener.startswith(("Can", "Will")) else "our"), "?"
        if x < 0.48:
            return self.fill(self.c((
                "Have you seen my {thing}",
                "Where did you put the {thing}",
                "Would you like {food_np}",
                "Is it going to rain today",
                "What are you making",
                "Do you remember {memory_np}",
                "Why is the {building} so quiet today",
                "How long will it take to reach {destination}",
                "Did you hear {sound_np}",
            ))), "?"
        if x < 0.58:
            return self.fill(self.c((
                "Look at {animal_scene}",
                "What a {adj_day} day",
                "Come and see this",
                "Be careful on the {linear}",
                "Wait for me",
                "Listen to {sound_np}",
                "Hurry, the {building} will close soon",
            ))), "!"
        if x < 0.70:
            return self.fill(self.c((
                "I think it will {weather_verb} tonight",
                "The {building} is just past the {tree}",
                "I have never seen such {a_adj_thing}",
                "Thank you for {food_np}",
                "It is good to be home",
                "We can finish the rest tomorrow",
                "The {open} looks lovely in the {season}",
                "I used to {act_base} every {season}",
                "My {relative} taught me how to {skill}",
                "There is {food_np} in the {room}",
                "I will {act_base} later",
            ))), "."
        if x < 0.85:
            start = self.c(("Yes", "No", "Of course", "Not yet", "I think so", "Perhaps", "Not today", "Maybe later"))
            rest = self.fill(self.c((
                "but we must be home before dark",
                "and we can bring {food_np}",
                "the {thing} is in the {room}",
                "I will ask my {relative}",
                "let us wait until the rain stops",
                "the {open} is too muddy today",
                "I saw {a_animal} there this morning",
                "it is on the shelf by the {lightable}",
            )))
            if rest.startswith(("but ", "and ")):
                return start + ", " + rest, "."
            return start + ". " + rest[:1].upper() + rest[1:], "."
        return self.fill("{Weather_now}"), "."

    def slot_weather_verb(self):
        return self.c(("rain", "snow", "freeze", "clear up", "storm"))

    def slot_weather_now(self):
        return self.c((
            "the wind is getting stronger",
            "it looks like rain",
            "the sky is clearing at last",
            "the river is very high this year",
            "the snow will not last long",
            "the nights are getting colder",
            "the days are much longer now",
        ))

    def slot_adj_day(self):
        return self.c(("lovely", "beautiful", "strange", "long", "busy", "wonderful", "cold", "hot", "perfect"))

    def slot_a_adj_thing(self):
        return self.a(self.c(THINGS + INSTRUMENTS), ("beautiful", "strange", "old", "tiny", "lovely", "large"), 1.0)

    def slot_lightable(self):
        return self.c(LIGHTABLES)

    def dialogue_line(self, speaker: str, speaker_pron: str, tense: str, first: bool = False) -> str:
        self.filler.used = {}
        text, kind = self.quote_content()
        text = text[:1].upper() + text[1:]
        verb = "ask" if kind == "?" else self.c(SAY_VERBS)
        verb = past(verb) if tense == "past" else third(verb)
        who = speaker if (first or self.p() < 0.7) else speaker_pron
        x = self.p()
        if kind == "!" or x < 0.55:
            tail = "," if kind == "." else kind
            if who == speaker and not who.startswith(("the ", "his ", "her ")) and self.p() < 0.5:
                return '"' + text + tail + '" ' + verb + " " + who + "."
            return '"' + text + tail + '" ' + who + " " + verb + "."
        if kind == "." and x < 0.8 and " " in text:
            return self.cap(who) + " " + verb + ', "' + text + '."'
        return self.cap(who) + " " + verb + ', "' + text + kind + '"'


# ---------------------------------------------------------------------------
# Paragraph kinds
# ---------------------------------------------------------------------------
# A template starting with "!" states a general truth and is always rendered
# in the present tense.

STORY_OPENERS = _l("""
    {C} =live in a small {house_word} near the {linear}.
    {Time}, {C} =walk {adv_opt}{path_pp}.
    {C} =be {a_adj_job} who =live in the {settlement}.
    On {weekday}, {C} =wake early and =look out at the {open}.
    {C} =have a {small_home} at the edge of the {settlement}, not far from the {water}.
    {Time}, {C} and {O} +go to the {building} together.
    {C} =be {a_adj_person} with {feature}.
    Long ago, in a {settlement} by the {big_water}, there =live {a_adj_job}.
    {Time}, {C} =decide to {act_base}.
""")
STORY_MIDDLE = _l("""
    {He} {act}.
    {Time}, {he} {act}.
    Then {he} {act} and {act}.
    On the way, {he} =see {wild_scene}.
    {He} =stop for a moment to watch {animal_scene}.
    {He} =feel {feel} because {O} =be away.
    {Bad_weather}, so {he} =stay {room_pp}.
    {Bad_weather}, but {he} =go out anyway.
    When {he} =reach the {building}, {O} =be already there.
    {O} =be busy {act_ing_o}.
    {He} =find {a_thing} {place_pp} and =take it home.
    For a while {he} =sit {place_pp} and =think about {topic}.
    {He} =ask {O} how {mechanism} =work.
    {O} =show {him} how to {skill}.
    {He} could hear {sound_np} {far_pp}.
    {Light_np} {light_verb} {surface}.
    The {room} =smell of {smell}.
    {He} =be {feel_pos}, but {he} =be also a little {feel_low}.
    {C} =walk to the {shop_place} and =buy {food_np}.
    {He} =wait patiently for {wait_target}.
    The {water} =be {water_adj}, and {weather}.
    {He} =carry {a_thing} in one hand and {a_thing} in the other.
    Nobody =know where the {thing} =come from.
    Near the {building}, {he} =meet {a_person}.
    {O} =laugh and =shake {o_his} head.
    It =be {adj_day_time}, and the {busy_place} =be full of people.
""")
STORY_CLOSERS = _l("""
    That night, {he} =sleep well {room_pp}.
    When {he} =get home from the {building}, {he} =make a cup of tea and =sit by the {by_spot}.
    It =have been {a_adj_day} day.
    {He} =smile, =wave to {O}, and =close the door behind {him}.
    After that, {he} =visit the {building} every {season}.
    By evening, {he} =be tired but {feel}.
    {He} never =forget {memory_day}.
    The next morning, {he} =wake early and =decide to {act_base}.
    Before bed, {he} =write about {topic} in {his} diary.
    At last the {settlement} =be quiet, and the stars +come out over the {high}.
""")

PLACE_LINES = _l("""
    The {settlement} =lie at the foot of {a_hill}.
    In the middle of the {settlement} there =be {a_building} with {a_color} door.
    The streets +be narrow, and most of the houses +have {color} roofs.
    Near the {open} there =be a small market where people +buy {food_plural} and {mass_food}.
    {A_linear} =run past the {building} and down to the {water}.
    In the {day_part}, you can hear {sound_np} from almost every street.
    Many of the people here +work as {job_plural} or {job_plural}.
    Beyond the last houses, the {field_pl} +stretch away toward the {high}.
    The oldest building in the {settlement} =be the {old_building}, which =stand beside the {water}.
    On {weekday}, farmers +bring {food_plural} and {food_plural} to the square.
    The {building} =be always busy in the {season}.
    Children +play {outdoor_pp} until their parents +call them home.
    {Light_np} {light_verb} the old stones of the {building}.
    There +be {number} {adj_bridge} bridges over the {crossable}.
    Visitors from {origin} often +say that the {settlement} =feel {place_feel}.
    Every {season}, the {settlement} =hold a fair with music and dancing in the square.
""")

ANIMAL_LINES = (
    "{Animals} +live {home}.",
    "They +eat {food}.",
    "{A_animal_generic} can {ability}.",
    "In the {season}, {animals} are often seen {scene}.",
    "You may see {a_animal_generic} {scene} early in the morning.",
    "{A_animal_generic} =be {animal_trait} and {animal_trait}.",
    "People who +live near the {open} often +notice {animals} {scene}.",
)
ANIMAL_TRAITS = _t("quick clever careful shy patient strong gentle curious quiet busy alert calm")

WORK_LINES = _l("""
    Every morning, {he} =get up early to {task}.
    After that, {he} =have to {task}.
    {He} also =need to {task} and {task}.
    {Time}, {he} =stop to eat {food_np}.
    {O} sometimes =come by to help {him} {task}.
    The work =be {work_adj}, but {he} =like {work_like}.
    {He} =keep {his} {tool_pl} clean and =hang them {put_spot_pl}.
    By {end_time}, {his} {body_pl} +be tired, but {his} mind =be {calm}.
    {He} learned the work from {his} {elder} many years ago.
    People from all over the {settlement} +know the {job_cur}.
    On {weekday}, {he} =take a day off and =walk {route_pp}.
    When the {season} =come, there =be even more work {workplace}.
""")

JOURNEY_LINES = _l("""
    They +carry {travel_food} and {a_travel_thing} in a small bag.
    {Bad_weather}, so they +walk faster.
    The road =wind {route_pp} and then {route_pp}.
    They +ask {a_person} the way, and they +be told to follow the {linear} past the {building}.
    At noon they +stop {place_pp} to rest and eat.
    They +cross the {crossable} on {a_bridge}.
    Along the way they +see {wild_scene}.
    The journey =take longer than they +expect, because {delay}.
    By evening they +reach {an_inn} where they could sleep.
    The next day the road =climb up over the {high} and =drop into {a_valley_like}.
    From the top they could see {destination} far below.
    They +be tired, but they +be also {feel}.
""")
JOURNEY_START = "{C} and {O} +set out for {destination} {start_time}."
JOURNEY_END = "At last they +arrive, and {O} =say that it =be worth every step."

MEAL_LINES = _l("""
    {O} =bring {food_np} from the market.
    The whole house =smell of {smell}.
    They +sit at the {table_adj} table {meal_place} and +talk about {topic}.
    {He} =cut the {cuttable} into {slice_adj} slices and =pass them around.
    The {food_sing} =be {taste}, and everyone =want more.
    Nobody =speak for a while, because the {food_sing} =be so {good_adj}.
    For dessert, they +have {dessert}.
    They +finish {meal} just as {weather_event}.
    After the meal, {he} =wash the dishes while {O} =make tea.
    It =be a simple {meal}, but after {a_long_day} it =feel like a feast.
""")
MEAL_START = "For {meal}, {C} =make {dish}."

SEASON_LINES = (
    "In the {season}, {season_clause}.",
    "Every {season}, {season_clause}, and {season_clause}.",
    "When the {season} =come, {season_clause}.",
    "By the middle of the {season}, {season_clause}.",
    "{C} =love the {season}, because {season_clause}.",
    "Here in the {settlement}, {season_clause} in the {season}.",
)

FEELING_LINES = _l("""
    {C} =feel {feel} when {O} =arrive.
    Sometimes {he} =feel {feel} for no clear reason.
    {He} =be {feel_pos}, but {he} =be also a little {feel_low}.
    When {he} =be {feel_low}, {he} =like to {comfort_act}.
    {O} =notice that {he} =be quiet and =ask what =be wrong.
    {Time}, {he} =take a deep breath and =let it out slowly.
    Sitting {place_pp}, {he} =try to name the feeling, and it =become a little easier to carry.
    {He} =be {feel_pos} and {feel_low} at the same time.
    Talking with {O} always =make {him} feel {calm}.
    A kind word from {O} =change the whole day.
    By the evening, the feeling =pass, and {he} =feel {calm} again.
""")

# Reflection templates per demo theme: small scenes and general statements.
THEME_LINES = {
    "sound": _l("""
        Somewhere {place_pp}, {sound_clause}.
        {C} =lie awake and =listen to {sound_np}.
        {Sound_np} =fill the {room_adj} {room}.
        !Sound =travel through the air as a wave, and it =grow weaker as it =spread out.
        When {sound_src} {sound_verb}, the air around it =begin to move in small waves.
        In the evening, {sound_np} =seem louder than it =do in the day.
        !High sounds +fade quickly, while low sounds +carry much farther.
        From the {open}, {he} could hear {sound_np}.
        Every house =have its own sounds, like {sound_np} and {sound_np}.
        The {sound_adj} sound of {sound_src_bare} =reach {him} across the {water}.
    """),
    "light": _l("""
        {Light_np} {light_verb} {surface}.
        {C} =open the curtains and =let the morning light into the {room}.
        As the sun =sink, the shadows of the trees +grow long across the {open}.
        The {water} =shine like a mirror in the {light_adj} light.
        !Light =travel much faster than sound, so we +see lightning before we +hear thunder.
        A rainbow =appear over the {high} after {rain_kind}.
        In the winter the light =be {winter_light} and low, and the days +be short.
        {He} =read by the {warm_light} light of a candle.
        The windows of the {building} +glow in the dusk.
        Morning light =come slowly over the {high} and =touch {surface}.
    """),
    "memory": _l("""
        {C} =remember {memory_np}.
        Years later, {he} could still recall {memory_np}.
        Whenever {he} =smell {smell}, {he} =think of {his} {relative}.
        !Some memories +fade quickly, while others +stay with us for many years.
        {C} =keep {a_thing} that once belonged to {his} {relative}.
        !An old photograph can bring back {memory_np}.
        !Memory =be not a perfect record; it =change a little each time we +recall it.
        {He} =write {memo_things} in a notebook so that {he} =do not forget them.
        Looking at the {open}, {he} =remember {memory_np}.
        The {settlement} =look different now, but {he} =remember how it used to be.
    """),
    "quiet": _l("""
        The {room} =be quiet except for {sound_np}.
        For a long time, nobody in the {room} =say anything.
        In the silence, {he} could hear {sound_np}.
        The air =be still, and {weather}.
        Snow =cover the {open}, and the whole {settlement} =grow quiet.
        {C} =sit very still and =watch {animal_scene}.
        It =be so quiet {place_pp} that {he} could hear {his} own breathing.
        !Silence =be not empty; it =be full of small sounds.
        The {water} =be still, and the {high} =stand dark against the sky.
        After the storm, a deep stillness =settle over the {open}.
    """),
    "rhythm": _l("""
        {C} =tap a steady rhythm on the table with {his} fingers.
        The {instrument} and the {instrument2} +play together in harmony.
        The waves +break on the {beach_word} in a {rhythm_adj} rhythm.
        The {job} =work to the rhythm of an old song.
        Music =fill the {building}, and the people +begin to dance.
        The choir =sing {a_song} in harmony, and each voice =listen to the others.
        The wheels of the train +keep a steady beat as it =cross the {open}.
        {C} =practice the {instrument} every evening until the rhythm =feel easy.
        !A plucked string =vibrate quickly and =make a clear note.
        When {he} =sing in the {building}, the walls +seem to hum along.
        A low note from the {instrument} =make the {glass_thing} tremble.
        {C} =call out across the {water}, and {his} voice =echo back from the {high}.
    """),
    "breath": _l("""
        {C} =take a deep breath and =let it out slowly.
        {His} breath =make small clouds in the cold air {place_pp}.
        When {he} =feel {feel}, {he} =breathe slowly and =count to ten.
        The {animal_sleeper} =breathe softly in its sleep by the {by_spot}.
        !Slow breathing =help {breath_who} {breath_effect}.
        After the long climb up the {high}, {he} =stop to catch {his} breath.
        {He} =sit by the {by_spot} and =pay attention to each breath.
    """),
    "waves": _l("""
        All {day_part}, waves +roll onto the {beach_word} and +pull back again.
        The {boat} =rise and =fall on the {wave_adj} waves.
        A stone dropped in the {small_water} =send small waves in rings across the water.
        The wind =push the waves higher against the {edge} as the storm =come closer.
        {C} =stand on the shore and =watch the waves break into white foam.
        Far out at sea, the waves +be long and slow, but near the {edge} they +grow steep.
    """),
    "dreams": _l("""
        That night {C} =dream of {dream}.
        In {his} dream, {he} =see {dream}.
        When {he} =wake, the dream of {dream} =fade before {he} could hold on to it.
        {C} =write {his} dreams in a notebook by the bed.
        !Some dreams +feel so real that {dream_after}.
    """),
    "time": _l("""
        The hours +pass slowly {room_pp}.
        The old clock in the {clock_room} =strike the hour.
        After {O} =leave, days +turn into weeks, and weeks +turn into months.
        Time =seem to move more slowly {place_pp} in the {season}.
        {C} =lose track of time while {he} {act_ing_marker}.
        When {he} =look up, the sun =be already low over the {high}.
        Looking back, the years in the {settlement} +seem to have passed in a moment.
    """),
    "learning": _l("""
        {C} =learn the names of the {name_targets}.
        At first it =be hard to {skill}, but {he} =keep trying.
        Every day {he} =practice a little, and slowly {he} =learn to {skill}.
        {O} =teach {him} how to {skill}.
        {He} =write the new words in {his} notebook and =read them aloud to {O}.
        !Mistakes +be part of learning to {skill}, and each one =teach something new.
        {He} =ask {O} how {mechanism} =work, and {she2} =explain it with a drawing.
        !A good habit, like {habit_ing}, can change a whole life.
        It =take many weeks, but at last {he} could {skill}.
        {He} =walk {path_pp} every morning until it =become a habit.
    """),
    "patience": _l("""
        {C} =wait patiently for {wait_target}.
        !Patience =be a quiet kind of strength, as any {patient_person} can tell you.
        The {patient_person} =know that {slow_things} +take time.
        {He} =want to {act_base} right away, but {he} =remind {himself} to be patient.
        Waiting for {wait_target} =be easier when {he} =have something calm to do.
        Each season =teach the {job} to wait for {wait_target}.
    """),
    "wonder": _l("""
        {C} =look at {wonder} with wonder.
        The children +stare at {wonder} and +ask a hundred questions.
        {He} =be curious about everything, from {wonder} to {wonder}.
        Standing under the night sky {place_pp}, {he} =feel small and amazed.
        {C} =imagine {imagine}.
        Curiosity =lead {him} to ask how {mechanism} =work.
        !Even {ordinary_thing} can hold a moment of wonder.
        {He} =pick up {a_found_object} and =wonder how old it =be.
    """),
    "attention": _l("""
        {C} =pay close attention to {sound_np}.
        When {he} =listen carefully, {he} could hear {sound_np} {far_pp}.
        {He} =notice small things that other people +miss, like {small_notice}.
        {His} mind =wander for a moment, and then {he} =bring it back to the {focus_obj}.
        To focus, {he} =put away everything except {a_readable}.
        {C} =close {his} eyes and =listen.
        {O} =speak, and {C} =listen without interrupting.
        !A good listener =pay attention to {listen_target}.
    """),
    "general": _l("""
        !Many people +find that {activity_ing} =help them feel {calm}.
        !{Activity_ing} =be a good way to {benefit}.
        !It =take time to learn to {skill}, but every small step =help.
        !When you +look closely, even {a_small_place} =be full of life.
        !A kind word can change the mood of {a_whole_thing}.
        !Imagination =let us picture {imagine}.
        !Every language =have its own {lang_feature}.
        !Feelings +come and +go like weather over the {high}.
        !Curiosity can make {long_thing} feel short.
        !{Activity_ing} can teach us a great deal about {theme_word}.
    """),
}
THEME_WORDS = _t("patience attention listening rhythm memory silence wonder habit focus harmony time")


# ---------------------------------------------------------------------------
# Explanations, advice and small scenes about the demo themes
# ---------------------------------------------------------------------------
# Three pools per theme:
#   THEME_FACTS   explanations and general statements, always in the present
#   THEME_ADVICE  advice to the reader, in the second person, present tense
#   THEME_SCENES  small scenes and observations with the paragraph's cast; the
#                 verbs carry markers, so a scene reads in the past or present
# The word lists for their slots come first, sorted by part of speech.

# -- nouns and noun phrases --------------------------------------------------
RESONATORS = _l("""
    wine glass
    guitar string
    tuning fork
    bell
    drum
    empty bottle
    metal bowl
    organ pipe
    violin string
    glass jar
""")
VIBRATORS = _l("""
    a plucked string
    a struck bell
    the skin of a drum
    the wings of a bee
    a spoon dropped on a tiled floor
    the reed of a clarinet
    the cone of a loudspeaker
    a ruler pressed against the edge of a desk
    a stretched rubber band
""")
MATERIALS = _t("wood metal glass stone steel water brick rock ice")
ECHO_PLACES = _l("""
    empty halls
    deep wells
    caves
    canyons
    stone tunnels
    stairwells
    old churches
    narrow valleys
    empty swimming pools
""")
ECHO_ROOMS = _t("hall church stairwell tunnel cellar barn gym chapel corridor")
ECHO_OUTDOORS = _t("canyon valley lake quarry gorge")
SOFT_THINGS = _l("""
    carpets, curtains, and cushions
    heavy curtains and rugs
    shelves full of books
    soft chairs and thick carpets
    blankets hung over the walls
""")
NOISE_SOURCES = _l("""
    the traffic outside
    the fridge
    the radio in the kitchen
    the television next door
    a neighbor's dog
    the washing machine
    a lawn mower down the street
    the hammering from the building site
    the ticking of the kitchen clock
""")
EMOTIONS = _t("joy fear sadness anger surprise excitement happiness hope worry relief")
FEELING_MIX = _l("""
    sadness and relief
    joy and worry
    pride and sadness
    excitement and fear
    happiness and a little sorrow
""")
DISTRACTIONS = _l("""
    a phone that buzzes every few minutes
    a conversation in the next room
    a pile of unanswered messages
    a bright screen at the edge of the desk
    the noise of traffic
    a fly buzzing against the window
    a list of small worries
    an alert that pops up on a screen
""")
HARD_TASKS = _l("""
    a difficult letter
    a page of sums
    a chapter of a hard book
    a report for work
    a new piece of music
    a tricky puzzle
    a list of new words
    the accounts for the shop
""")
GOOD_HABITS = _l("""
    read a page before bed
    walk for ten minutes after dinner
    drink a glass of water in the morning
    stretch for five minutes when you wake up
    write three lines in a journal each night
    tidy your desk before you stop work
    practice an instrument for a few minutes a day
    put your phone away during meals
    go to bed at the same time each night
""")
HABITS_ING = _l("""
    brushing their teeth
    making the bed
    locking the door
    making coffee in the morning
    checking the phone
    tying their shoes
    switching off the lights
    washing their hands before meals
""")
SENSE_ORGANS = (("sight", "the eyes"), ("hearing", "the ears"), ("touch", "the skin"),
                ("taste", "the tongue"), ("smell", "the nose"))
SUBJECTS = _t("history music mathematics science geography chemistry art poetry physics biology")
LANGUAGES = _t("French Spanish Italian German Welsh Greek Japanese Portuguese Dutch Polish Russian")
WAITERS = _l("""
    a fisherman waiting for a bite
    a gardener waiting for the first shoots
    a baker waiting for the dough to rise
    a potter waiting for the kiln to cool
    a farmer waiting for rain
    a beekeeper waiting for the honey
""")
HEAVY_EMOTIONS = _t("sadness fear worry anger grief loneliness")
CURIOUS_THINGS = _l("""
    a puddle after rain
    a spider's web
    the inside of a seed
    the way bread rises
    the pattern of bark on a tree
    the shadow of a cloud
""")
WONDER_SIGHTS = _l("""
    a starry sky far from town
    a waterfall after heavy rain
    a huge old tree
    the sea in a storm
    a tiny insect under a magnifying glass
    the northern lights
    a mountain range at dawn
    a newborn lamb standing for the first time
""")
DREAM_THEMES = _l("""
    falling
    flying
    being late
    being chased
    losing something important
    finding new rooms in a familiar house
    arriving at school without shoes
""")
CALM_PLACES = _l("""
    a library
    an empty church
    a forest in the snow
    a garden at dawn
    a boat on a calm lake
    a hillside far from the road
    an empty beach in winter
""")
ROLES = _l("""
    a pilot flying over the mountains
    a doctor caring for a sick teddy bear
    a shopkeeper selling pebbles as coins
    a ship's captain in a storm
    an explorer in a jungle of garden weeds
    a baker making cakes out of mud
    a teacher with a class of toys
""")
INVENTIONS = _l("""
    the wheel
    the clock
    the telescope
    the printing press
    the compass
    the bicycle
    the radio
    the steam engine
""")
MELODY_INSTRUMENTS = tuple(i for i in INSTRUMENTS if i != "drum")
PROFESSIONS_PL = _t("dancers rowers swimmers singers runners drummers athletes")

# -- verbs (base form; the templates inflect them) ----------------------------
QUIET_ACTS = _l("""
    sit on the back step
    walk along the {linear}
    watch the {water}
    lie on the grass
    stand at the open window
    sit under the {tree}
""")

# -- adjectives ---------------------------------------------------------------
WONDER_ADJ = _t("vast beautiful strange magical enormous mysterious")
TASK_ADJ = _t("demanding difficult boring confusing complicated long tiring")

# -- adverbs ------------------------------------------------------------------
QUIET_ADV = _t("gently quietly softly slowly carefully")


THEME_FACTS = {
    "resonance": _l("""
        Every object has a natural frequency, a rate at which it tends to vibrate when it is struck or pushed.
        If you push a child on a swing at the right moment each time, every small push adds to the motion, and the swing goes higher.
        This is resonance: small pushes, well timed, build up a large movement.
        {A_resonator} rings most strongly at one pitch and much less at others.
        A trained singer who holds exactly the right note can make a thin wine glass ring, and in rare cases even crack it.
        The hollow body of a guitar is full of air, and that air resonates with the strings and makes their sound fuller and richer.
        Engineers study resonance carefully, because a bridge or a tall building that sways in time with the wind can be damaged.
        Some tall buildings carry heavy weights near the top, called dampers, which swing against the swaying and keep it small.
        In a clarinet, a thin reed vibrates against the mouthpiece; in a trumpet, the lips of the player do the same job.
        When two {resonator_pl} are tuned to the same note, striking one can make the other begin to sound on its own.
        The tube of a flute has a certain length, and the air inside it resonates at the notes that fit that length.
        A small push, repeated at the natural rate of a swing or a footbridge, can add up to a surprisingly large motion.
        A larger drum has a deeper voice, because its skin and the air inside it vibrate more slowly.
        The word resonance is also used for ideas: a story resonates with a reader when it matches something the reader already feels.
        Soldiers used to break step when they crossed a small bridge, so that their marching would not set it swaying.
        A bathroom is a good place to sing, because its hard walls reinforce some notes and make a voice sound richer.
        When the pushes come at the wrong moments, they work against the motion instead of adding to it.
        Resonance can be useful, as in musical instruments, or dangerous, as in a machine that shakes itself apart.
        A resonating string passes its energy to the body of the instrument, which spreads the sound into the room.
        Every structure, from a bridge to a wine glass, has frequencies at which it vibrates most easily.
        A sound that matches the natural frequency of an object can set it vibrating, even from across a room.
        The smaller the bottle, the higher the note you get by blowing across its mouth.
    """),
    "vibration": _l("""
        Sound begins with a vibration: {vibrator} moves quickly back and forth and pushes on the air around it.
        The moving air passes each push along to the air beside it, until the disturbance reaches your ear.
        Inside the ear, the eardrum vibrates in the same pattern, and three tiny bones carry the movement deeper in.
        The inner ear turns that movement into signals, and the brain hears them as voices, music, or noise.
        Sound needs a material to travel through, so in the empty space between the planets there is no sound at all.
        Sound moves through {material} much more quickly than it moves through air.
        A tight string vibrates faster than a loose one, so tightening a string raises its pitch.
        A short, thin string gives a higher note, and a long, heavy string gives a lower one.
        The number of vibrations in each second is called the frequency, and we hear it as pitch.
        Loudness depends on how strongly something vibrates, and a sound weakens as it spreads outward from its source.
        You can feel vibrations as well as hear them, for example by resting your hand on your own chest while you hum.
        Trains rumble, engines buzz, and during earthquakes the ground itself shakes; all of these are vibrations.
        When a bolt of lightning heats the air, the air expands so fast that it makes the crack and rumble of thunder.
        Deep tones travel farther and pass through walls more easily, which is why the bass of a neighbor's music is what you hear.
        The energy of a vibration is carried outward as a wave of pressure in the air.
        A wheel with more weight on one side of its center will shake the whole machine as it spins.
        A cat's purr is a gentle vibration that you can feel through your fingers when you stroke it.
        Some animals, like elephants, can sense vibrations in the ground through their feet.
        Most machines vibrate a little while they run, and a change in that vibration can be the first sign of a problem.
        A tuning fork vibrates at one steady frequency, so musicians use it to tune their instruments.
        Sound is made of tiny disturbances in the air, as particles crowd together and spread apart again.
        A thinner string vibrates faster and gives a higher pitch than a thicker one.
        Sound spreads out in all directions from its source, like ripples on a pond.
        Solid objects carry vibrations well, which is why, in old stories, people put an ear to the rails to hear a distant train.
        Sound travels slightly faster through heated air than through cooler air.
        A small sensor inside a phone can measure tiny vibrations and movements.
    """),
    "echo": _l("""
        An echo is sound thrown back by a wall, a cliff, or some other hard face, so that it returns to the listener a moment later.
        A clear echo needs a wall or cliff far enough away that the reflection arrives after the original sound has ended.
        Large spaces with hard walls, such as {echo_places} and {echo_places}, are good places to hear echoes.
        Soft materials like {soft_things} absorb sound instead of reflecting it, so a furnished room sounds quieter than an empty one.
        In a big stone church, many reflections blend into a long tail of sound called reverberation.
        Bats send out quick clicks and listen for the echoes, and the timing of each echo tells them how far away an insect is.
        Ships use the same idea to measure the depth of the sea beneath them.
        If you clap once in a long tunnel, the clap may come back several times, each echo quieter than the last.
        A hard, flat surface sends a sharp echo back, while a rough or soft one scatters it or swallows it.
        The farther away the reflecting wall is, the longer the delay before the echo returns.
        In a small room the reflections come back so quickly that they blend with the sound itself, and we hear no separate echo.
        Concert halls are shaped with great care, so that the reflections support the music instead of blurring it.
        Dolphins and some whales also find their way by listening to echoes under the water.
        The word echo is also used for anything that repeats or recalls something earlier, like an echo of an old tune in a new song.
        Sound bounces best off large, smooth, hard walls, and is absorbed by soft, uneven ones.
        In a forest, much of the sound is absorbed by leaves and soft ground, so voices do not carry far.
        A room with no echoes at all sounds strangely dead, because we are used to a few reflections.
        Sound that strikes a wall at an angle leaves it at the same angle, much as a ball does when you bounce it off a wall.
    """),
    "silence": _l("""
        Silence is rarely complete; it is more often the absence of the usual noises, such as traffic, voices, and machines.
        In a very quiet room, small sounds become noticeable: the tick of a clock, or the rush of blood in your own ears.
        Many people find that their bodies relax in quiet places, and their breathing becomes slower.
        Stillness is not the same as doing nothing, because a still mind can be very awake.
        On a windless morning the surface of a pond is perfectly still, and it reflects the trees like a mirror.
        A breeze breaks the reflection into ripples, and the picture on the water is lost.
        For wild animals, stillness can mean safety, since a rabbit that does not move is much harder for predators to spot.
        People are often drawn to {calm_place} because it offers a rest from the demands of a busy day.
        A few minutes without noise can help a tired mind recover after a long day of talk.
        Some people find silence uncomfortable at first and feel a need to fill it with words or music.
        In music, a rest between two notes can be as striking as the notes around it.
        A pause in a conversation may signal thought, agreement, shyness, or anger.
        Cities are rarely silent, and even at night there is a low hum of traffic and machines.
        After a heavy snowfall the world sounds different, because soft snow absorbs many small sounds.
        An idle moment, with nothing to do and nothing to hear, can be surprisingly restful.
        Constant noise is a source of stress, and people living near busy roads often sleep less deeply.
        Quiet places let the mind refresh itself, and some people seek them out on purpose.
        Silence can be awkward between strangers and comfortable between old friends.
        Even a quiet house has its disturbing noises, like a dripping tap or a dog barking nearby.
        Even a brief pause before speaking can make words kinder.
        People surrounded by constant noise often forget what real quiet sounds like.
        Loud places demand more effort from the brain than quiet ones.
        A heavy door blocks much of the sound from the next room.
    """),
    "memory": _l("""
        Memories are not stored in a single place; they are spread across many parts of the brain and linked together.
        Each time a memory is recalled, the brain rebuilds it, so the details can shift slightly over the years.
        A scent can bring back a childhood memory very suddenly, because smell is closely tied to memory and emotion.
        Events that carried strong feelings are usually easier to recall than ordinary ones.
        Sleep helps the brain sort the events of the day and keep the ones that matter.
        Facts are easier to remember when they are connected to something you already know.
        Reviewing new material a day later and again a week later helps far more than reading it many times in one evening.
        Forgetting is natural, since the brain cannot keep every detail and lets go of what it does not use.
        Two people can remember the same event quite differently, and both can be sure they are right.
        A memory that is never recalled slowly weakens, while one that is often replayed grows stronger.
        Memory is less like a recording and more like a story that is told again each time.
        Short-term memory holds only a few things at once, such as a phone number you have just heard.
        Older memories are sometimes clearer than newer ones, especially memories from the early years of adult life.
        Places, songs, and smells act as cues that can unlock memories we thought were lost.
        Writing something down helps memory twice: once while you write it, and again when you read it later.
        The exact words of a conversation fade quickly, but the meaning and the feeling usually remain.
        The brain does not play back a memory like a film; it puts it together from pieces each time.
        Memories can be strengthened by sleep and weakened by stress.
        A memory is easier to find when you return to the setting where it was formed.
        Everyone forgets, and it is normal to be unsure of small details from long ago.
        Memorable events are usually surprising, emotional, or connected to something that matters to us.
        Repeating a phone number keeps it in mind for a moment, but it slips away as soon as we stop.
        There are many reasons we forget, including stress, tiredness, and simply not paying attention in the first place.
        Long-term memory can hold a vast amount of information for a lifetime.
        During sleep, the brain replays some of the events of the day.
        Old memories are rebuilt so often that they may drift far from what really happened.
        A photograph captures a moment, but memory keeps its feeling.
        A memory can feel completely true and still be wrong in small ways.
    """),
    "attention": _l("""
        Attention is limited, and the mind can only focus fully on one demanding task at a time.
        Switching between tasks costs time and effort, even when each switch feels quick.
        {Distraction} pulls attention away again and again, and each interruption makes it harder to get back to work.
        Attention works a little like a spotlight: whatever it falls on becomes clear, and the rest fades into the background.
        When you are tired, hungry, or worried, it is much harder to concentrate.
        Most people can concentrate well for a while, and then the mind begins to drift.
        The brain notices sudden movements and loud noises first, which once helped our ancestors stay alive in dangerous places.
        A {task_adj} task is easier to begin when it is broken into small, clear steps.
        Focused work feels easier when the goal is clear and the task is broken into manageable pieces.
        Sounds, screens, and worries all compete for our attention.
        Paying attention is an active process, in which the mind chooses what to notice and what to ignore.
        Focus is not only about effort; rest, sleep, and food all help to restore it.
        A mind that drifts is not a failure, because noticing the drift is the first step in bringing attention back.
        Listening well is a form of attention, and people can tell when they are truly heard.
        Some tasks hold our attention easily, especially ones that are interesting and a little difficult.
        Deep concentration can feel calm and even joyful, as if the rest of the world has gone quiet.
        Constant alerts train the mind to crave new information, which makes long periods of focus harder.
        The mind grabs onto anything new, which is why a moving light or a sudden sound is so hard to ignore.
        Deadlines can sharpen focus, but too many of them lead to exhaustion.
        Ignoring distractions takes energy, so removing them is often easier than fighting them.
        A mind that focuses on one thing at a time usually makes fewer mistakes.
        Phones are designed to grab attention, and each small click or sound pulls us back to the screen.
        Attention to physical sensations, such as the feet on the floor, can bring a busy mind back to the present.
        When two people pay attention to the same thing together, they understand each other more easily.
        Working in a tidy room with few distractions makes it easier to settle into a task.
        Speech is particularly hard to ignore, because the brain tries to understand every word it hears.
        Staying focused is easier after a good night's sleep.
    """),
    "perception": _l("""
        Perception is the way the brain makes sense of the signals that arrive from the eyes, ears, skin, nose, and tongue.
        The eye works a little like a camera: its lens bends light and forms an image at the back of the eye.
        The brain does not simply record what the senses receive; it fills in gaps and makes guesses based on what it expects.
        Optical illusions trick us because the usual guesses of the brain do not fit the picture in front of us.
        Most of the time these guesses are accurate, and they let us see and hear very quickly.
        The tongue can taste sweet, salty, sour, and bitter, but much of what we call flavor actually comes from smell.
        Our senses constantly take in more information than we can notice, so the brain chooses what matters most.
        People from different cultures may describe the same colors and sounds in different ways.
        What we expect to see shapes what we do see, especially when the picture is unclear.
        A voice is easier to understand when you can also see the lips of the speaker.
        The skin can sense warmth, cold, pressure, and pain, each through its own kind of nerve ending.
        {Sense_pair}, but it is the brain that turns the raw signals into a meaningful experience.
        In the dark, the eyes slowly adjust, and after a while shapes appear that were invisible at first.
        The same gray square can look light on a dark background and dark on a light one.
        When one sense is weak, the others often become sharper to make up for it.
        Perception is shaped by experience, so a musician hears details in a song that other listeners miss.
        The brain predicts what it is about to see and hear, and it notices mainly the difference between what it expected and what came.
        An optical illusion is a picture that tricks the eye, such as two equal lines that look different in length.
        Our expectations and our culture both affect how we perceive colors, faces, and flavors.
        Some animals perceive the world very differently from us, seeing colors we cannot see or hearing sounds too high for our ears.
        When a sound enters one ear a moment before the other, the brain uses the gap to work out where the sound came from.
        The brain organizes basic sensations, like patches of color and edges, into objects and scenes.
        In a dimly lit garden the eye loses most of its color vision, so the flowers look gray at dusk.
        The brain receives millions of signals every second and ignores most of them.
        Both eyes have blind spots where the nerve leaves them, but the brain fills in the missing pieces.
    """),
    "consciousness": _l("""
        Consciousness is our awareness of the world, of our bodies, and of the thoughts passing through our heads.
        Philosophers and scientists still disagree about how consciousness arises from the activity of the brain.
        It is one of the deepest questions people have ever asked, and nobody knows the full answer yet.
        Many animals seem to be aware of their surroundings, and some, like crows and octopuses, are good at solving problems.
        During deep sleep, awareness of the outside world fades, though the mind is still active in dreams.
        Awareness can be trained, so that with practice you notice thoughts and feelings as they arise.
        Being mindful means paying attention to the present moment on purpose, without judgment.
        Some people wonder whether a machine could ever be conscious, and the question remains puzzling.
        Much of what the brain does happens without awareness, like keeping your balance or digesting a meal.
        A sense of self, the feeling of being one person who lasts through time, is part of human consciousness.
        Anesthesia switches consciousness off for a while, and patients wake with no memory of the time between.
        Awareness of other people, of what they know and feel, grows slowly through childhood.
        We are rarely aware of our own breathing until something draws our attention to it.
        Thoughts appear in awareness, stay for a while, and pass, much like clouds moving across the sky.
        Consciousness is probably not a simple switch; there are many states between deep sleep and full alertness.
        In deep sleep, awareness of the world is almost absent.
        We have direct knowledge only of our own consciousness, and we can only guess at what goes on in other minds.
        Nobody can be sure what another animal is experiencing, though many animals clearly feel pain and pleasure.
        Being conscious of what is happening around you, and of your own response to it, is the first step toward choosing how to act.
        Some philosophers argue that a mind like ours needs a body and a world to live in.
    """),
    "dreams": _l("""
        Most vivid dreams happen during the stage of sleep when the eyes move quickly beneath the lids.
        Dreams often mix real events from the day with strange images and feelings.
        Inside a dream, even odd logic seems convincing, and we rarely realize that we are dreaming.
        In a lucid dream, the dreamer knows that it is a dream and can sometimes change what happens.
        Lucid dreams are uncommon, but some people learn to have them more often.
        Dogs sometimes twitch their paws and make small noises in their sleep, which suggests that they dream too.
        Some scientists think dreams help the brain store memories and deal with emotions, but their purpose is still debated.
        Dreams often carry the themes of waking life, such as our hopes, our fears, and the challenges we face.
        Common dreams include {dream_theme} and {dream_theme}.
        Most dreams are forgotten within minutes of waking unless they are written down.
        A noise in the room, such as an alarm or a barking dog, can slip into a dream and become part of the story.
        People who wake slowly usually remember more of their dreams than people who jump out of bed.
        The word dream is also used for a hope or a wish for the future.
        Meanwhile, the body lies mostly still during vivid dreams, which keeps us from acting them out.
        Worrying during the day often leads to restless nights and anxious dreams.
        A dream can feel memorable in the morning and be gone completely by lunchtime.
    """),
    "habit": _l("""
        A habit is something we have repeated so often that it becomes almost automatic.
        Many habits follow a simple loop: a cue, a routine, and a reward.
        Most adults do things like {routine_ing} and {routine_ing} without thinking about them at all.
        Habits save mental effort, which leaves the mind free for harder tasks.
        Some habits are helpful and others are harmful, but both kinds are formed in the same way.
        It is usually easier to replace a bad habit with a better one than to erase it completely.
        A new habit often takes weeks of repetition before it feels natural.
        Missing a single day rarely matters, because what counts is the overall direction.
        Small daily actions add up over months and years.
        A habit is easier to keep when the cue is easy to see and the reward comes quickly.
        Habits are linked to places, so a change of surroundings can be a good time to start a new one.
        Each repetition strengthens the links between the cue and the action.
        A boring chore becomes lighter when it turns into a habit, because it no longer needs a decision.
        Habits can also work against us, for example when checking a phone becomes automatic.
        A good routine frees the mind, because fewer choices need to be made each day.
        Rewards help a new habit take root, especially small ones that come right away.
        A healthy habit, like a short walk, is easiest to keep when it fits neatly into the day.
        Slipping once is normal, but letting one missed day become two is how old habits return.
        A cue, such as a place or a time of day, triggers the habit almost before we notice.
        Changing an old habit is slow, and it helps to expect a few setbacks.
        After an illness, it can take weeks to rebuild a daily routine.
    """),
    "learning": _l("""
        Learning changes the brain, and each time you practice, the connections you use grow stronger.
        Mistakes are useful, because they show you what to adjust next time.
        Children learn a great deal by playing, asking questions, and copying the people around them.
        Adults can keep learning throughout their lives, even if it sometimes takes a little more effort.
        Knowledge lasts longer when you use it, explain it to someone else, or link it to what you already know.
        Progress is often slow at first and then suddenly seems to jump ahead.
        A good teacher guides the learner rather than giving every answer.
        Studying {subject} for a short time every day works better than studying it all at once before a test.
        Sleep after studying helps the brain keep what it has learned.
        Confusion is a normal part of learning, and it often comes just before understanding.
        Learners who believe they can improve usually do improve, because they keep trying when the work is hard.
        Spaced practice, with gaps of a day or more between sessions, builds memory far better than cramming.
        Testing yourself is one of the best ways to learn, because recalling an answer strengthens it.
        Learning a skill with the hands, like knitting or woodwork, follows the same slow path as learning facts.
        A brain that keeps learning stays flexible, and new hobbies and interests help to keep it that way.
        Gaining a new skill takes many repetitions, and each one improves it a little.
        Learners who connect new facts to their own experience usually remember them longer.
        It is possible to learn something new at any age, though the easiest way varies from person to person.
        Brains differ, so people learn best in different ways and at different speeds.
        Teaching others is one of the best ways to discover the gaps in what you know.
        Strengthening a weak skill is slow, but it is often the most rewarding kind of practice.
        A good guide shows learners where to look and then lets them find the way.
        An experienced teacher knows when to help and when to wait.
    """),
    "language": _l("""
        Every language has its own sounds, its own words, and its own rules for putting them together.
        Children learn their native language by listening, copying, and trying out phrases long before they can read.
        People speak thousands of different languages, and many have been passed down through countless generations.
        A second language is easier to learn when you hear it every day and are not afraid of making mistakes.
        Words can carry fine shades of meaning, and some languages have a word for a feeling that others lack.
        Speech is one of the things that make us human, and it is rooted in our need to share ideas with a group.
        The meaning of a word can change slowly over the years, so old books sometimes use familiar words in strange ways.
        When you begin a new language, being understood matters more than speaking correctly.
        People who speak {language} and people who speak {language} may describe the same day in very different ways.
        A phrase that sounds natural in one language can sound odd when it is turned word for word into another.
        Some languages are written with letters, others with signs that stand for whole words or syllables.
        Many words in English were borrowed from other languages, often so long ago that nobody notices.
        Learning the names of things changes how closely we look at them.
        A language is a system of sounds and signs shared by a group of people.
        Answering simple questions in a new language is a good way to practice without fearing mistakes.
        Related languages, like Spanish and Italian, share many words and sounds.
        Some words are hard to translate, because they capture an idea that belongs to one culture.
        The differences between two languages can teach you a lot about both.
        Small groups of speakers keep some rare languages alive.
        Babies copy the sounds around them long before they understand a word.
        The English spoken in one country can sound quite different from the English spoken in another.
        A term used by scientists often means something more exact than the same word in daily speech.
    """),
    "music": _l("""
        A melody is a sequence of notes, one after another, that the ear hears as a single line.
        Harmony is the pleasing sound of several notes heard at once.
        A chord is a group of three or more notes played at the same time.
        Some notes blend smoothly, while others clash and create tension.
        Composers often let a tense, clashing chord resolve into a calm one, and the listener feels a kind of relief.
        In a choir, singers listen to each other all the time, so that their voices blend into one sound.
        Music can stir strong emotions, and some people feel chills at a beautiful passage.
        A catchy melody is easy to remember, which is why some tunes stay in our heads for days.
        Music activates many areas of the brain at once, including those for {brain_part} and {brain_part}.
        Harmony also describes people who live or work together peacefully, in agreement.
        Sorrowful music can be comforting, because it gives a shape to sadness.
        Musical instruments make their sounds in many ways: strings are plucked or bowed, reeds vibrate, and drums are struck.
        The same melody played on {a_instrument} and on {a_instrument} sounds different, because each instrument adds its own mix of tones.
        Discord, the opposite of harmony, describes notes or people that do not fit together.
        Beneath a simple tune, a bass line often moves slowly and gives the music depth.
        Learning to play music takes patience, but it also trains memory, coordination, and listening.
        A melody usually moves in small steps, with a few leaps that make it memorable.
        Melodies from childhood can stay with us for a lifetime.
        Choirs are often grouped into high and low voices, each singing its own part.
        Blending many voices into one sound takes a team that listens as much as it sings.
        When a choir sings well, each voice blends into the rest.
        In harmony, each part is different, but the parts fit together into something larger.
        A note that clashes with the rest creates a feeling of conflict, and the music seems to ask for an answer.
        A scale is a series of notes going up or down in steps.
        Some pairs of notes sound pleasant and restful together, and others sound restless.
        Music has a strong effect on mood, which is why films use it to tell us what to feel.
        A good practice session includes some scales, some old pieces, and something new.
    """),
    "rhythm": _l("""
        Rhythm is a pattern of sounds and silences in time.
        The heart, the lungs, the tides, and the seasons all have their own rhythms.
        A steady beat helps {profession_pl} keep together and move as one group.
        In poems, stressed and unstressed syllables form a rhythm that you can tap along to.
        Most people naturally tap a foot or nod their head when they hear a strong beat.
        Rhythm helps us organize time into pieces that we can feel and predict.
        Athletes train to keep an even rhythm in their breathing and their steps.
        A daily rhythm of waking, eating, working, and resting helps the body know what comes next.
        The rhythm of a language, its pattern of long and short sounds, is one of the first things a baby learns.
        Rhythms in nature repeat in cycles, like the rise and fall of the tides or the turning of the seasons.
        When two people walk side by side, their steps often fall into the same rhythm without either of them deciding it.
        The pulse of a song is the beat that you would clap along to, even when the melody moves quickly.
        The heart keeps its own rhythm, beating faster during exercise and slower during rest.
        Breathing and heartbeat change their rhythm with the state of the mind.
        A regular schedule helps the body prepare for sleep, meals, and work at the right times.
        Many satisfying moments in music come when the rhythm stops for a beat and then returns.
        Rhythm is everywhere, from the click of a clock to the cycle of day and night.
        A waltz has three beats in every bar, and a march usually has two or four.
        A metronome ticks steadily, helping musicians keep time.
        Writing a song means fitting words to a melody so that the stresses fall on the beat.
        Rest is meant to be part of the rhythm of work, not a break from it.
    """),
    "breath": _l("""
        Each breath brings oxygen into the lungs, where it passes into the blood and is carried to every cell.
        Breathing out releases carbon dioxide, which the cells make as they use energy.
        Slow breathing calms the body: the heart slows, the muscles loosen, and the mind often follows.
        When people are stressed, breathing tends to become fast and shallow, high in the chest.
        Breathing too quickly for too long can make a person feel dizzy.
        The nose warms the air and makes it moist before it reaches the lungs.
        A yawn is a long, deep breath that often comes when we are tired or bored, and yawning seems to spread from one person to another.
        Breathing is automatic, but unlike the heartbeat it can also be controlled on purpose.
        Singers and swimmers learn to control their breath with great care.
        A long, slow breath out eases tension in the shoulders and the jaw.
        In cold weather, the moisture in a warm breath cools into a tiny cloud of droplets.
        An adult at rest takes a breath every few seconds, usually without noticing.
        Breathing through the nose tends to be slower and steadier than breathing through the mouth.
        Good posture lets the lungs fill more easily, while a bent back leaves less room for air.
        When breathing is strained, the muscles of the neck and shoulders do extra work.
        Slow breathing is one of the simplest ways to reduce stress, and it can be done anywhere.
        Releasing a long breath is like letting go of a little of the tiredness of the day.
        The flow of air in and out of the body never stops, even during sleep.
        Gentle stretching can ease a stiff neck after a long day at a desk.
    """),
    "time": _l("""
        People measured time long before clocks, using sundials, marked candles, and the phases of the moon.
        The way time feels depends on what you are doing, so an hour of fun passes quickly while a minute of waiting can seem long.
        When we are fully engaged in a task, we often lose track of time.
        Calendars follow the seasons and the journey of the earth around the sun.
        In physics, time passes at slightly different rates depending on speed and gravity, though the effects are tiny in everyday life.
        Thinkers have debated for centuries whether time truly flows or only seems to.
        Childhood summers seem longer in memory, perhaps because they were full of new and distinct experiences.
        A day full of new places feels long while it happens and short when you remember it.
        Time seems to slow down in moments of danger, when every detail is noticed.
        Clocks divide the day into hours, minutes, and seconds, but the body keeps its own time.
        The position of the sun in the sky was once the only clock most people had.
        Planning for the future and remembering the past are two ways the mind travels in time.
        Some thinkers see time as an ongoing flow, and others as a series of separate moments.
        The debate about what time really is has no clear answer yet.
        Spending time well does not mean filling every minute, because rest is also time well spent.
        Days are shorter in winter, because the sun stays above the horizon for fewer hours.
    """),
    "waves": _l("""
        Most sea waves are raised by the wind as it drags over open water.
        The water in a wave mostly moves up and down in small circles, while the wave itself travels forward.
        Near the shore, the bottom of the wave drags on the sand, the top tips forward, and the wave breaks.
        The highest point of a wave is called its peak, and the lowest point is called its trough.
        When two waves meet, they can add together into a bigger wave or cancel each other out.
        Light and sound also travel as waves, and they can interfere with each other in similar ways.
        Light sometimes behaves like a wave and sometimes like a stream of tiny packets of energy.
        Long, slow swells can cross a whole ocean after a distant storm.
        The distance from one peak to the next is called the wavelength.
        Waves on a pond spread out in rings from the place where a stone falls in.
        Strong waves slowly wear away cliffs and turn rocks into pebbles and sand.
        A wave moves energy across the sea, but the water itself stays more or less where it was.
        During a storm, waves crash against the rocks with great force.
        A long swell lifts a boat gently, while short, steep waves make it pitch and roll.
        The peaks of the waves grow taller as the wind grows stronger and blows for longer.
        Many of the biggest waves on a calm day are caused by storms far out at sea.
        The pull of the moon causes the tides, which rise and fall twice a day.
    """),
    "light": _l("""
        Light bends when it passes from air into water or glass, which is why a spoon in a glass of water looks broken.
        A rainbow appears when sunlight passes through raindrops, and each droplet bends the colors by slightly different amounts.
        The colors of a rainbow always appear in the same order, in bands from red on the outside to violet on the inside.
        The sky looks blue because the air scatters blue light more than red light.
        At sunset the light travels through more air, so much of the blue is scattered away and the reds and oranges remain.
        Moonlight is simply sunlight reflected from the surface of the moon.
        A lens bends light to form an image, in a camera, in a pair of glasses, and in the eye.
        White light contains all the colors of the rainbow, mixed together equally.
        Our eyes adjust slowly to darkness, and after a while we can see by the faint light of the stars.
        Light from distant stars has traveled for thousands of years before it reaches us.
        Total darkness is rare in towns, where streetlamps and windows glow all night.
        Daylight in winter is softer and lower, and it casts long shadows even at noon.
        A flash of lightning is seen before the thunder is heard, because light travels far faster than sound.
        Plants turn their leaves toward the light, and they use sunlight to make their food.
        Light allows us to see, but we only see objects because they scatter or reflect light into our eyes.
        Sunglasses block part of the light and reduce the glare on bright days.
        Red sunsets are most common when the air is full of dust or smoke.
        A prism splits white light into colors, in the same way that raindrops do.
        The moon seems to brighten as the sky grows dark, though its own light does not change.
        Stars seem to flicker more when they are low in the sky, where their light crosses more air.
        Clouds contain countless tiny droplets, which scatter all colors of light and so look white.
        Dust and water droplets in the air scatter light, so the beam of a torch can be seen in fog.
        The pupil of the eye grows wider in the dark to let in more light.
        Sunlight takes about eight minutes to cross space before reaching the earth.
        Water and glass bend light by different amounts, and so do different colors.
    """),
    "curiosity": _l("""
        Curiosity is the desire to know or understand something, and it drives much of what we learn.
        Young children ask why again and again, exploring the world one question at a time.
        Curiosity is a strong engine for learning, because we remember the things we wanted to know.
        A curious mind notices gaps in its own knowledge and wants to fill them.
        Curiosity can be risky, which is why a curious child also needs to learn about safety.
        Scientists turn curiosity into careful questions and then test them.
        Curious people often find surprises in ordinary things, such as {curious_thing}.
        Curiosity can fade when learning is forced or boring, and it returns when people are free to explore.
        Asking a good question is often more interesting than knowing the answer.
        Many discoveries began with someone who was curious about a small, odd detail.
        Curiosity leads people to discover new things, and it makes learning feel rewarding rather than forced.
        A curious person observes closely and is not afraid to admit not knowing.
        Curiosity gives people the courage to try something unfamiliar.
        Children are natural scientists, testing objects by shaking, dropping, and tasting them.
    """),
    "imagination": _l("""
        Imagination lets us picture things that do not exist, or that have not existed yet.
        Inventors, writers, and engineers all use imagination as a tool for solving problems.
        Before anyone built {invention}, someone had to imagine it.
        When children play pretend, taking roles such as {role}, they are using their imagination.
        Imaginative play builds language, planning, and the ability to see things from another person's point of view.
        Reading a story invites the reader to picture the characters and the places in the mind.
        Imagination and memory are closely linked, since picturing the future uses pieces of the past.
        A good story leaves room for the imagination, so that each reader sees the scene a little differently.
        Daydreaming may look idle, but it often helps people combine ideas in new ways.
        Imagination can also make fears larger, as anyone who has lain awake at night knows.
        Pretending helps children practice real situations, from a visit to the doctor to saying goodbye.
        Imagination allows people to solve problems before they have to face them.
        A good book can capture the imagination and invite the reader into another world.
        Imagination can be improved with practice, like any other ability.
        Stories help people imagine how a situation might look from someone else's point of view.
    """),
    "wonder": _l("""
        Wonder is the feeling of awe in front of something vast, beautiful, or unexpected.
        {Wonder_sight} can fill people with wonder, however many times they have seen it.
        A starry sky is humbling when you remember that each star is a distant sun.
        Many of the stars we see are far larger than our own sun, and some may have planets of their own.
        The universe is so vast that its size is hard to imagine.
        Moments of wonder can leave people calmer, kinder, and more patient.
        Stars twinkle because their light passes through layers of moving air.
        Planets twinkle much less, and they shine with a steadier light.
        Children feel wonder easily, and adults can feel it too when they slow down and look closely.
        Wonder often begins with a question, and a good answer can lead to even more wonder.
        The tiny insect on a leaf is, in its own way, as magical as the stars.
        To a small child, even a back garden can seem {wonder_adj}.
        Wonder can make ordinary problems feel smaller, at least for a while.
        Beauty in nature, from a sunset to a snowflake, is one of the most common sources of wonder.
        Slowing down and looking closely is often all it takes to find something surprising.
        Some of the most beautiful sights are also the simplest.
        Wonder does not need special places; it can be found in a kitchen or a back yard.
    """),
    "emotion": _l("""
        Emotions are reactions of the body and mind to events that matter to us.
        Joy, fear, sadness, anger, and surprise are found in people all over the world.
        Fear prepares the body for danger: the heart races, the muscles tighten, and the senses sharpen.
        Emotions often show on the face before we can put them into words.
        Naming an emotion can make it easier to handle.
        Feelings are not good or bad in themselves; they are signals about what we care about.
        Sometimes emotions are mixed, like the blend of {feeling_mix} at a farewell.
        Emotions pass more quickly when we notice them instead of fighting them.
        Music, stories, and memories can all trigger strong emotions.
        Strong emotions can affect sleep, hunger, and concentration.
        {Heavy_emotion} is easier to carry when it is shared with someone we trust.
        Laughter spreads from person to person, and so do yawns and frowns.
        The same event can bring {emotion} to one person and {emotion} to another.
        A sudden emotion can make the heart beat faster and the face grow warm.
        Emotions are part of our social life, helping people understand and respond to each other.
        Some emotions, like excitement and fear, feel very similar in the body.
        Emotions are related to chemicals in the brain and body, which rise and fall as a situation changes.
        A quick reaction is not always the best response, and a pause can change the result.
        Many healthy relationships depend on people understanding the emotions of others.
        Reacting in anger can make a problem worse, while naming the anger gives you a moment to choose.
        At big moments, like a wedding or a move, emotions can race one after another.
        Tears can release tension, and people often feel calmer after crying.
        Fear is useful when it warns us of real danger, but it can also block us from trying new things.
        People are more likely to snap at others when they are hungry or tired.
        Having someone to talk to makes hard times easier.
        It helps to be as kind to ourselves as we would be to a friend.
        Our responses to the same event can be very different.
    """),
    "patience": _l("""
        Patience is the ability to wait calmly, without feeling rushed or irritated.
        Patience is not passive; it often means continuing to work while trusting that results will come.
        Growing anything, from a garden to a friendship, takes time that cannot be hurried.
        Impatience makes people give up too early, sometimes just before their effort would have paid off.
        Instant results are rare, and most worthwhile things come slowly, in stages.
        Patience with other people means accepting that they learn and change at their own pace.
        Patience with yourself matters too, especially when you struggle with something new.
        {A_waiter} knows that patience is part of the work.
        Waiting is easier when we understand why it takes so long.
        Patient people are not free of frustration; they simply do not let it decide what they do.
        Patience grows with practice, like a muscle that is used a little every day.
        Patience helps people pursue long goals, such as learning a language or building a house.
        Knowing your own strengths and weaknesses makes it easier to be patient with yourself.
        Many people grow wiser and more patient as they get older.
        Stopping to rest is not the same as giving up; it can be the patient choice.
        A patient approach often works better than a hurried one.
    """),
    "listening": _l("""
        Listening is more than hearing; it means paying attention to what another person is trying to say.
        A good listener waits until the speaker has finished instead of planning a reply.
        People feel respected when they are truly heard, and they often speak more openly.
        Listening to the tone of a voice can tell you as much as the words themselves.
        Asking a short question shows that you have been listening and want to understand.
        In a noisy room, the brain can pick out one voice and push the rest into the background.
        Musicians listen closely to each other, adjusting their playing as they go.
        Listening to nature, to birds, wind, or rain, can calm a busy mind.
        Good listeners avoid giving advice too quickly.
        Listening is especially important when someone is upset, because they first need to feel heard.
        A lot of listening happens with the eyes, by watching the face of the speaker.
        Active listening means staying with the speaker, nodding, and asking short questions.
        Listening well builds a connection between people.
    """),
}

THEME_ADVICE = {
    "resonance": _l("""
        Try running a wet finger slowly around the rim of a thin glass, and listen for the note it makes.
        Hum in a tiled bathroom and slide your voice up and down until one note seems to fill the whole room.
        Push a swing only when it reaches you, and notice how little effort it takes to keep it going.
    """),
    "vibration": _l("""
        Rest your fingers on your throat while you speak, and you will feel your voice vibrating.
        Stretch a rubber band between your fingers and pluck it, then stretch it tighter and pluck it again.
        Put your ear against a table while a friend taps the far end, and notice how clearly the sound travels through the wood.
    """),
    "echo": _l("""
        Next time you stand in an empty hall, clap once and listen to how long the sound lingers.
        If a room is too echoey, add rugs, curtains, or shelves of books to soften it.
        Shout your name toward a distant cliff on a still day, and count the seconds before it comes back.
    """),
    "silence": _l("""
        Try to spend a few minutes each day without screens, music, or talk.
        If silence feels strange at first, start with a single minute and add a little more each week.
        Let a pause sit in a conversation instead of rushing to fill it.
        Turn off the radio on your next journey and listen to the road instead.
        Find a quiet corner of your home and make it a place for rest rather than work.
    """),
    "memory": _l("""
        To remember a new name, say it aloud and link it to something about the person.
        Write things down, because a short note in a journal can save a memory that would otherwise fade.
        Test yourself instead of simply rereading your notes.
        Study in short sessions spread over several days rather than in one long night.
        Before you sleep, go over the most important things you learned that day.
    """),
    "attention": _l("""
        Put your phone in another room while you work, and switch off the alerts.
        Choose one task, set a timer, and work on nothing else until it rings.
        When your mind drifts, notice where it went and gently bring it back.
        Take short breaks to rest your eyes and stretch your muscles.
        Keep a sheet of paper beside you and write down distracting thoughts so that you can return to them later.
        Do the most demanding work at the time of day when you feel most awake.
        Remove one small distraction from your desk today, and see whether it helps.
        Try not to reach for your phone as soon as you wake.
        Block out an hour with no meetings and no messages for your most demanding work.
        Pay attention to the time of day when you feel most awake.
    """),
    "perception": _l("""
        Close your eyes for a minute and count how many different sounds you can hear.
        Taste your food slowly, and try to name each flavor as it appears.
        Look at a familiar room as if you were seeing it for the first time.
        Hold a pencil in front of one eye, then the other, and watch it jump from side to side.
        Observe one tree each day for a week, and notice how the light changes it.
    """),
    "consciousness": _l("""
        Pause for a moment and notice what you can see, hear, and feel right now.
        When a strong feeling arises, name it quietly to yourself instead of acting on it at once.
        Sit still for five minutes and simply watch your thoughts come and go.
        Notice the weight of your body on the chair and the feeling of your feet on the floor.
    """),
    "dreams": _l("""
        Keep a notebook by your bed and write down your dreams as soon as you wake.
        Lie still for a moment after waking, because moving too quickly often chases a dream away.
        If the same dream keeps returning, ask yourself what worry it might be about.
    """),
    "habit": _l("""
        Link a new habit to something you already do, such as reading a page right after breakfast.
        Start small, because two minutes of exercise is far easier to repeat than an hour.
        If you slip, simply start again the next day instead of giving up.
        Keep the cue where you can see it, for example by leaving your shoes by the door if you want to walk each morning.
        Make a bad habit harder by putting the thing that tempts you out of reach.
        Try to {good_habit}, and keep it up for a month before you judge it.
        Reward yourself with something small each time you finish a new routine.
    """),
    "learning": _l("""
        Explain a new idea in your own words, as if you were telling a friend.
        Do not aim for perfection; aim for steady progress.
        Ask questions whenever something is confusing, because others are often wondering the same thing.
        Practice the hardest part first, while your mind is fresh.
        Review what you learned yesterday before you start something new today.
        Spend a little time each day on your weakest subject, not only on your strongest.
        Give yourself the chance to make mistakes when you learn something new.
    """),
    "language": _l("""
        Listen to native speakers and repeat short phrases aloud, copying the rhythm as well as the words.
        Join a group where people speak the language you are learning.
        Do not fear mistakes, because each one shows you what to practice next.
        Learn whole phrases instead of single words, so that you know how the words are used.
        Read simple stories in {language} before you try the newspapers.
        Use new words often, because using them is the best way to strengthen them.
    """),
    "music": _l("""
        Listen to a piece of music twice, once for the melody and once for what lies underneath it.
        Sing along quietly with a choir recording and try to find the harmony instead of the tune.
        Play a chord slowly, one note at a time, and listen to how the notes blend.
    """),
    "rhythm": _l("""
        Clap along to a song and try to keep the beat steady even when the melody changes.
        Give your day a simple rhythm, with regular times for meals, work, and sleep.
        Walk to the beat of a song in your head and notice how your breathing follows.
    """),
    "breath": _l("""
        Breathe in through your nose for a count of four, and out through your mouth for a count of six.
        Let your shoulders drop and your belly rise as you breathe in.
        If you feel tense, take three slow breaths before you respond.
        Stand up, stretch, and take one deep breath whenever you have been sitting for a long time.
        If you feel dizzy, slow your breathing and sit down until it passes.
        Try to match your breathing to a slow count, in for four and out for six.
    """),
    "time": _l("""
        Plan your day around the hours when you have the most energy.
        Put aside a little time each week for something you do just for fun.
        When time seems to rush past, slow down and notice one ordinary moment in detail.
        Keep a simple schedule, but leave some gaps in it for rest and surprises.
    """),
    "waves": _l("""
        Drop two pebbles into a still pond at the same time and watch where their rings meet.
        Sit on a beach and count the seconds between the waves as they break.
    """),
    "light": _l("""
        Stand with your back to the sun after a shower of rain, and look for a rainbow in front of you.
        Put a pencil in a glass of water and look at it from the side to see how the light bends.
        On a clear night, give your eyes twenty minutes to adjust to the darkness before you look for faint stars.
    """),
    "curiosity": _l("""
        Ask one question every day about something you usually take for granted.
        When a child asks why, try exploring the answer together instead of giving it at once.
        Follow a small interest for a week and see where it leads.
    """),
    "imagination": _l("""
        Spend ten minutes picturing a place you have never been, in as much detail as you can.
        Give children simple things to play with, like boxes and blankets, and let them invent the rest.
        Write a short story that begins with an ordinary object and ends somewhere unexpected.
    """),
    "wonder": _l("""
        Look up at the night sky for a few minutes, far from the lights of town.
        Take a slow walk and try to find one thing that surprises you.
        Watch {wonder_sight} and let yourself forget the time.
    """),
    "emotion": _l("""
        When anger rises, pause and take a breath before you reply.
        Talk with someone you trust when a feeling is too heavy to carry alone.
        Notice where you feel an emotion in your body, such as tight shoulders or a racing heart.
        Write about a difficult day, because putting feelings into words often makes them smaller.
        Be kind to yourself when you feel {feel_low}, as you would be kind to a friend.
        Avoid making big choices when you are very angry or very tired.
    """),
    "patience": _l("""
        When you feel rushed, remind yourself that the time spent waiting is not wasted.
        Break a long task into steps, and notice each small step you finish.
        Count slowly to ten before you answer someone who is irritating you.
        Choose one slow thing to enjoy each day, such as tea that takes time to brew.
        Set small goals on the way to a big one, so that you can see your progress.
    """),
    "listening": _l("""
        Let the other person finish before you reply, even when you think you know what they will say.
        Repeat back what you heard, using your own words, so the speaker knows you understood.
        Put down your phone and look at the person who is speaking to you.
        When a friend needs help, first ask whether they want advice or simply want to be heard.
    """),
}

THEME_SCENES = {
    "resonance": _l("""
        {C} =run a wet finger around the rim of a glass, and it =begin to sing with a clear, thin tone.
        {C} =push {O} on the swing, timing each push to the moment it =come back, and soon the swing =go higher than the fence.
        When a heavy truck =pass outside, the windows of the {room} +rattle and a spoon in a cup =buzz for a moment.
        {C} =strike a tuning fork and =hold it against the wooden table, and the whole table =seem to sing.
        {C} =sing a low note in the empty {echo_room}, and at one particular pitch the whole space =seem to answer.
        The old piano in the parlor =hum quietly whenever someone =play the cello beside it.
        The story that {O} =tell at dinner =resonate with {C}, because {he} =have felt the same way.
    """),
    "vibration": _l("""
        {C} =pluck a rubber band stretched across a box and =watch it blur as it =vibrate.
        The floor of the old {building} =tremble as the train =rumble past.
        {C} =put {his} hand on the cat and =feel the soft vibration of its purring.
        The washing machine =shake so hard that it slowly =walk across the floor.
        {C} =rest {his} fingers on the strings of the {string_instrument} and =feel them buzzing long after the note =fade.
        A phone =vibrate on the table, and everyone =reach for their pocket at once.
    """),
    "echo": _l("""
        {C} =shout {his} own name across the {echo_outdoor}, and a moment later it =come back, fainter and slower.
        In the empty {echo_room}, every footstep =echo off the bare walls.
        After the new carpets +be laid, the {room} =stop echoing, and even the clock =sound softer.
        {C} and {O} +drop a pebble into the old well and +count the seconds until the splash =echo up.
        A bat =flit across the {open} at dusk, sending out clicks too high for {C} to hear.
        {C} =clap once in the tunnel, and the sound =bounce back and forth several times before it =die away.
    """),
    "silence": _l("""
        When the power =go out, the hum of the fridge =stop, and {C} =notice how much noise it =have been making.
        The {settlement} =be so still after the snow that {C} could hear the blood in {his} ears.
        {C} =sit on the bench and =let the silence settle around {him} like a blanket.
        The idle boats +lie on the still water, and not a single ripple =move.
        For a long moment neither {C} nor {O} =speak, and the silence =feel comfortable rather than awkward.
        {C} =switch off the radio, and the {room} =fill with small sounds {he} =have never noticed.
        {C} =like to {quiet_act} when the house =be full of noise.
        {C} =close the door {quiet_adv}, so as not to break the quiet.
        On the windless {water}, the reflection of the {high} =be perfectly clear until a duck =swim through it.
    """),
    "memory": _l("""
        {C} =find an old letter written by {his} {relative}, and the whole afternoon =come back to {him}.
        When {C} =smell {smell}, {he} suddenly =remember {memory_np}.
        {C} and {O} +remember the same summer quite differently, and they +laugh about it.
        {C} =review {his} notes on the train each morning, and slowly the new words +stick.
        {C} =try to recall the name of the {job}, but it only =come back to {him} much later, in the bath.
        {O} =show {C} a photograph, and {he} =remember details {he} =have not thought about for years.
        {C} =write the date in the corner of each drawing, so that years later {he} could tell when it was made.
        {C} =return to the {settlement} after many years, and memories +come back to {him} with every street.
        {C} barely =remember {his} first day at school, but {he} =remember the smell of the classroom clearly.
    """),
    "attention": _l("""
        {C} =try to read, but {noise_source} =keep pulling {his} attention away.
        {C} =turn {his} phone face down and =finish {hard_task} in half an hour.
        While {O} =talk, {C} =put the screen aside and =listen to every word.
        {C} =notice that {his} mind =have drifted, and =bring it back to the page.
        {C} =work on {hard_task} for a long time without looking up, and the afternoon =pass in what =feel like minutes.
        The {job} =be so focused on {his} work that {he} =do not hear {O} come in.
        {C} =clear everything from the desk except {hard_task} and a cup of tea.
        A fly =buzz against the window, and {C} =find it impossible to concentrate until {he} =let it out.
    """),
    "perception": _l("""
        In the fog, {C} =mistake a bush for a person until {he} =walk closer.
        With {his} eyes closed, {C} =try to name each fruit by its taste alone.
        {C} =put on {his} new glasses, and the leaves of the {tree} +become sharp and separate instead of a green blur.
        Coming in from the bright {open}, {C} =see almost nothing until {his} eyes +adjust.
        {C} =hear {his} name in the noisy market and =turn, but nobody =be calling {him}.
        The {room} =look different from the top of the ladder, and {C} =notice things {he} =have never seen.
    """),
    "consciousness": _l("""
        Sitting by the {water}, {C} =become aware of every sound around {him}, one after another.
        For a moment after waking, {C} =be not sure where {he} =be.
        {C} =watch {his} thoughts drift past like leaves on a stream, without following any of them.
        The {animal_sleeper} =look up at {C} as if it =know exactly what {he} =be thinking.
        {C} =wonder whether {O} =see the color red the same way {he} =do.
    """),
    "dreams": _l("""
        {C} =dream that {he} =be flying over the {settlement}, and =wake with the feeling still in {his} arms.
        In {his} dream, the rooms of the house +go on and on, each one stranger than the last.
        {C} =wake in the night and =write the dream down before it =fade.
        The old dog =twitch its paws by the {by_spot}, chasing something in its sleep.
        {C} =realize in the middle of the dream that {he} =be dreaming, and the {open} =turn to gold.
        At breakfast {O} =describe a dream about {dream_theme}, and everyone =laugh.
    """),
    "habit": _l("""
        Every morning, before anything else, {C} =make the bed and =open the window.
        {C} =want to read more, so {he} =leave a book on {his} pillow each morning.
        At first {C} =forget {his} new habit most days, but after a few weeks {he} =do it without thinking.
        {C} =slip back into {his} old habit for a week, and then simply =start again.
        {C} =notice that {he} =check {his} phone every time {he} =feel bored, and =decide to change it.
        It =become a habit for {C} and {O} to walk to the {building} every {weekday}.
    """),
    "learning": _l("""
        {C} =make the same mistake three times, and on the fourth try {he} finally =understand why.
        {O} =explain the problem to {C} slowly, drawing a small picture on a napkin.
        {C} =study {subject} for twenty minutes every evening, and by the {season} {he} could see {his} progress.
        The children +learn the song by copying {O}, line by line.
        {C} =feel confused for a week, and then one morning the whole idea suddenly =make sense.
        {C} =teach {his} {relative} how to {skill}, and =learn a great deal by explaining it.
        {C} =discover that {he} =learn best by doing things with {his} hands.
    """),
    "language": _l("""
        {C} =learn {language} by listening to the radio while {he} =cook.
        At the market, {C} =try out a few phrases of {language}, and the stallholder =smile and =answer slowly.
        {O} =speak with an accent from the north, and {C} =love the rhythm of it.
        {C} =keep a list of words that have no simple translation.
        When {C} =forget a word, {he} =describe the thing instead, and {O} =understand {him} anyway.
    """),
    "music": _l("""
        The choir =sing in four parts, and the voices +blend so smoothly that they +sound like one.
        {C} =play a chord on the {instrument}, and then =let it resolve into a softer one.
        {C} =hum a catchy tune all morning, and it =stay in {his} head until bedtime.
        When the band =play the old song, {O} =close {o_his} eyes and =smile.
        The two {instrument_pl} +clash at first, but after some practice they +play together in harmony.
        {C} =listen to the melody, and then to the slow bass line moving underneath it.
        {C} =practice the scale slowly and evenly, one note at a time.
    """),
    "rhythm": _l("""
        The rowers +pull together in a steady rhythm, and the boat =glide across the {water}.
        {C} =tap the rhythm of the poem on the table while {he} =read it aloud.
        The rhythm of the waves =help {C} fall asleep.
        {C} and {O} +walk side by side, and soon their steps +fall into the same rhythm.
        The drummer =keep a slow, even beat, and the dancers +move with it.
    """),
    "breath": _l("""
        {C} =take a long, slow breath, and =feel {his} shoulders drop.
        Before the concert, the singers +stand together and +breathe deeply to calm their nerves.
        {C} =yawn, and a moment later {O} =yawn too.
        After running up the {high}, {C} =stop, breathing hard, and =wait until {his} breath =be steadier.
        {C} =breathe out slowly through {his} mouth, and the tightness in {his} chest =ease.
        {His} breath =make little clouds of moisture in the cold morning air.
    """),
    "time": _l("""
        {C} =look at the clock and =be surprised to see that two hours +have passed.
        The afternoon =drag while {C} =wait for {wait_target}.
        {C} =mark the days on the calendar until {O} =come home.
        On the wall of the old {building}, a sundial still =show the time on sunny days.
        When {C} was a child, the summer holidays seemed endless.
    """),
    "waves": _l("""
        {C} =watch the waves rise, peak, and tip over into white foam.
        The {boat} =rise on the long swells left by the storm.
        {C} =drop two stones into the {small_water}, and the rings of ripples +cross each other.
        At the edge of the sea, the backwash =drag the pebbles down with a long, rattling sound.
        Big waves +crash against the harbor wall, sending spray high into the air.
    """),
    "light": _l("""
        Sunlight =pour through the stained glass and =scatter patches of color across the floor.
        After the shower, a rainbow =appear over the {high}, its colors in bright bands.
        {C} =put a spoon in a glass of water and =laugh at how bent it =look.
        The last light of the sunset =turn the clouds red and orange.
        In the darkness of the {room}, a single candle =make the walls glow.
        A flash of lightning =light up the whole {open} for an instant.
        As the sky =grow dark, the moon =seem to brighten over the {high}.
    """),
    "curiosity": _l("""
        {C} =take the old clock apart to see how it =work, and then carefully =put it back together.
        The children +turn over every stone by the {linear}, curious to see what =live underneath.
        {C} =ask {O} so many questions about {topic} that {she2} finally =lend {him} a book about it.
        A strange sound from the {building} =make {C} curious, so {he} =go to explore.
        {C} =spend the afternoon watching ants carry crumbs across the path.
        {C} =observe a beetle for an hour, noting how it =use its legs.
    """),
    "imagination": _l("""
        The children +turn the cardboard box into a ship, and the {room} =become an ocean.
        {C} =imagine the {settlement} as it looked a hundred years ago, with carts instead of cars.
        {O} =pretend to be {role}, and {C} =play along.
        Lying in the grass, {C} =see dragons and castles in the shapes of the clouds.
        {C} =invent a story about the old {building}, full of secret rooms and hidden letters.
        The children +spend the whole afternoon pretending that the garden =be a jungle.
    """),
    "wonder": _l("""
        {C} =lie on {his} back in the {open} and =look up at the starry sky in silent amazement.
        The children +stare at {wonder_sight}, too amazed to speak.
        {C} =look through the telescope at the moon, and =see mountains and craters on its face.
        {C} =stop on the way home to watch the stars twinkle above the {high}.
        Standing at the foot of the waterfall, {C} =feel very small and very happy.
    """),
    "emotion": _l("""
        When {O} =leave, {C} =feel a mix of {feeling_mix}.
        {C} =notice {his} heart racing before the speech, and =take a slow breath.
        {C} =be angry at first, but after a walk by the {linear} the anger =pass.
        The surprise party =fill {C} with such joy that {he} =keep smiling all evening.
        {C} =tell {O} how {he} =feel, and talking about it =make the sadness lighter.
        {C} =try to hide {his} excitement, but {his} face =show everything.
        {C} =feel the stress of the week in {his} shoulders and =go for a long walk.
    """),
    "patience": _l("""
        {C} =want the bread to be ready at once, but the dough =need another hour to rise.
        {C} =struggle with the knot for a long time, and at last it =come loose.
        {O} =be slow to learn the new game, but {C} =explain it again without hurrying {o_him}.
        The seeds +take weeks to appear, and {C} =check the soil every morning.
        Instead of rushing, {C} =wait for the right moment, and it =come.
        {C} =work {quiet_adv} and =refuse to hurry, even when {O} =tell {him} to be quick.
        The repairs +take longer than expected, but {C} =stay calm.
    """),
    "listening": _l("""
        {C} =listen without interrupting while {O} =explain what =have happened.
        {C} =ask one quiet question, and {O} =begin to talk more openly.
        In the crowded cafe, {C} =lean closer to hear {O} over the noise.
        {C} =close {his} eyes and =listen to the birds, the wind, and a dog barking far away.
    """),
}
THEMES = tuple(THEME_FACTS)

FIRST_PERSON = _l("""
    I *be learning to {skill}, and some days it =feel easier than others.
    Every morning I *sit by the window for a few minutes before the house =wake.
    I *notice that I *breathe more slowly when I *walk by the {water}.
    I *try to put my phone away while I *read, but it =be not always easy.
    Today I *remember a song my {relative} used to sing.
    I *be not sure why, but the sound of rain always =make me feel calm.
    When I *feel rushed, I *stop and *count my breaths.
    I *write down my dreams each morning, and some of them +be very strange.
    I *listen to {O} more carefully now, and I *hear things I used to miss.
    I *keep a small notebook of things that +make me curious.
    I *love the quiet of the house early in the morning.
""")


class _Corpus(_Gen):
    """Paragraph-level generation on top of the slot machinery."""

    # Extra slots used by paragraph templates.
    def slot_house_word(self):
        return self.c(("house", "cottage", "cabin", "farmhouse", "flat above a shop"))

    def slot_small_home(self):
        return self.c(("small cottage", "little house", "narrow house", "wooden cabin", "farmhouse", "small flat"))

    def slot_act_ing_o(self):
        while True:
            text = self.act("ing", self.o_his, busy=True)
            if not text.startswith(BUSY_SKIP):
                return text

    def slot_act_ing_marker(self):
        return "=be " + self.act("ing")

    def slot_a_person(self):
        who = self.c(JOB_NAMES + ("old man", "old woman", "stranger", "traveler", "boy", "girl"))
        adjs = tuple(a for a in PERSON_ADJ if not who.startswith(a + " "))  # no "an old old man"
        return self.a(who, adjs, 0.5)

    def slot_o_his(self):
        return self.o_his

    def slot_light_verb(self):
        return "=" + self.c(LIGHT_VERBS)

    def slot_light_adj(self):
        return self.c(LIGHT_ADJ)

    def slot_water_adj(self):
        return self.c(("calm", "still", "gray", "cold", "clear", "dark", "bright", "rough"))

    def slot_adj_day_time(self):
        return self.c(("market day", "a holiday", "a warm afternoon", "the first day of the fair",
                       "a bright morning", "Sunday"))

    def slot_a_color(self):
        return with_article(self.c(COLORS[:12]))

    def slot_food_plural(self):
        return plural(self.c(FRUIT + VEG))

    def slot_mass_food(self):
        return self.c(("bread", "cheese", "honey", "milk", "butter", "cream", "jam", "flour", "eggs", "fish"))

    def slot_day_part(self):
        return self.c(DAY_PARTS[:3])

    def slot_job_plural(self):
        return plural(self.c(JOB_NAMES))

    def slot_weekday(self):
        return self.c(WEEKDAYS)

    def slot_adj_bridge(self):
        return self.c(("stone", "wooden", "old", "narrow", "low", "small"))

    def slot_a_bridge(self):
        return self.a("bridge", ("stone", "wooden", "old", "narrow", "low", "small", "rope"), 0.7)

    def slot_an_inn(self):
        place = self.c(("inn", "farmhouse", "cottage", "hotel", "cabin"))
        return self.a(place, ("small", "quiet", "friendly", "old", "warm"), 0.6)

    def slot_start_time(self):
        return self.c(("early in the morning", "at dawn", "before sunrise", "after breakfast", "on a cold morning",
                       "one bright day in " + self.c(MONTHS)))

    def slot_table_adj(self):
        return self.c(("big", "old", "wooden", "round", "long", "kitchen", "small"))

    def slot_food_sing(self):
        return self.c(("bread", "soup", "stew", "pie", "cake", "fish", "cheese", "tea", "porridge", "salad"))

    def slot_taste(self):
        return self.c(("delicious", "warm", "fresh", "rich", "sweet", "perfect", "simple but good", "better than ever"))

    def slot_season_clause(self):
        return self.fill(self.c(SEASON_CLAUSES[self.cur_season]))

    def slot_room_adj(self):
        return self.c(ROOM_GROUP[3])

    def slot_sound_clause(self):
        src, pl, verb = self.c(SOUND_SOURCES)
        return src + " " + conj(verb, "+" if pl else "=")

    def slot_sound_src(self):
        src, pl, verb = self.c([s for s in SOUND_SOURCES if not s[1]])
        self._last_sound_verb = verb
        return src

    def slot_sound_verb(self):
        return conj(getattr(self, "_last_sound_verb", "ring"), "=")

    def slot_sound_src_bare(self):
        src = self.c(SOUND_SOURCES)[0]
        for art in ("the ", "an ", "a "):
            if src.startswith(art):
                return "the " + src[len(art):]
        return src

    def slot_sound_adj(self):
        return self.c(SOUND_ADJ)

    def slot_instrument2(self):
        return self.c(INSTRUMENTS)

    def slot_animal_sleeper(self):
        return self.c(("dog", "cat", "old dog", "kitten", "puppy", "baby"))

    def slot_himself(self):
        return "himself" if self.he == "he" else "herself"

    def slot_beach_word(self):
        return self.c(("beach", "sand", "rocks", "shore", "pebbles"))

    def slot_a_adj_job(self):
        return self.a(self.job, PERSON_ADJ, 0.6)

    def slot_elder(self):
        return self.c(("mother", "father", "grandmother", "grandfather", "aunt", "uncle", "old teacher"))

    def slot_a_adj_person(self):
        noun = self.c(("man", "fellow") if self.gender == "m" else ("woman", "lady"))
        return self.a(noun, PERSON_ADJ, 1.0)

    def slot_a_hill(self):
        return self.a("hill", HIGH_GROUP[3], 1.0)

    def slot_a_linear(self):
        return self.a(self.c(LINEAR_GROUP[2]), LINEAR_GROUP[3], 0.8)

    def slot_a_adj_day(self):
        return with_article(self.c(("long", "good", "strange", "busy", "happy", "quiet", "wonderful", "hard",
                                    "ordinary", "tiring", "lovely")))

    def slot_a_small_place(self):
        return self.c(("a small garden", "a single tree", "an old wall", "a puddle", "a window box",
                       "a patch of grass", "a quiet pond"))

    def slot_a_whole_thing(self):
        return self.c(("a whole room", "a whole day", "a long week", "an entire family", "a tired friend"))

    def slot_theme_word(self):
        return self.c(THEME_WORDS)

    def slot_a_job_cur(self):
        return with_article(self.job)


    # -- small phrase lists used by the paragraph templates -------------------
    def slot_dessert(self):
        return self.fill(self.c(("{a_baked}", "a bowl of {fruit_pl}", "{fruit_pl} with cream", "a slice of cake",
                                 "honey cake", "a plate of {fruit_pl}", "warm apple pie", "some {fruit_pl} and cream")))

    def slot_feedable(self):
        return self.c(("chickens", "hens", "ducks", "geese", "pigs", "goats", "horses", "cows", "sheep", "cat",
                       "dog", "rabbits", "birds", "pony", "lambs"))

    def slot_field(self):
        return self.c(FIELDS)

    def slot_field_pl(self):
        return plural(self.c(FIELDS))

    def slot_street(self):
        return self.c(("road", "path", "lane", "street", "track", "bridge"))

    def slot_shop_place(self):
        return self.c(("market", "bakery", "shop", "cafe", "farm", "village shop"))

    def slot_crossable(self):
        return self.c(("river", "stream", "canal", "railway", "gorge", "brook"))

    def slot_busy_place(self):
        return self.c(("square", "market", "park", "main street", "harbor", "town hall"))

    def slot_clock_room(self):
        return self.c(("hallway", "kitchen", "parlor", "study", "hall", "school"))

    def slot_origin(self):
        return self.c(("the city", "the coast", "other towns", "far away", "the capital", "the north", "the south",
                       "across the sea"))

    def slot_meal_place(self):
        return self.fill(self.c(("in the kitchen", "in the garden", "by the window", "under the {tree}", "on the porch",
                                 "in the warm parlor", "outside in the sun", "near the fire")))

    def slot_feel_pos(self):
        return self.c(("happy", "glad", "excited", "proud", "hopeful", "cheerful", "content", "grateful", "pleased",
                       "relieved", "calm"))

    def slot_memory_day(self):
        return self.fill(self.c(("that day", "the smell of {smell} that morning", "the kindness of {O}",
                                 "the view from the top of the {high}", "the sound of {his} own footsteps on the {street}",
                                 "how quiet the {open} was that evening")))

    def slot_far_pp(self):
        return self.fill(self.c(("in the distance", "somewhere outside", "far away", "across the {open}",
                                 "beyond the {high}", "from the other side of the {water}", "through the open window",
                                 "from the {building} down the road")))

    def slot_outdoor_pp(self):
        preps, _, nouns, adjs = self.c((OPEN_GROUP, AREA_GROUP, LINEAR_GROUP, EDGE_GROUP, WATER_GROUP, UNDER_GROUP))
        return self.c(preps) + " the " + self.adj_np(self.c(nouns), adjs, 0.3)

    def slot_route_pp(self):
        _, preps, nouns, adjs = self.c((OPEN_GROUP, AREA_GROUP, HIGH_GROUP, WATER_GROUP, EDGE_GROUP))
        return self.c(preps) + " the " + self.adj_np(self.c(nouns), adjs, 0.3)

    def slot_feel_low(self):
        return self.c(("sad", "tired", "worried", "lonely", "restless", "upset", "nervous", "anxious", "homesick", "bored"))

    def slot_comfort_act(self):
        return self.fill(self.c(("walk by the {linear}", "bake bread", "play the {instrument}", "sit under the {tree}",
                                 "call {his} {relative}", "read an old book", "sing quietly to {himself}",
                                 "work in the garden", "write in {his} diary", "watch the {water}",
                                 "make a pot of tea", "tidy the {room}")))

    def slot_travel_food(self):
        return self.c(("bread and cheese", "a few apples", "some dried fruit", "a bottle of water", "a bag of nuts",
                       "cold chicken", "a loaf of bread", "some biscuits"))

    def slot_a_travel_thing(self):
        return self.c(("a map", "a compass", "a warm blanket", "a notebook", "a lantern", "an umbrella",
                       "a spare pair of socks", "a small knife", "a book to read"))

    def slot_wild_scene(self):
        while True:
            noun, group, _ = self._animal()
            if group not in ("pet", "fishy", "sea"):
                break
        act = conj(self.fill(self.c(ANIMAL_GROUPS[group][2])), "ing")
        if self.p() < 0.5:
            return self.a(noun, ANIMAL_ADJ, 0.5) + " " + act
        return self.c(NUMBERS[:8]) + " " + self.adj_np(plural(noun), ANIMAL_ADJ, 0.3) + " " + act

    def slot_old_building(self):
        return self.c(("church", "mill", "castle", "tower", "library", "inn", "chapel", "school", "lighthouse",
                       "museum", "bakery", "station", "bridge", "town hall"))

    def slot_warm_light(self):
        return self.c(("warm", "soft", "dim", "golden", "flickering", "yellow"))

    def slot_bad_weather(self):
        return self.fill(self.c(BAD_WEATHER))

    def slot_weather_event(self):
        return self.fill(self.c(WEATHER_EVENTS))

    def slot_cold_wind(self):
        return self.c(("cold", "sharp", "strong", "damp", "bitter", "wild"))

    def slot_wind_adj(self):
        return self.c(("cold", "warm", "gentle", "sharp", "strong", "damp", "dry", "soft"))

    def slot_direction(self):
        return self.c(DIRECTIONS)

    def slot_cloud_kind(self):
        return self.c(("the clouds", "dark clouds", "small white clouds", "heavy gray clouds", "long thin clouds"))

    def slot_clear_adj(self):
        return self.c(("bright", "cold", "cool", "fresh", "still", "warm"))

    def slot_clock_time(self):
        return self.c(("noon", "midday", "lunch", "sunrise", "breakfast", "dark", "midnight", "tea time"))

    def slot_place_feel(self):
        return self.c(("calm and friendly", "quiet and old", "cheerful and busy", "sleepy but kind",
                       "warm and welcoming", "small but lively", "peaceful"))

    def slot_a_valley_like(self):
        return self.fill(self.c(("a green valley", "a wide valley full of farms", "a forest of {tree_pl}",
                                 "a plain of yellow fields", "a quiet village by the {big_water}", "a land of low stone walls")))

    def slot_rain_kind(self):
        return self.c(("the rain", "the storm", "a summer shower", "the thunder", "a morning of rain"))

    def slot_delay(self):
        return self.fill(self.c((
            "the {linear} =be flooded after the rain", "a wheel of the cart =break near the {building}",
            "they +lose their way {place_pp}", "the ferry across the {big_water} =be late",
            "the rain =turn the road to mud", "they +stop to help {a_person} {place_pp}",
            "the road over the {high} =be blocked by snow", "{O} =want to rest {place_pp}")))

    def slot_a_long_day(self):
        return self.fill(self.c((
            "a long day in the fields", "a cold walk home", "a morning of hard work", "the long journey",
            "a day at the market", "an afternoon in the garden", "a week of rain", "a night on the {water}",
            "a long climb up the {high}", "a day of cleaning the {building}")))

    def slot_good_adj(self):
        return self.c(("good", "warm", "fresh", "delicious", "rich", "tasty", "filling"))

    def slot_listen_target(self):
        return self.c(("what the other person means", "the pauses as well as the words", "the feeling behind the words",
                       "what is not said", "the tone of a voice", "the questions people ask"))

    def slot_breath_who(self):
        return self.c(("the body", "a nervous speaker", "a tired runner", "a crying child", "anyone who is worried",
                       "a singer before a concert", "a student before a test"))

    def slot_breath_effect(self):
        return self.c(("relax", "feel calm", "settle down", "rest", "think more clearly", "feel steady again"))

    def slot_dream_after(self):
        return self.fill(self.c((
            "it takes a moment to wake up", "you remember them for years", "you wake up laughing",
            "you look for the {thing} in the morning", "you tell them to everyone at breakfast",
            "the whole next day feels strange")))

    def slot_long_thing(self):
        return self.c(("a long road", "a rainy afternoon", "a slow lesson", "a winter evening", "a long wait",
                       "a dull journey", "a quiet week"))

    def slot_lang_feature(self):
        return self.c(("music and rhythm", "words for the weather", "way of saying thank you", "songs for children",
                       "sounds that are hard for others to learn", "jokes and stories", "words for family"))

    def slot_habit_ing(self):
        return self.c(("reading every evening", "walking after dinner", "writing a few lines each morning",
                       "going to bed early", "practicing a little every day", "saying thank you",
                       "drinking water in the morning", "tidying the desk before work"))

    def slot_winter_light(self):
        return self.c(("pale", "thin", "gray", "silver", "weak", "soft"))

    def slot_patient_person(self):
        return self.c(("old gardener", "farmer", "baker", "potter", "beekeeper", "fisherman", "teacher", "shepherd"))

    def slot_slow_things(self):
        return self.c(("good things", "seeds", "friendships", "the best cheeses", "big changes", "new skills",
                       "young trees", "healing"))

    def slot_glass_thing(self):
        return self.c(("glass in the window", "cups on the shelf", "water in the jug", "candle flame",
                       "spoons in the drawer", "floor under our feet"))

    def slot_rhythm_adj(self):
        return self.c(("slow and steady", "gentle", "regular", "calm", "patient", "restless"))

    def slot_small_water(self):
        return self.c(("pond", "pool", "lake", "puddle", "well", "river"))

    def slot_boat(self):
        return self.c(("little boat", "fishing boat", "old ferry", "rowing boat", "sailboat", "red canoe"))

    def slot_wave_adj(self):
        return self.c(("gentle", "gray", "rolling", "restless", "small", "long", "choppy"))

    def slot_ordinary_thing(self):
        return self.c(("an ordinary day", "a rainy morning", "a walk to the shop", "a puddle in the road",
                       "a cup of tea by the window", "a spider on the wall", "the ride to school"))

    def slot_cuttable(self):
        return self.c(("bread", "cake", "pie", "cheese", "melon", "loaf", "apples", "sausage", "tart"))

    def slot_slice_adj(self):
        return self.c(("thick", "thin", "neat", "generous", "even", "small"))

    def slot_by_spot(self):
        return self.c(BY_GROUP[2][:4] + ("stove", "lamp"))

    def slot_small_notice(self):
        return self.fill(self.c((
            "the color of the sky before rain", "a spider's web on the gate", "the way {O} =smile",
            "a new crack in the wall", "the first buds on the {tree}", "footprints in the mud",
            "a change in the wind", "the smell of {smell}")))

    def slot_focus_obj(self):
        return self.c(("page", "music", "lesson", "conversation", "work", "task in front of " + self.him, "recipe", "map"))

    def slot_memo_things(self):
        return self.c(("names", "dates", "recipes", "the names of birds", "new words", "small kindnesses",
                       "addresses", "songs", "dreams"))

    def slot_a_found_object(self):
        return self.c(("a shell", "a smooth stone", "an old coin", "a feather", "a fossil", "a rusty key",
                       "a piece of blue glass", "a tiny bone", "a pine cone"))

    def slot_end_time(self):
        return self.c(("the end of the day", "evening", "sunset", "nightfall", "supper time"))

    def slot_body_pl(self):
        return self.c(("hands", "arms", "legs", "feet", "shoulders", "eyes"))

    def slot_work_adj(self):
        return self.c(("hard", "slow", "tiring", "dusty", "noisy", "quiet", "cold in winter", "hot in summer"))

    def slot_work_like(self):
        return self.fill(self.c((
            "it", "the quiet of the early hours", "the people {he} =meet", "the feeling of a job well done",
            "the smell of the place", "working with {his} hands", "the long walk home afterward")))

    def slot_tool_pl(self):
        return self.c(("tools", "brushes", "knives", "hammers", "aprons", "baskets", "ropes", "buckets"))

    def slot_put_spot_pl(self):
        return self.c(("in neat rows", "on hooks by the door", "on the wall", "in a wooden box", "on a high shelf"))

    # Animal paragraph state
    def slot_home(self):
        return self.c(ANIMAL_GROUPS[self.cur_group][0])

    def slot_food(self):
        return self.c(ANIMAL_GROUPS[self.cur_group][1])

    def slot_ability(self):
        return self.c(ANIMAL_GROUPS[self.cur_group][3])

    def slot_scene(self):
        return conj(self.fill(self.c(ANIMAL_GROUPS[self.cur_group][2])), "ing")

    def slot_a_animal_generic(self):
        return with_article(self.cur_animal)

    def slot_animal_trait(self):
        return self.c(ANIMAL_TRAITS)

    # Work paragraph state
    def slot_task(self):
        if not self.tasks:
            self.tasks = list(JOBS[self.job][1])
        return self.fill(self.tasks.pop())

    def slot_workplace(self):
        return JOBS[self.job][0]

    # -- paragraphs -----------------------------------------------------------
    def lines(self, pool, k_min, k_max, tense, ordered=False):
        k = min(self.r.randint(k_min, k_max), len(pool))
        idx = self.r.sample(range(len(pool)), k)
        if ordered:
            idx.sort()
        return [self.sentence(pool[i], tense) for i in idx]

    def p_story(self):
        tense = "past" if self.p() < 0.85 else "present"
        out = [self.sentence(self.opener(), tense)]
        n = self.r.randint(3, 6)
        for _ in range(n):
            if self.p() < 0.25:
                if self.p() < 0.5:
                    out.append(self.dialogue_line(self.name, self.he, tense))
                else:
                    out.append(self.dialogue_line(self.other, self.o_he, tense))
            else:
                out.append(self.sentence(self.c(STORY_MIDDLE), tense))
        if self.p() < 0.7:
            out.append(self.sentence(self.c(STORY_CLOSERS), tense))
        return out

    def p_dialogue(self):
        tense = "past"
        out = []
        if self.p() < 0.6:
            out.append(self.sentence(self.opener(), tense))
        speakers = [(self.name, self.he), (self.other, self.o_he)]
        for i in range(self.r.randint(3, 6)):
            spk, pron = speakers[i % 2]
            out.append(self.dialogue_line(spk, pron, tense, first=i < 2))
        return out

    def opener(self) -> str:
        """A story opener; 'the old man' is never re-described as 'a kind baker'."""
        while True:
            t = self.c(STORY_OPENERS)
            if not (self.is_role and "{C} =be " in t):
                return t

    def p_place(self):
        tense = "present" if self.p() < 0.75 else "past"
        self.poss_word = "their"
        out = self.lines(PLACE_LINES, 3, 6, tense)
        self.poss_word = self.his
        return out

    def p_animal(self):
        noun, group, sound = self.c(ANIMALS)
        self.cur_animal, self.cur_group = noun, group
        pl = plural(noun)
        out = []
        pool = list(ANIMAL_LINES)
        if group not in ("insect", "fishy", "water", "shore"):
            pool.append("Young {animals} +stay close to their mothers for the first weeks.")
        for t in self.r.sample(pool, self.r.randint(3, 5)):
            t = t.replace("{Animals}", self.cap(pl)).replace("{animals}", pl)
            out.append(self.sentence(t, "present"))
        if sound and self.p() < 0.6:
            out.append(self.sentence(
                self.c(("At {day_part2}, you can sometimes hear {a_animal_generic} " + sound + " {place_pp}.",
                        "When {a_animal_generic} =be frightened, it may " + sound + " loudly.",
                        "The " + pl + " " + sound + " to call to one another.")), "present"))
        if self.p() < 0.5:
            out.append(self.sentence("One {day_part}, {C} =see {a_animal_generic} {scene}.", "past"))
        return out

    def slot_day_part2(self):
        return self.c(("dawn", "dusk", "night", "midday", "sunset"))

    def p_work(self):
        if self.is_role:
            self.name = self.c(MALE_NAMES if self.gender == "m" else FEMALE_NAMES)
            self.is_role = False
        self.tasks = list(JOBS[self.job][1])
        self.r.shuffle(self.tasks)
        tense = "present" if self.p() < 0.6 else "past"
        out = [self.sentence(self.c((
            "{C} =be {a_job_cur} in a small {settlement}.",
            "{C} =work as {a_job_cur} {workplace}.",
            "{C} =have worked {workplace} for many years.",
            "In a small {settlement} by the {big_water}, {C} =work as {a_job_cur}.",
        )), tense)]
        out += self.lines(WORK_LINES, 3, 5, tense, ordered=True)
        return out

    def slot_job_cur(self):
        return self.job

    def p_journey(self):
        out = [self.sentence(JOURNEY_START, "past")] + self.lines(JOURNEY_LINES, 3, 6, "past", ordered=True)
        if self.p() < 0.5:
            out.append(self.sentence(JOURNEY_END, "past"))
        return out

    def p_meal(self):
        tense = "past" if self.p() < 0.8 else "present"
        return [self.sentence(MEAL_START, tense)] + self.lines(MEAL_LINES, 2, 5, tense, ordered=True)

    def p_season(self):
        self.cur_season = self.c(SEASONS)
        tense = "present" if self.p() < 0.7 else "past"
        out = []
        for t in self.r.sample(SEASON_LINES, self.r.randint(2, 4)):
            out.append(self.sentence(t.replace("{season}", self.cur_season), tense))
        out.append(self.sentence(self.c(WEATHER), tense).rstrip(".") + ".")
        if self.p() < 0.5:
            out.append(self.sentence("{Time}, {C} {act}.", "past" if tense == "past" else "present"))
        return [s if s.endswith((".", "!", "?", '"')) else s + "." for s in out]

    def p_feeling(self):
        tense = "past" if self.p() < 0.8 else "present"
        return self.lines(FEELING_LINES, 3, 5, tense, ordered=True)

    def p_theme(self):
        theme = self.c(tuple(THEME_LINES))
        tense = "present" if self.p() < 0.6 else "past"
        out = self.lines(THEME_LINES[theme], 2, 4, tense)
        if self.p() < 0.3:
            out += self.lines(THEME_LINES["general"], 1, 1, "present")
        if self.p() < 0.3:
            out.insert(0, self.sentence(self.opener(), tense))
        return out

    # -- slots for the theme explanations, advice and scenes -------------------
    def slot_o_him(self):
        return "him" if self.o_he == "he" else "her"

    def slot_a_resonator(self):
        return with_article(self.c(RESONATORS))

    def slot_resonator_pl(self):
        return plural(self.c(RESONATORS))

    def slot_vibrator(self):
        return self.c(VIBRATORS)

    def slot_material(self):
        return self.c(MATERIALS)

    def slot_echo_places(self):
        return self.c(ECHO_PLACES)

    def slot_echo_room(self):
        return self.c(ECHO_ROOMS)

    def slot_echo_outdoor(self):
        return self.c(ECHO_OUTDOORS)

    def slot_soft_things(self):
        return self.c(SOFT_THINGS)

    def slot_noise_source(self):
        return self.c(NOISE_SOURCES)

    def slot_emotion(self):
        return self.c(EMOTIONS)

    def slot_heavy_emotion(self):
        return self.c(HEAVY_EMOTIONS)

    def slot_feeling_mix(self):
        return self.c(FEELING_MIX)

    def slot_distraction(self):
        return self.c(DISTRACTIONS)

    def slot_hard_task(self):
        return self.c(HARD_TASKS)

    def slot_task_adj(self):
        return self.c(TASK_ADJ)

    def slot_good_habit(self):
        return self.c(GOOD_HABITS)

    def slot_routine_ing(self):
        return self.c(HABITS_ING)

    def slot_sense_pair(self):
        sense, organ = self.c(SENSE_ORGANS)
        return self.cap(sense) + " works through " + organ

    def slot_subject(self):
        return self.c(SUBJECTS)

    def slot_language(self):
        return self.c(LANGUAGES)

    def slot_a_waiter(self):
        return self.c(WAITERS)

    def slot_curious_thing(self):
        return self.c(CURIOUS_THINGS)

    def slot_wonder_sight(self):
        return self.c(WONDER_SIGHTS)

    def slot_wonder_adj(self):
        return self.c(WONDER_ADJ)

    def slot_dream_theme(self):
        return self.c(DREAM_THEMES)

    def slot_calm_place(self):
        return self.c(CALM_PLACES)

    def slot_role(self):
        return self.c(ROLES)

    def slot_invention(self):
        return self.c(INVENTIONS)

    def slot_brain_part(self):
        return self.c(("sound", "movement", "memory", "emotion", "language", "sight"))

    def slot_a_instrument(self):  # instruments that can play a melody
        return with_article(self.c(MELODY_INSTRUMENTS))

    def slot_instrument_pl(self):
        return plural(self.c(MELODY_INSTRUMENTS))

    def slot_string_instrument(self):
        return self.c(("guitar", "violin", "cello", "harp"))

    def slot_profession_pl(self):
        return self.c(PROFESSIONS_PL)

    def slot_quiet_act(self):
        return self.fill(self.c(QUIET_ACTS))

    def slot_quiet_adv(self):
        return self.c(QUIET_ADV)

    def p_explain(self):
        theme = self.c(THEMES)
        out = self.lines(THEME_FACTS[theme], 3, 5, "present", ordered=True)
        if self.p() < 0.3:
            out += self.lines(THEME_ADVICE[theme], 1, 1, "present")
        return out

    def p_advice(self):
        theme = self.c(THEMES)
        out = self.lines(THEME_FACTS[theme], 1, 1, "present") if self.p() < 0.6 else []
        out += self.lines(THEME_ADVICE[theme], 2, 4, "present", ordered=True)
        return out

    def p_scene(self):
        theme = self.c(THEMES)
        tense = "past" if self.p() < 0.75 else "present"
        out = [self.sentence(self.opener(), tense)] if self.p() < 0.35 else []
        out += self.lines(THEME_SCENES[theme], 2, 4, tense)
        if self.p() < 0.4:
            out += self.lines(THEME_FACTS[theme], 1, 1, "present")
        return out

    def p_diary(self):
        tense = "present" if self.p() < 0.8 else "past"
        out = self.lines(FIRST_PERSON, 3, 4, tense)
        if self.p() < 0.4:
            out += self.lines(THEME_FACTS[self.c(THEMES)], 1, 1, "present")
        return out

    KINDS = (("p_story", 30), ("p_dialogue", 9), ("p_place", 7), ("p_animal", 6), ("p_work", 7),
             ("p_journey", 6), ("p_meal", 5), ("p_season", 6), ("p_feeling", 6), ("p_theme", 10),
             ("p_explain", 12), ("p_advice", 5), ("p_scene", 9), ("p_diary", 2))

    def paragraph(self) -> str:
        self.new_cast()
        self.cur_season = self.c(SEASONS)
        names = [k for k, _ in self.KINDS]
        weights = [w for _, w in self.KINDS]
        kind = self.r.choices(names, weights)[0]
        sentences = getattr(self, kind)()
        return " ".join(s if s.endswith((".", "!", "?", '"')) else s + "." for s in sentences)


def generate_corpus(n_chars: int = 3_000_000, seed: int = 0) -> str:
    """Return roughly n_chars characters of plain English prose, deterministic in seed.

    Paragraphs are separated by blank lines and the text ends with a newline.
    """
    gen = _Corpus(random.Random(seed))
    parts: list[str] = []
    total = 0
    while total < n_chars:
        para = gen.paragraph()
        parts.append(para)
        total += len(para) + 2
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m model.corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="path of the text file to write")
    ap.add_argument("--chars", type=int, default=3_000_000, help="approximate size in characters")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same text)")
    args = ap.parse_args(argv)
    text = generate_corpus(args.chars, args.seed)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {len(text)} characters to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
