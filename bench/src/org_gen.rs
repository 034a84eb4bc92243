//! The reference org's generator: a SplitMix64 stream ([`Rng`]), the name, status and wrap-up
//! tables, and [`generate`], which draws users (names, 1-5 phones in mixed formats, direct
//! skills), workgroups and the shift-start status changes from it in a fixed order.

use crate::org::{RefOrg, Sizes, Skill, StatusChange, User, Workgroup, PHONE_FIELDS};

/// SplitMix64: small, fast and identical everywhere. The emulator's `Rng` (`util.rs`) is the
/// same generator, kept apart on purpose: a seed must draw the same reference org in every
/// BENCHMARKS run, whatever the emulator's dice become.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `k` distinct values of `0..n`, sorted.
    pub(crate) fn distinct(&mut self, k: usize, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(k.min(n));
        while out.len() < k.min(n) {
            let v = self.below(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out.sort_unstable();
        out
    }
}

const FIRST: [&str; 24] = [
    "Jane", "John", "María", "José", "Zoë", "Liam", "Olivia", "Noah", "Emma", "Lucas", "Mia",
    "Ethan", "Chloé", "Mateo", "Aiko", "Søren", "Priya", "Wei", "Fatima", "Omar", "Anna", "Ivan",
    "Grace", "Kwame",
];
const LAST: [&str; 24] = [
    "Doe",
    "Smith",
    "García",
    "Müller",
    "O'Brien",
    "Nguyen",
    "Kim",
    "Johnson",
    "Rossi",
    "Dubois",
    "Novak",
    "Silva",
    "Tanaka",
    "Andersen",
    "Patel",
    "Chen",
    "Haddad",
    "Khan",
    "Kowalski",
    "Ivanova",
    "Brown",
    "Mensah",
    "Van der Berg",
    "Lopez",
];
const CIC_STATUSES: [&str; 5] = [
    "Available",
    "Available",
    "Available",
    "Do Not Disturb",
    "Gone Home",
];
const WRAPUPS: [&str; 10] = [
    "Resolved",
    "Escalated",
    "Callback",
    "Billing",
    "Sales",
    "Complaint",
    "Transfer",
    "Voicemail",
    "Wrong number",
    "Follow-up",
];

fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'á' | 'à' | 'ä' | 'â' => Some('a'),
            'é' | 'è' | 'ë' => Some('e'),
            'í' => Some('i'),
            'ó' | 'ö' | 'ø' => Some('o'),
            'ü' | 'ú' => Some('u'),
            _ => None,
        })
        .collect()
}

/// A phone number as an administrator might type it: E.164 with or without spaces, a national
/// format, sometimes with an extension.
fn phone(rng: &mut Rng) -> String {
    let (area, line) = (200 + rng.below(800), rng.below(10_000));
    let exch = 200 + rng.below(800);
    let number = match rng.below(8) {
        0 | 1 => format!("+1 {area} {exch} {line:04}"),
        2 => format!("+1{area}{exch}{line:04}"),
        3 => format!("({area}) {exch}-{line:04}"),
        4 => format!("{area}-{exch}-{line:04}"),
        5 => format!("{area}.{exch}.{line:04}"),
        6 => format!("+44 20 7946 {line:04}"),
        _ => format!("+49 30 {exch}{line:04}"),
    };
    match rng.below(10) {
        0 => format!("{number} x{}", 100 + rng.below(9_900)),
        1 => format!("{number} ext {}", 10 + rng.below(90)),
        _ => number,
    }
}

fn user(rng: &mut Rng, i: usize, skills: usize) -> User {
    let (first, last) = (rng.pick(&FIRST), rng.pick(&LAST));
    let phones = (0..1 + rng.below(5))
        .map(|k| (PHONE_FIELDS[k], phone(rng)))
        .collect();
    let n_skills = rng.below(6);
    User {
        id: format!("{}{}{i}", ascii_slug(&first[..1]), ascii_slug(last)),
        display_name: format!("{first} {last}"),
        email: format!(
            "{}.{}.{i}@ref.example.com",
            ascii_slug(first),
            ascii_slug(last)
        ),
        phones,
        skills: rng.distinct(n_skills, skills),
    }
}

/// Generates the reference org for `seed` and `sizes`.
pub fn generate(seed: u64, sizes: Sizes) -> RefOrg {
    let mut rng = Rng::new(seed);
    let skills: Vec<Skill> = (0..sizes.skills)
        .map(|i| Skill {
            name: if i < sizes.languages {
                format!("Language {i:02}")
            } else {
                format!("Skill {i:03}")
            },
            language: i < sizes.languages,
        })
        .collect();
    let wrapup_codes: Vec<String> = (0..sizes.wrapup_codes)
        .map(|i| format!("{} {i:03}", WRAPUPS[i % WRAPUPS.len()]))
        .collect();
    let users: Vec<User> = (0..sizes.users)
        .map(|i| user(&mut rng, i, sizes.skills))
        .collect();
    let workgroups = (0..sizes.workgroups)
        .map(|i| {
            let spread = sizes.members_per_workgroup / 2;
            let n = sizes.members_per_workgroup - spread + rng.below(2 * spread + 1);
            let n_skills = rng.below(4);
            Workgroup {
                name: format!("Workgroup {i:03}"),
                members: rng.distinct(n, sizes.users),
                skills: rng.distinct(n_skills, sizes.skills),
                wrapup_codes: rng.distinct(sizes.wrapups_per_workgroup, sizes.wrapup_codes),
            }
        })
        .collect();
    let mut shift_start: Vec<StatusChange> = rng
        .distinct(sizes.shift_agents, sizes.users)
        .into_iter()
        .map(|user| StatusChange {
            at_ms: rng.next_u64() % sizes.shift_window_ms.max(1),
            user,
            status: rng.pick(&CIC_STATUSES),
        })
        .collect();
    shift_start.sort_by_key(|c| (c.at_ms, c.user));
    RefOrg {
        users,
        workgroups,
        skills,
        wrapup_codes,
        shift_start,
    }
}
