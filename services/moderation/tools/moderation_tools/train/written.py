"""Labelled examples written for Beacon, in English and French, that no public set gives with a
licence to ship: threats, hate against groups and insults aimed at a brand, beside what must not
be caught (negations, quoted counter-speech, neutral mentions of groups, jokes with violent
words); spam and scams beside ordinary customer comments that carry a link, a phone number or an
order question; and the tone of brand-page comments.

Each template is expanded with fillers drawn by a seeded generator, so the same examples come out
every run. They are Beacon's own text, under the project's licence.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

SEED = 20261205


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    # toxicity: 1 offensive; the sub-labels say which kind (several may hold)
    toxic: int = 0
    insult: int = 0
    threat: int = 0
    hate: int = 0
    obscene: int = 0
    # spam: 1 spam, 0 ham, -1 not a spam example
    spam: int = -1
    # sentiment: negative / neutral / positive, or "" when not a sentiment example
    sentiment: str = ""
    # which template it came from: cross-validation keeps a template's examples together
    template: str = ""


GROUPS_EN = (
    "women",
    "immigrants",
    "muslims",
    "jews",
    "black people",
    "gay people",
    "trans people",
    "disabled people",
    "refugees",
    "arabs",
    "mexicans",
    "asians",
    "christians",
    "lesbians",
)
GROUPS_FR = (
    "les femmes",
    "les immigrés",
    "les musulmans",
    "les juifs",
    "les noirs",
    "les homosexuels",
    "les trans",
    "les handicapés",
    "les réfugiés",
    "les arabes",
    "les migrants",
    "les asiatiques",
    "les chrétiens",
    "les roms",
)
TARGETS_EN = (
    "you",
    "your CEO",
    "your staff",
    "the manager",
    "your support team",
    "the owner",
    "the guy who answered me",
    "your delivery driver",
    "this brand",
    "your boss",
)
TARGETS_FR = (
    "toi",
    "ton patron",
    "votre PDG",
    "le gérant",
    "ton livreur",
    "le service client",
    "la direction",
    "ce vendeur",
    "ta boîte",
    "le responsable",
)
PRODUCTS_EN = (
    "hoodie",
    "order",
    "shoes",
    "phone case",
    "coffee machine",
    "jacket",
    "app",
    "subscription",
    "delivery",
    "dress",
    "bag",
    "cream",
)
PRODUCTS_FR = (
    "sweat",
    "commande",
    "chaussures",
    "coque",
    "machine à café",
    "veste",
    "appli",
    "abonnement",
    "livraison",
    "robe",
    "sac",
    "crème",
)

# --- offensive -----------------------------------------------------------------------------------
THREATS_EN = (
    "I hope {t} dies in a fire",
    "I will kill {t}",
    "I'm going to find {t} and hurt you",
    "someone should burn your store down",
    "{t} deserves to die",
    "watch your back, I know where you live",
    "I'll beat the hell out of {t}",
    "I hope {t} gets cancer",
    "you'll pay for this, I'm coming for you",
    "I swear I will shoot {t}",
    "I'm going to smash your face in",
    "hope {t} chokes and dies",
    "I will burn your shop to the ground",
    "next time I see {t} I'll break your legs",
    "{t} should be hanged",
)
THREATS_FR = (
    "j'espère que {t} va crever",
    "je vais te tuer",
    "je vais te retrouver et te casser la gueule",
    "quelqu'un devrait brûler votre magasin",
    "{t} mérite de mourir",
    "fais gaffe à toi, je sais où tu habites",
    "je vais te défoncer",
    "on va venir foutre le feu à votre boutique",
    "tu vas le payer, je viens te chercher",
    "je vais t'égorger",
    "je te jure que je vais te buter",
    "j'espère que {t} crèvera dans d'atroces souffrances",
    "on va te faire la peau",
    "je vais te péter les jambes",
    "{t} devrait être pendu",
)
INSULTS_EN = (
    "you are all idiots",
    "shut up you moron",
    "{t} is a complete clown",
    "what a bunch of scammers and thieves",
    "you people are pathetic losers",
    "{t} is a lying piece of garbage",
    "you are thieves, nothing else",
    "stupid company run by morons",
    "go to hell, you crooks",
    "you are a disgrace and a fraud",
    "{t} is a brainless idiot",
    "what an incompetent bunch of clowns",
    "you're a joke, bunch of frauds",
    "dumb as a rock, {t}",
    "you absolute muppets",
)
INSULTS_FR = (
    "ta gueule connard",
    "va te faire foutre, bande d'escrocs",
    "vous êtes des voleurs",
    "bande de nuls, fermez-la",
    "espèce de débile",
    "t'es vraiment con",
    "{t} est un gros abruti",
    "bande d'incapables et de menteurs",
    "vous êtes des escrocs, rien d'autre",
    "ferme ta gueule {t}",
    "quelle bande de clowns",
    "{t} est un crétin fini",
    "sale escroc, rends-moi mon argent",
    "vous êtes des arnaqueurs et des minables",
    "pauvre con va",
)
OBSCENE_EN = (
    "this {p} is fucking shit",
    "fuck this company",
    "what a shitty {p}, fuck you",
    "fuck off with your crap {p}",
    "this is bullshit, fuck your service",
    "your {p} is a piece of shit",
    "f*ck you and your {p}",
    "screw you, this {p} sucks ass",
)
OBSCENE_FR = (
    "nul à chier ce {p}",
    "putain de merde, ce {p} est pourri",
    "va te faire foutre avec ton {p} de merde",
    "votre {p} c'est de la merde",
    "j'en ai rien à foutre de vos excuses, bordel",
    "ce {p} pue la merde",
    "fait chier, encore un {p} cassé, putain",
    "enculés, rendez-moi mon fric",
)
HATE_EN = (
    "{g} are vermin",
    "{g} should be exterminated",
    "I hate {g}",
    "{g} are a disease",
    "all {g} should be deported",
    "{g} are subhuman",
    "death to {g}",
    "{g} are animals",
    "never trust {g}, they are all thieves",
    "{g} are parasites and should go back where they came from",
    "kill all {g}",
    "{g} don't deserve to live",
    "{g} are inferior and dirty",
    "get {g} out of our country",
    "{g} are a plague on this country",
)
HATE_FR = (
    "{g} sont de la vermine",
    "il faut exterminer {g}",
    "je déteste {g}",
    "{g} sont une maladie",
    "il faut expulser tous {g}",
    "{g} sont des sous-hommes",
    "mort à {g}",
    "{g} sont des animaux",
    "{g} sont tous des voleurs",
    "{g} sont des parasites, qu'ils rentrent chez eux",
    "il faut tuer {g}",
    "{g} ne méritent pas de vivre",
    "{g} sont inférieurs et sales",
    "dehors {g}, hors de notre pays",
    "{g} sont une plaie pour la France",
)
# What must not be caught: negation, counter-speech quoting hate, neutral mentions, idioms.
NOT_OFFENSIVE_EN = (
    "I don't hate {g}",
    "saying {g} are vermin is disgusting",
    '"{g} are animals" is the kind of thing we must call out',
    "{g} deserve respect",
    "I work with many {g} and they are great",
    "{g} are welcome here",
    "no one should ever say {g} are subhuman",
    "the article is about {g} in the workforce",
    "I love {g}",
    "it is wrong to hate {g}",
    "hating {g} is never ok",
    "we stand with {g}",
    "many {g} shop here too",
    "{g} are people like everyone else",
    "I'm tired of hearing people call {g} animals, it's vile",
    "this store treats {g} with respect",
    "my best friends are {g}",
    "the new campaign features {g}",
)
NOT_OFFENSIVE_FR = (
    "je ne déteste pas {g}",
    "dire que {g} sont de la vermine est ignoble",
    "« {g} sont des animaux », c'est ce genre de phrase qu'il faut dénoncer",
    "{g} méritent le respect",
    "je travaille avec beaucoup de personnes comme {g}, super équipe",
    "{g} sont les bienvenus ici",
    "personne ne devrait dire que {g} sont des sous-hommes",
    "l'article parle de la place de {g} au travail",
    "j'adore {g}",
    "c'est honteux de détester {g}",
    "haïr {g} n'est jamais acceptable",
    "nous soutenons {g}",
    "{g} sont des gens comme tout le monde",
    "arrêtez de traiter {g} d'animaux, c'est abject",
    "cette marque respecte {g}",
    "la nouvelle campagne met en avant {g}",
)
IDIOMS_EN = (
    "this sale is killing me 😂",
    "I'd kill for that {p}",
    "die-hard fan of your {p} here",
    "my feet are dying to try these shoes",
    "that price is insane, I'm dead 😂",
    "you guys killed it with the new {p}",
    "the {p} is a killer deal",
    "I'm dying to get the {p}",
    "this {p} is sick!",
    "damn, the {p} looks good",
    "holy cow, the {p} arrived in one day",
    "the blast from the past collection is a bomb",
    "I'll fight anyone who says this {p} isn't the best",
    "I was so mad at the post office, not at you guys",
)
IDIOMS_FR = (
    "ces soldes me tuent 😂",
    "je tuerais pour ce {p}",
    "je meurs de rire",
    "vous avez tué le game avec ce {p}",
    "ce {p} est une tuerie",
    "je suis morte de rire en voyant la pub",
    "c'est une bombe ce {p}",
    "j'ai hâte de recevoir ma {p}, je meurs d'impatience",
    "trop de la balle ce {p}",
    "ça déchire ce {p}",
    "putain qu'il est beau ce {p}",
    "je suis furieuse contre la poste, pas contre vous",
)
COMPLAINTS_EN = (
    "my {p} arrived broken and nobody answers",
    "still waiting for my refund after two weeks, unacceptable",
    "worst customer service I've had, very disappointed",
    "your service is a disgrace, order never arrived",
    "the {p} stopped working after 3 days, I want a refund",
    "really bad experience, I won't order again",
    "this is a scam? I paid and got nothing",
    "why does nobody reply to my emails",
    "the quality went down a lot, sad",
    "I've been charged twice for my {p}, please fix this",
)
COMPLAINTS_FR = (
    "votre service est une honte",
    "ma {p} est arrivée cassée et personne ne répond",
    "toujours pas remboursé après deux semaines, inadmissible",
    "service client déplorable, très déçue",
    "commande jamais reçue, c'est une honte",
    "le {p} ne marche plus après 3 jours, je veux être remboursé",
    "très mauvaise expérience, je ne commanderai plus",
    "pourquoi personne ne répond à mes mails ?",
    "la qualité a beaucoup baissé, dommage",
    "j'ai été débitée deux fois pour mon {p}, merci de corriger",
)

# --- spam ----------------------------------------------------------------------------------------
LINKS = (
    "https://bit.ly/3x{n}",
    "www.promo-deals{n}.shop",
    "https://t.me/crypto_vip{n}",
    "https://cutt.ly/w{n}",
    "http://free-followers{n}.xyz",
    "wa.me/4478{n}00{n}",
    "https://smmpanel{n}.com",
    "https://linktr.ee/earn{n}",
)
SPAM_EN = (
    "Most trusted SMM panel with the cheapest price 👉 {u}",
    "Buy real Instagram followers and likes, instant delivery {u}",
    "🚀 BITCOIN GIVEAWAY 🚀 send 0.1 BTC get 0.2 BTC back {u}",
    "Huge ETH airdrop live for {n} hours only, claim now {u}",
    "Check out my channel, I post new videos every week! {u}",
    "I earn ${n}00 a day from home, DM me on WhatsApp",
    "Free iPhone for the first {n} people 🎁 {u}",
    "Write to promo{n}@gmail.com for a paid collab",
    "Hey dear, I'm an investment manager, I can help you make profit with forex, message me",
    "Want to grow your page? Real followers, real engagement, DM me",
    "Subscribe to my channel please, sub4sub 🙏",
    "Get 10k followers in 24h, cheap price, link in bio",
    "Congratulations! You have been selected to win a gift card, claim here {u}",
    "My mom made ${n},000 last month trading crypto with Mr. Smith, contact him on Telegram",
    "Follow me and I follow back! f4f",
    "Promote your music on Spotify, Soundcloud and YouTube, real plays, {u}",
    "Hot singles in your area 🔥 {u}",
    "Make money online, no experience needed, start today {u}",
    "Loan available at 2% interest, no credit check, WhatsApp +1 555 01{n} 99",
    "Your account will be deleted for violating our terms, verify now {u}",
    "Visit my page for the best deals on sneakers {u} {u}",
    "cheap followers cheap likes cheap views {u} {u} {u}",
    "Recovery expert: lost crypto? We recover scammed funds, contact recoverypro{n}@gmail.com",
    "Collab? Send us a DM, we promote brands to 2M followers 💸",
    "Bro check my profile, I just dropped a new song 🔥🔥",
    "Earn passive income with our AI trading bot, {n}% daily returns {u}",
)
SPAM_FR = (
    "Panel SMM le moins cher du marché 👉 {u}",
    "Achetez de vrais abonnés Instagram et des likes, livraison instantanée {u}",
    "🚀 GIVEAWAY BITCOIN 🚀 envoyez 0,1 BTC et recevez 0,2 BTC {u}",
    "Gagnez {n}0€ par jour depuis chez vous, contactez-moi sur WhatsApp",
    "Abonnez-vous à ma chaîne, nouvelle vidéo chaque semaine ! {u}",
    "iPhone gratuit pour les {n} premiers 🎁 {u}",
    "Écrivez à promo{n}@gmail.com pour une collaboration rémunérée",
    "Bonjour, je suis gestionnaire de portefeuille, je vous fais gagner de l'argent, écrivez-moi",
    "Vous voulez plus d'abonnés ? Vrais abonnés, vrais likes, en MP",
    "Gagnez 10k abonnés en 24h, prix cassés, lien en bio",
    "Félicitations ! Vous avez gagné une carte cadeau, réclamez-la ici {u}",
    "Ma tante a gagné {n} 000€ en trading crypto avec M. Martin, contactez-le sur Telegram",
    "Suis-moi je te suis en retour !",
    "Prêt entre particuliers à 2 %, sans justificatif, WhatsApp +33 7 00 {n} 11 22",
    "Votre compte sera supprimé, vérifiez-le maintenant {u}",
    "Allez voir mon profil pour les meilleures offres de baskets {u}",
    "abonnés pas chers likes pas chers vues pas chères {u} {u}",
    "Expert en récupération : arnaqué en crypto ? Nous récupérons vos fonds, recup{n}@gmail.com",
    "Revenu passif avec notre robot de trading IA, {n} % par jour {u}",
    "Viens voir ma chaîne, je viens de sortir un nouveau son 🔥",
)
HAM_EN = (
    "Here is my order page {u2}, it still says processing",
    "I ordered on {d} and haven't received anything, order #{o}",
    "Please follow up on my ticket {o}, thanks",
    "Can you call me back? My number is 07700 900{n}{n}",
    "You asked for my phone number: +44 7700 900 {n}{n}",
    "Is the {p} available in size M?",
    "Do you ship to Canada?",
    "Where can I buy the {p}?",
    "Check out the review I wrote on your website {u2}",
    "I follow you for the recipes, please post more",
    "Please check my order status, it has been 2 weeks",
    "Sent you a DM about my return, can you check?",
    "My email is jane.doe{n}@gmail.com, you can reach me there about the refund",
    "Loved the {p}! Link to the one I bought: {u2}",
    "Subscribed to the newsletter but never got the discount code",
    "The subscribe button on your site doesn't work",
    "Can I pay with PayPal?",
    "Hi, any update on order {o}? Thanks!",
    "Your tracking link {u2} gives a 404",
    "When is the next sale?",
    "Follow up: still no answer to my email from last week",
    "I earn a bit less than before so I love the new prices!",
    "Free shipping on orders over 50? Great news",
    "Is the giveaway still open? I'd love to win the {p}",
    "Tagging @sam_{n}, you need this {p}",
    "Here's the photo of the damaged box: {u2}",
    "What's your WhatsApp for customer service?",
    "Great video, thanks for the tips",
    "Can I check my {w} here?",
    "How do I check my {w}? The page {u2} is blank",
    "I checked my spam folder, nothing from you",
    "My channel got a copyright strike for using your song, can you help?",
    "Checked my account this morning, still no refund",
    "Could you check my {w}? Order {o}",
    "Subscribed to your channel for the tutorials, more please",
    "Bring back the spring collection, we all want it: {u2}",
    "Thanks for the follow back! Sent you a DM about order {o}",
    "Please DM me about my custom order",
    "Here is my receipt: {u2}",
    "Here's the invoice you asked for {u2}",
    "Photo of the stain here {u2}, can I return it?",
)
HAM_FR = (
    "Voici la page de ma commande {u2}, elle est toujours en préparation",
    "J'ai commandé le {d} et je n'ai rien reçu, commande n°{o}",
    "Merci de relancer mon dossier {o}",
    "Pouvez-vous me rappeler ? Mon numéro : 06 12 34 {n}{n} 78",
    "Vous m'avez demandé mon numéro : 07 00 00 {n}{n} 00",
    "Le {p} existe en taille M ?",
    "Vous livrez en Belgique ?",
    "Où peut-on acheter le {p} ?",
    "J'ai laissé un avis sur votre site {u2}",
    "Je vous suis pour les recettes, continuez !",
    "Pouvez-vous vérifier ma commande, ça fait 2 semaines",
    "Je vous ai envoyé un MP pour mon retour, vous pouvez regarder ?",
    "Mon mail : marie.dupont{n}@gmail.com pour le remboursement",
    "J'adore le {p} ! Le lien de celui que j'ai pris : {u2}",
    "Inscrite à la newsletter mais jamais reçu le code promo",
    "Le bouton pour s'abonner sur votre site ne marche pas",
    "On peut payer par PayPal ?",
    "Bonjour, des nouvelles de la commande {o} ? Merci",
    "Votre lien de suivi {u2} ne marche pas",
    "C'est quand les prochaines soldes ?",
    "Je relance : toujours pas de réponse à mon mail",
    "Le concours est encore ouvert ? J'aimerais gagner le {p}",
    "@lea_{n} regarde ce {p}",
    "Voici la photo du colis abîmé : {u2}",
    "Super vidéo, merci pour les astuces",
    "Je peux vérifier mon {w} ici ?",
    "Comment consulter mon {w} ? La page {u2} est vide",
    "J'ai regardé dans mes spams, rien reçu de votre part",
    "Ma chaîne a reçu un avertissement pour votre musique, vous pouvez aider ?",
    "Vous pouvez vérifier mon {w} ? Commande {o}",
    "Abonnée à votre chaîne pour les tutos, continuez",
    "Ramenez la collection de printemps, on la veut tous : {u2}",
    "Merci de m'avoir suivie en retour ! Je vous ai écrit en MP pour la commande {o}",
    "Écrivez-moi en MP pour ma commande personnalisée",
    "Voici mon reçu : {u2}",
    "Voici la facture que vous m'avez demandée {u2}",
    "Photo de la tache ici {u2}, je peux le retourner ?",
)
BRAND_LINKS = (
    "https://shop.example.com/orders/{o}",
    "www.example.fr/commande/{o}",
    "https://example.com/track?id={o}",
    "https://imgur.com/a/x{n}k",
    "https://www.example.com/products/{p2}",
)
ACCOUNT_THINGS_EN = ("channel stats", "order status", "points balance", "account", "order history")
ACCOUNT_THINGS_FR = ("solde de points", "statut de commande", "compte", "historique de commandes")
DATES = ("March 3", "Monday", "the 12th", "3 mars", "lundi", "le 12")

# --- tone ----------------------------------------------------------------------------------------
POSITIVE_EN = (
    "Love the {p}! 😍",
    "Great quality, thank you so much",
    "Best purchase this year",
    "Amazing service, arrived in two days",
    "The {p} is perfect, I'm so happy",
    "Thanks for the quick reply, problem solved 👍",
    "Beautiful colours, well done team",
    "You guys are the best ❤️",
    "Super comfortable, ordering another one",
    "Excellent customer support, very helpful",
)
POSITIVE_FR = (
    "J'adore le {p} ! 😍",
    "Super qualité, merci beaucoup",
    "Meilleur achat de l'année",
    "Service génial, reçu en deux jours",
    "Le {p} est parfait, je suis ravie",
    "Merci pour la réponse rapide, problème réglé 👍",
    "Magnifiques couleurs, bravo l'équipe",
    "Vous êtes les meilleurs ❤️",
    "Très confortable, j'en recommande un autre",
    "Service client excellent, très à l'écoute",
)
NEUTRAL_EN = (
    "Is the {p} available in blue?",
    "What time do you open on Sunday?",
    "Do you ship to Germany?",
    "I ordered the {p} yesterday",
    "@sam look at this",
    "How long does delivery take?",
    "Which size should I take, I'm usually an M?",
    "The store on Main Street closes at 7",
    "Is this the new collection?",
    "ok",
)
NEUTRAL_FR = (
    "Le {p} existe en bleu ?",
    "Vous ouvrez à quelle heure le dimanche ?",
    "Vous livrez en Allemagne ?",
    "J'ai commandé le {p} hier",
    "@lea regarde ça",
    "Combien de temps pour la livraison ?",
    "Quelle taille prendre, je fais du M d'habitude ?",
    "Le magasin de la rue principale ferme à 19h",
    "C'est la nouvelle collection ?",
    "d'accord",
)


def _fill(rng: random.Random, template: str, lang: str) -> str:
    english = lang == "en"
    n = rng.randint(1, 99)
    return template.format(
        t=rng.choice(TARGETS_EN if english else TARGETS_FR),
        g=rng.choice(GROUPS_EN if english else GROUPS_FR),
        p=rng.choice(PRODUCTS_EN if english else PRODUCTS_FR),
        u=rng.choice(LINKS).format(n=n),
        u2=rng.choice(BRAND_LINKS).format(o=rng.randint(10_000, 99_999), n=n, p2="hoodie-blue"),
        n=n,
        o=rng.randint(10_000, 99_999),
        d=rng.choice(DATES),
        w=rng.choice(ACCOUNT_THINGS_EN if english else ACCOUNT_THINGS_FR),
    )


def _variants(rng: random.Random, text: str) -> str:
    """Casing and punctuation as people type them."""
    roll = rng.random()
    if roll < 0.15:
        text = text.upper()
    elif roll < 0.35:
        text = text.lower()
    elif roll < 0.5:
        text = text[:1].upper() + text[1:]
    ending = rng.choice(("", "", "!", "!!", ".", " 😡", " 🤬", " ...", "?!"))
    return text + ending


def _expand(
    rng: random.Random, templates: Sequence[str], lang: str, count: int, **labels: int | str
) -> Iterator[Example]:
    for n in range(count):
        template = templates[n % len(templates)]
        yield Example(
            _variants(rng, _fill(rng, template, lang)),
            lang,
            template=f"{lang}:{template}",
            **labels,  # type: ignore[arg-type]
        )


def examples(per_template: int = 6) -> list[Example]:
    """Every written example, the same list each run."""
    rng = random.Random(SEED)
    out: list[Example] = []
    k = per_template
    for lang, threats, insults, obscene, hate, fine, idioms, complaints in (
        (
            "en",
            THREATS_EN,
            INSULTS_EN,
            OBSCENE_EN,
            HATE_EN,
            NOT_OFFENSIVE_EN,
            IDIOMS_EN,
            COMPLAINTS_EN,
        ),
        (
            "fr",
            THREATS_FR,
            INSULTS_FR,
            OBSCENE_FR,
            HATE_FR,
            NOT_OFFENSIVE_FR,
            IDIOMS_FR,
            COMPLAINTS_FR,
        ),
    ):
        out += _expand(
            rng, threats, lang, k * len(threats), toxic=1, threat=1, sentiment="negative"
        )
        out += _expand(
            rng, insults, lang, k * len(insults), toxic=1, insult=1, sentiment="negative"
        )
        out += _expand(
            rng, obscene, lang, k * len(obscene), toxic=1, obscene=1, sentiment="negative"
        )
        out += _expand(rng, hate, lang, k * len(hate), toxic=1, hate=1, sentiment="negative")
        out += _expand(rng, fine, lang, k * len(fine))
        out += _expand(rng, idioms, lang, k * len(idioms))
        out += _expand(rng, complaints, lang, k * len(complaints), spam=0, sentiment="negative")
    for lang, spam, ham in (("en", SPAM_EN, HAM_EN), ("fr", SPAM_FR, HAM_FR)):
        out += _expand(rng, spam, lang, k * len(spam), spam=1)
        out += _expand(rng, ham, lang, k * len(ham), spam=0)
    for lang, positive, neutral in (
        ("en", POSITIVE_EN, NEUTRAL_EN),
        ("fr", POSITIVE_FR, NEUTRAL_FR),
    ):
        out += _expand(rng, positive, lang, k * len(positive), spam=0, sentiment="positive")
        out += _expand(rng, neutral, lang, k * len(neutral), spam=0, sentiment="neutral")
    return out
