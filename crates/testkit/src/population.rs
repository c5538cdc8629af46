//! A synthetic UK population from a fixed seed, with the errors real records have: typing
//! slips, nicknames, day and month swapped, a year out, moves of house, missing fields, names
//! changed on marriage, given and family names swapped. Each record knows which person it is,
//! so recognition can be scored against the truth.

use chrono::{Datelike, NaiveDate};
use harbour_domain::linkage::Record;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const FEMALE: &[&str] = &[
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Mia",
    "Poppy",
    "Ella",
    "Lily",
    "Evie",
    "Isabella",
    "Sophie",
    "Ivy",
    "Freya",
    "Harper",
    "Willow",
    "Charlotte",
    "Jessica",
    "Sarah",
    "Emma",
    "Laura",
    "Rebecca",
    "Hannah",
    "Amy",
    "Rachel",
    "Lauren",
    "Chloe",
    "Megan",
    "Elizabeth",
    "Margaret",
    "Susan",
    "Patricia",
    "Catherine",
    "Victoria",
    "Jennifer",
    "Deborah",
    "Nicola",
    "Joanne",
    "Michelle",
    "Samantha",
    "Kimberley",
    "Natalie",
    "Alexandra",
    "Abigail",
    "Priya",
    "Aisha",
    "Fatima",
    "Zainab",
    "Wiktoria",
    "Zuzanna",
    "Alys",
    "Jodie",
    "Kelly",
    "Leanne",
    "Stacey",
    "Gemma",
    "Donna",
    "Tracey",
    "Julie",
    "Karen",
    "Angela",
    "Helen",
    "Alison",
    "Claire",
];

const MALE: &[&str] = &[
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Jack",
    "Charlie",
    "Thomas",
    "James",
    "William",
    "Joshua",
    "Daniel",
    "Matthew",
    "Samuel",
    "Benjamin",
    "Jonathan",
    "Christopher",
    "Michael",
    "David",
    "Richard",
    "Robert",
    "Stephen",
    "Andrew",
    "Anthony",
    "Peter",
    "Paul",
    "Mark",
    "Nicholas",
    "Timothy",
    "Edward",
    "Alexander",
    "Mohammed",
    "Ibrahim",
    "Yusuf",
    "Kacper",
    "Jakub",
    "Rhys",
    "Dylan",
    "Liam",
    "Connor",
    "Ryan",
    "Jamie",
    "Lewis",
    "Craig",
    "Darren",
    "Wayne",
    "Lee",
    "Gary",
    "Kevin",
    "Stuart",
    "Philip",
];

const SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Kowalski",
    "Nowak",
    "Wojcik",
    "Shah",
    "Nguyen",
    "Okafor",
    "Harroby",
    "Calder",
    "Brennan",
];

const SYLLABLES: &[&str] = &[
    "ash", "bar", "bel", "brook", "car", "dun", "el", "far", "gar", "hal", "hen", "ing", "ker",
    "lan", "ley", "mor", "nor", "par", "ridge", "sel", "ston", "ter", "thorn", "ton", "wick",
    "worth", "ford", "ham", "by", "den", "field", "more", "well", "wood", "croft", "fell",
];

const STREETS: &[&str] = &[
    "Quiet Lane",
    "Church Street",
    "Station Road",
    "High Street",
    "Mill Lane",
    "Park Road",
    "Victoria Road",
    "Green Lane",
    "Manor Road",
    "Queens Road",
    "New Road",
    "Grange Road",
    "Kings Road",
    "Stone Road",
    "Lichfield Road",
    "Newcastle Road",
    "Uttoxeter Road",
    "Wolverhampton Road",
    "Hednesford Road",
    "Cannock Road",
    "Leek Road",
    "Trent Valley Road",
    "Oak Avenue",
    "Beech Close",
    "Meadow View",
    "Orchard Way",
    "Riverside Drive",
    "The Crescent",
];

const TOWNS: &[(&str, &[&str])] = &[
    ("Stafford", &["ST16", "ST17", "ST18"]),
    ("Stoke-on-Trent", &["ST1", "ST2", "ST3", "ST4", "ST6"]),
    ("Newcastle-under-Lyme", &["ST5"]),
    ("Leek", &["ST13"]),
    ("Stone", &["ST15"]),
    ("Uttoxeter", &["ST14"]),
    ("Cannock", &["WS11", "WS12"]),
    ("Lichfield", &["WS13", "WS14"]),
    ("Rugeley", &["WS15"]),
    ("Burton upon Trent", &["DE13", "DE14", "DE15"]),
    ("Tamworth", &["B77", "B78", "B79"]),
];

const NICKNAMES: &[(&str, &str)] = &[
    ("Elizabeth", "Liz"),
    ("Margaret", "Maggie"),
    ("Catherine", "Kate"),
    ("Victoria", "Vicky"),
    ("Jennifer", "Jenny"),
    ("Deborah", "Debbie"),
    ("Samantha", "Sam"),
    ("Kimberley", "Kim"),
    ("Alexandra", "Alex"),
    ("Abigail", "Abbie"),
    ("Rebecca", "Becky"),
    ("Patricia", "Pat"),
    ("Thomas", "Tom"),
    ("James", "Jim"),
    ("William", "Bill"),
    ("Joshua", "Josh"),
    ("Daniel", "Dan"),
    ("Matthew", "Matt"),
    ("Samuel", "Sam"),
    ("Benjamin", "Ben"),
    ("Jonathan", "Jon"),
    ("Christopher", "Chris"),
    ("Michael", "Mike"),
    ("David", "Dave"),
    ("Richard", "Rick"),
    ("Robert", "Bob"),
    ("Stephen", "Steve"),
    ("Andrew", "Andy"),
    ("Anthony", "Tony"),
    ("Nicholas", "Nick"),
    ("Edward", "Ed"),
    ("Alexander", "Alex"),
    ("Timothy", "Tim"),
    ("Peter", "Pete"),
    ("Philip", "Phil"),
    ("Susan", "Sue"),
    ("Charlotte", "Lottie"),
];

/// One person's records.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Which person this record is of.
    pub person: u32,
    pub record: Record,
}

/// Weighted choice: earlier entries are more common, as names are. The weight of the i-th is
/// 1/(i + 20), a flattened Zipf law, which gives the commonest family name about the share
/// Smith has in England (a little over 1%, with the rare names below).
fn zipf<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    let total: f64 = (0..list.len()).map(|i| 1.0 / (i as f64 + 20.0)).sum();
    let mut x: f64 = rng.r#gen::<f64>() * total;
    for (i, item) in list.iter().enumerate() {
        x -= 1.0 / (i as f64 + 20.0);
        if x <= 0.0 {
            return item;
        }
    }
    list[list.len() - 1]
}

fn rare_surname(rng: &mut StdRng) -> String {
    let mut s: String = (0..rng.gen_range(2..5))
        .map(|_| *SYLLABLES.choose(rng).unwrap_or(&"ton"))
        .collect();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// A typing slip: a letter dropped, doubled, changed or swapped with the next.
fn slip(rng: &mut StdRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.len() < 3 {
        return text.to_owned();
    }
    let i = rng.gen_range(1..chars.len() - 1);
    match rng.gen_range(0..4) {
        0 => {
            chars.remove(i);
        }
        1 => chars.insert(i, chars[i]),
        2 => chars[i] = char::from(b'a' + rng.gen_range(0..26u8)),
        _ => chars.swap(i, i + 1),
    }
    chars.into_iter().collect()
}

fn postcode(rng: &mut StdRng, district: &str) -> String {
    let letters = "ABDEFGHJLNPQRSTUWXYZ".as_bytes();
    format!(
        "{district} {}{}{}",
        rng.gen_range(1..10),
        char::from(letters[rng.gen_range(0..letters.len())]),
        char::from(letters[rng.gen_range(0..letters.len())])
    )
}

fn home(rng: &mut StdRng) -> (String, String) {
    let (town, districts) = TOWNS[rng.gen_range(0..TOWNS.len())];
    let district = districts[rng.gen_range(0..districts.len())];
    let street = zipf(rng, STREETS);
    (
        postcode(rng, district),
        format!("{} {street}, {town}", rng.gen_range(1..250)),
    )
}

/// `records` records of people from `seed`, each person's records together, in a shuffled order.
pub fn population(records: usize, seed: u64) -> Vec<Entry> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(records);
    let first_day = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
    let mut person = 0u32;
    while out.len() < records {
        let female = rng.gen_bool(0.6);
        let given = zipf(&mut rng, if female { FEMALE } else { MALE }).to_owned();
        let family = if rng.gen_bool(0.6) {
            rare_surname(&mut rng)
        } else {
            zipf(&mut rng, SURNAMES).to_owned()
        };
        let born = first_day + chrono::Days::new(rng.gen_range(0..25_000));
        let (pc, address) = home(&mut rng);
        let truth = Record {
            given_name: given,
            family_name: family,
            previous_names: Vec::new(),
            date_of_birth: Some(born),
            postcode: pc,
            address,
            phone: if rng.gen_bool(0.6) {
                format!("07700 {:06}", rng.gen_range(0..1_000_000))
            } else {
                String::new()
            },
            email: String::new(),
            gender: if female { "female" } else { "male" }.into(),
            identifier: if rng.gen_bool(0.2) {
                format!("SP{:08}", rng.gen_range(0..100_000_000))
            } else {
                String::new()
            },
        };
        let copies = match rng.gen_range(0..100) {
            0..=54 => 1,
            55..=79 => 2,
            80..=91 => 3,
            _ => rng.gen_range(4..7),
        };
        for copy in 0..copies {
            if out.len() >= records {
                break;
            }
            let record = if copy == 0 {
                truth.clone()
            } else {
                vary(&mut rng, &truth)
            };
            out.push(Entry { person, record });
        }
        person += 1;
    }
    out.shuffle(&mut rng);
    out
}

/// Another record of the same person, as another agency or another year wrote it. The rates:
/// a nickname for 8%; a slip in the given name 10%, in the family name 10%; a woman's family
/// name changed on marriage 4% (the old one kept as a previous name half the time); given and
/// family names swapped 1%; the date of birth missing 3%, day and month swapped 3% (where the
/// day could be a month), the day wrong 4%, a year out 2%; moved house 12% (new postcode and
/// address); postcode missing 5% or mistyped 3%; telephone number left off 30%; identifier
/// left off 50%.
fn vary(rng: &mut StdRng, truth: &Record) -> Record {
    let mut r = truth.clone();
    if rng.gen_bool(0.08)
        && let Some((_, short)) = NICKNAMES.iter().find(|(full, _)| *full == r.given_name)
    {
        r.given_name = (*short).to_owned();
    }
    if rng.gen_bool(0.1) {
        r.given_name = slip(rng, &r.given_name);
    }
    if rng.gen_bool(0.1) {
        r.family_name = slip(rng, &r.family_name);
    }
    if r.gender == "female" && rng.gen_bool(0.04) {
        // Married (or divorced): a new family name, the old one sometimes recorded.
        let old = std::mem::replace(&mut r.family_name, zipf(rng, SURNAMES).to_owned());
        if rng.gen_bool(0.5) {
            r.previous_names.push(old);
        }
    }
    if rng.gen_bool(0.01) {
        std::mem::swap(&mut r.given_name, &mut r.family_name);
    }
    if let Some(born) = r.date_of_birth {
        let roll = rng.gen_range(0..100);
        r.date_of_birth = match roll {
            0..=2 => None,
            3..=5 if born.day() <= 12 => {
                NaiveDate::from_ymd_opt(born.year(), born.day(), born.month())
            }
            6..=9 => NaiveDate::from_ymd_opt(born.year(), born.month(), 1 + (born.day() + 2) % 28),
            10..=11 => NaiveDate::from_ymd_opt(born.year() + 1, born.month(), born.day().min(28)),
            _ => Some(born),
        };
    }
    if rng.gen_bool(0.12) {
        let (pc, address) = home(rng);
        r.postcode = pc;
        r.address = address;
    } else if rng.gen_bool(0.05) {
        r.postcode = String::new();
    } else if rng.gen_bool(0.03) {
        r.postcode = slip(rng, &r.postcode);
    }
    if rng.gen_bool(0.3) {
        r.phone = String::new();
    }
    if rng.gen_bool(0.5) {
        r.identifier = String::new();
    }
    r
}

/// Writes a population as CSV: `id,person,given_name,family_name,previous_names,date_of_birth,
/// postcode,address,phone,gender,identifier` (previous names joined by ";").
pub fn write_csv(path: &std::path::Path, people: &[Entry]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "id,person,given_name,family_name,previous_names,date_of_birth,postcode,address,phone,gender,identifier"
    )?;
    for (i, e) in people.iter().enumerate() {
        let r = &e.record;
        writeln!(
            out,
            "r{i},{},{},{},{},{},{},\"{}\",{},{},{}",
            e.person,
            r.given_name,
            r.family_name,
            r.previous_names.join(";"),
            r.date_of_birth
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            r.postcode,
            r.address,
            r.phone,
            r.gender,
            r.identifier
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The `--map` for a file [`write_csv`] wrote.
pub const MAP: &str = "given_name=given_name,family_name=family_name,previous_names=previous_names,\
date_of_birth=date_of_birth,postcode=postcode,address=address,phone=phone,gender=gender,identifier=identifier";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let a = population(500, 3);
        let b = population(500, 3);
        assert_eq!(a.len(), 500);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.person == y.person && x.record == y.record)
        );
        let people: std::collections::BTreeSet<u32> = a.iter().map(|e| e.person).collect();
        assert!(people.len() < 400, "some people have several records");
    }
}
