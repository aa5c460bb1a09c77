"""Generate a plain English base corpus offline, with no downloads.

A tiny llama2.c-style model has to learn ordinary English before a Q/A
fine-tune can teach it anything, and we want the demo to work on a fresh
machine with no network. This module writes that base corpus itself: a
small probabilistic grammar (sentence templates with typed slots) over
hand-written word lists, rendered into short paragraphs separated by blank
lines. The paragraphs are little stories, descriptions of places, animals,
seasons, meals and work, dialogue, and calm reflections on the themes of the
demo data (sound, light, memory, quiet, rhythm, breath, and so on).

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
    think:thought throw:threw understand:understood wake:woke wear:wore
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
    hit let put shut cut win spit trot
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
        return self.a(who, PERSON_ADJ, 0.5)

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

    KINDS = (("p_story", 30), ("p_dialogue", 9), ("p_place", 7), ("p_animal", 6), ("p_work", 7),
             ("p_journey", 6), ("p_meal", 5), ("p_season", 6), ("p_feeling", 6), ("p_theme", 18))

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
