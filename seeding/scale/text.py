"""The scale incidents' text: places, people, actions and details, drawn into one story per incident."""

import random
from dataclasses import dataclass

from accounts.models import Site
from incidents.models import InvolvedParty
from incidents.services import PartyInput, VehicleInput

PLACES = [
    "loading bay 2", "north car park", "main entrance", "staff entrance", "level 1 food court",
    "service corridor B", "roof plant room", "underground car park, level -2", "fire exit 4",
    "reception", "warehouse aisle 12", "goods-in yard", "cash office", "east stairwell",
    "multi-storey car park, level 3", "bus stop outside the south doors", "toilets by the cinema",
    "perimeter fence, west side", "security control room", "delivery gate 3",
]  # fmt: skip
SUBJECTS = [
    "a man in a red jacket", "two teenagers", "a woman with a pushchair", "a group of four men",
    "a delivery driver", "a cyclist", "an elderly man", "a man in a grey hoodie", "a contractor",
    "a member of staff", "a customer", "a person with a large rucksack", "two men in hi-vis vests",
    "a woman in a black coat", "a young man on an e-scooter",
]  # fmt: skip
ACTIONS = {
    "burglary": ["forcing the shutter of", "climbing through a broken window at", "prising open the door at"],
    "theft": ["leaving without paying with goods from", "taking a handbag from a table in",
              "removing copper cable from", "putting perfume into a foil-lined bag in"],
    "robbery": ["threatening a cashier with a knife in", "snatching a phone from a customer in"],
    "trespass": ["climbing the fence at", "sleeping in", "refusing to leave"],
    "assault": ["punching a customer in", "pushing a guard to the floor in", "fighting in"],
    "suspicious-person": ["photographing the cameras in", "trying door handles in", "loitering in"],
    "suspicious-vehicle": ["parking with the engine running in", "circling slowly through"],
    "vandalism": ["spraying graffiti in", "smashing a glass panel in", "damaging a barrier at"],
    "fire": ["reporting smoke from a bin in", "seeing flames from a vehicle in"],
    "medical": ["collapsing in", "falling down the escalator near", "having a seizure in"],
    "alarm": ["setting off the intruder alarm in", "triggering the fire alarm in"],
    "panic": ["pressing the panic button in"],
    "disturbance": ["shouting at staff in", "arguing loudly in", "throwing chairs in"],
    "hazard": ["reporting an oil spill in", "reporting a gas smell in", "finding a loose ceiling tile in"],
    "animal": ["seeing a stray dog in", "finding an injured fox in"],
    "lost-found": ["handing in a wallet found in", "reporting a lost child in"],
    "other": ["asking for help in", "reporting a broken light in"],
}  # fmt: skip
DETAILS = [
    "CCTV footage kept.", "Police informed.", "Area cordoned off.", "First aid given.",
    "Subject left towards the bus station.", "Door secured afterwards.", "Witness details taken.",
    "Manager informed.", "Fire brigade attended.", "Ambulance called.",
    "Subject detained until police arrived.",
    "No injuries.", "Damage photographed.", "Keyholder called out.", "Patrol increased for the night.",
    "Forklift moved to block the gap.", "Description passed to neighbouring sites.",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Martin", "Cooper", "Kowalski", "Okafor",
    "Nguyen", "Murphy", "O'Brien", "Fernandes", "Ahmed", "Novak", "Rossi", "Schmidt", "Byrne", "Singh",
]  # fmt: skip
FIRST_NAMES = [
    "James", "Olivia", "Mohammed", "Amelia", "Noah", "Isla", "Jack", "Ava", "Leo", "Mia", "Oscar",
    "Grace", "Harry", "Sophia", "Arthur", "Lily", "George", "Freya", "Theo", "Zara",
]  # fmt: skip
VEHICLES = [
    "white Ford Transit van", "silver Vauxhall Astra", "black BMW 3 series", "blue Toyota Prius",
    "red Honda Civic", "grey Mercedes Sprinter", "green Land Rover Defender", "moped, no plate visible",
]  # fmt: skip
NOTES = [
    "Reviewed CCTV: subject visible at 14:02 at the entrance.", "Store manager has the receipt.",
    "Spoke to the witness again by phone.", "Insurance company informed.", "Keys handed to the night team.",
    "Photos of the damage uploaded.", "Subject recognised from a previous banning notice.",
]  # fmt: skip


@dataclass
class Story:
    """One incident's generated facts, before they become rows."""

    narrative: str
    location: str
    parties: list[PartyInput]
    vehicles: list[VehicleInput]


def story(rng: random.Random, category: str, site: Site) -> Story:
    """A plausible incident of ``category`` at ``site``."""
    subject = rng.choice(SUBJECTS)
    place = rng.choice(PLACES)
    action = rng.choice(ACTIONS.get(category, ACTIONS["other"]))
    details = " ".join(rng.sample(DETAILS, rng.randint(1, 3)))
    narrative = f"{subject[0].upper()}{subject[1:]} seen {action} the {place} at {site.name}. {details}"
    parties = []
    for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        role = rng.choice(InvolvedParty.Role.values)
        parties.append(PartyInput(role=role, description=f"{subject}, {role}", name=name))
    vehicles = []
    if category in ("suspicious-vehicle", "theft", "burglary") and rng.random() < 0.3:
        vehicles.append(VehicleInput(plate=_plate(rng), description=rng.choice(VEHICLES)))
    return Story(narrative=narrative, location=place, parties=parties, vehicles=vehicles)


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return (
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(10, 75)} "
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.choice(letters)}"
    )
