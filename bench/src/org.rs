//! The reference org (issue 11): a deterministic CIC configuration, the same for a given seed
//! and sizes on every machine. Users carry 1-5 phones (E.164, national formats, extensions) and
//! 0-5 direct skills; workgroups (about 40 members, 0-3 skills, 10 wrap-up codes), skills (some
//! of them languages), wrap-up codes and a shift-start stream of status changes are generated
//! too, ready for the kinds later issues add. Mutations: a 1 % drift list and the half of the
//! users an already populated org holds. The generator itself is `org_gen.rs`.

pub use crate::org_gen::{generate, Rng};
use serde_json::{json, Map, Value};

/// The fixed seed of the reference org.
pub const SEED: u64 = 0x5eed_0011;

/// Sizes of the reference org.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// CIC users.
    pub users: usize,
    /// Workgroups.
    pub workgroups: usize,
    /// Average members per workgroup.
    pub members_per_workgroup: usize,
    /// Skills, languages included.
    pub skills: usize,
    /// Of the skills, languages.
    pub languages: usize,
    /// Wrap-up codes.
    pub wrapup_codes: usize,
    /// Wrap-up codes per workgroup.
    pub wrapups_per_workgroup: usize,
    /// Agents whose status changes at the shift start.
    pub shift_agents: usize,
    /// The shift start's length, milliseconds.
    pub shift_window_ms: u64,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            users: 10_000,
            workgroups: 500,
            members_per_workgroup: 40,
            skills: 300,
            languages: 30,
            wrapup_codes: 200,
            wrapups_per_workgroup: 10,
            shift_agents: 2_000,
            shift_window_ms: 10_000,
        }
    }
}

impl Sizes {
    /// The reference org's proportions scaled to `users` users.
    pub fn with_users(users: usize) -> Sizes {
        let d = Sizes::default();
        let scale = |n: usize| (n * users).div_ceil(d.users).max(1);
        Sizes {
            users,
            workgroups: scale(d.workgroups),
            shift_agents: scale(d.shift_agents),
            ..d
        }
    }
}

/// The CIC user fields that hold phones, in the order a user gets them.
pub const PHONE_FIELDS: [&str; 5] = [
    "business_phone",
    "mobile_phone",
    "business_phone_2",
    "home_phone",
    "fax",
];

/// One CIC user.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// CIC user name.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Business email (unique).
    pub email: String,
    /// (field, number as typed in Interaction Administrator), 1-5 of them.
    pub phones: Vec<(&'static str, String)>,
    /// Direct skills (indexes into [`RefOrg::skills`]).
    pub skills: Vec<usize>,
}

/// One workgroup.
#[derive(Clone, Debug, PartialEq)]
pub struct Workgroup {
    /// Name.
    pub name: String,
    /// Members (indexes into [`RefOrg::users`]).
    pub members: Vec<usize>,
    /// Skills (indexes into [`RefOrg::skills`]).
    pub skills: Vec<usize>,
    /// Wrap-up codes (indexes into [`RefOrg::wrapup_codes`]).
    pub wrapup_codes: Vec<usize>,
}

/// One skill.
#[derive(Clone, Debug, PartialEq)]
pub struct Skill {
    /// Name.
    pub name: String,
    /// A language skill.
    pub language: bool,
}

/// One agent status change of the shift-start stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusChange {
    /// Milliseconds after the shift starts.
    pub at_ms: u64,
    /// The agent (index into [`RefOrg::users`]).
    pub user: usize,
    /// The CIC status.
    pub status: &'static str,
}

/// The whole reference org.
#[derive(Clone, Debug, PartialEq)]
pub struct RefOrg {
    /// Users.
    pub users: Vec<User>,
    /// Workgroups.
    pub workgroups: Vec<Workgroup>,
    /// Skills, the first `languages` of them languages.
    pub skills: Vec<Skill>,
    /// Wrap-up code names.
    pub wrapup_codes: Vec<String>,
    /// Status changes at a shift start, in time order.
    pub shift_start: Vec<StatusChange>,
}

impl User {
    /// The user as `gcsync_on_user_changed` takes it today (fields of issue 2; skills wait for
    /// the advanced-objects issue).
    pub fn cic_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("display_name".into(), json!(self.display_name));
        m.insert("business_email".into(), json!(self.email));
        for (field, number) in &self.phones {
            m.insert((*field).into(), json!(number));
        }
        Value::Object(m)
    }

    /// The phone field a change event rewrites: the mobile phone, or else the first phone.
    pub fn changing_field(&self) -> &'static str {
        let mobile = self.phones.iter().any(|(f, _)| *f == "mobile_phone");
        if mobile {
            "mobile_phone"
        } else {
            self.phones[0].0
        }
    }

    /// This user after its `version`-th change (version 0 is the user as generated): the phone
    /// [`User::changing_field`] names gets a new E.164 number.
    pub fn changed(&self, version: u64) -> User {
        let mut u = self.clone();
        if version > 0 {
            let field = self.changing_field();
            let at = u.phones.iter().position(|(f, _)| *f == field).unwrap_or(0);
            u.phones[at].1 = format!(
                "+1 317 {:03} {:04}",
                200 + version / 10_000 % 800,
                version % 10_000
            );
        }
        u
    }

    /// [`User::cic_json`] made exactly `bytes` long with every phone set and JSON whitespace,
    /// as a large CIC user payload (at least the compact JSON's length).
    pub fn padded_json(&self, bytes: usize) -> String {
        let mut v = self.cic_json();
        for (k, field) in PHONE_FIELDS.iter().enumerate() {
            if v.get(*field).is_none() {
                v[*field] = json!(format!("+1 317 555 {:04} x{}", k, 100 + k));
            }
        }
        let mut s = serde_json::to_string_pretty(&v).unwrap();
        let pad = bytes.saturating_sub(s.len());
        s.insert_str(1, &" ".repeat(pad));
        s
    }
}

impl RefOrg {
    /// The 1 % of users whose Genesys copy is edited behind gcsync's back (a drift), and the new
    /// display name each gets.
    pub fn drift(&self, seed: u64) -> Vec<(usize, String)> {
        let mut rng = Rng::new(seed ^ 0xd81f7);
        let n = self.users.len().div_ceil(100);
        rng.distinct(n, self.users.len())
            .into_iter()
            .map(|i| {
                (
                    i,
                    format!("{} (edited in Genesys)", self.users[i].display_name),
                )
            })
            .collect()
    }

    /// The users an org that already holds half of them has: every other one.
    pub fn half_populated(&self) -> impl Iterator<Item = &User> {
        self.users.iter().step_by(2)
    }

    /// Counts, for a summary line.
    pub fn summary(&self) -> String {
        let phones: usize = self.users.iter().map(|u| u.phones.len()).sum();
        let ext = self
            .users
            .iter()
            .flat_map(|u| &u.phones)
            .filter(|(_, p)| p.contains('x'))
            .count();
        let national = self
            .users
            .iter()
            .flat_map(|u| &u.phones)
            .filter(|(_, p)| !p.starts_with('+'))
            .count();
        let members: usize = self.workgroups.iter().map(|w| w.members.len()).sum();
        let user_skills: usize = self.users.iter().map(|u| u.skills.len()).sum();
        format!(
            "{} users ({phones} phones: {national} national-format, {ext} with extensions; \
             {user_skills} direct skills), {} workgroups ({members} memberships), {} skills \
             ({} languages), {} wrap-up codes, shift start {} status changes, drift {} users, \
             half-populated org {} users",
            self.users.len(),
            self.workgroups.len(),
            self.skills.len(),
            self.skills.iter().filter(|s| s.language).count(),
            self.wrapup_codes.len(),
            self.shift_start.len(),
            self.drift(SEED).len(),
            self.half_populated().count(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_org_and_another_seed_another() {
        let a = generate(SEED, Sizes::with_users(300));
        assert_eq!(a, generate(SEED, Sizes::with_users(300)));
        assert_ne!(a.users, generate(SEED + 1, Sizes::with_users(300)).users);
    }

    #[test]
    fn users_are_unique_and_have_the_promised_shapes() {
        let org = generate(SEED, Sizes::with_users(2_000));
        let mut ids: Vec<&str> = org.users.iter().map(|u| u.id.as_str()).collect();
        let mut emails: Vec<&str> = org.users.iter().map(|u| u.email.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!((ids.len(), emails.len()), (2_000, 2_000));
        for n in 1..=5 {
            assert!(org.users.iter().any(|u| u.phones.len() == n), "{n} phones");
        }
        assert!(org.users.iter().all(|u| (1..=5).contains(&u.phones.len())));
        assert!(org.users.iter().all(|u| u.skills.len() <= 5));
        let phones = || org.users.iter().flat_map(|u| &u.phones);
        assert!(phones().any(|(_, p)| p.starts_with('(')));
        assert!(phones().any(|(_, p)| p.contains(" x")));
        assert!(phones().any(|(_, p)| p.contains(" ext ")));
        assert_eq!(org.workgroups.len(), 100);
        assert_eq!(org.shift_start.len(), 400);
        assert!(org.shift_start.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    }

    #[test]
    fn a_padded_user_is_exactly_the_size_asked_and_still_the_same_json() {
        let org = generate(SEED, Sizes::with_users(10));
        for u in &org.users {
            let s = u.padded_json(1024);
            assert_eq!(s.len(), 1024);
            let v: Value = serde_json::from_str(&s).unwrap();
            assert_eq!(v["id"], json!(u.id));
            assert!(PHONE_FIELDS.iter().all(|f| v[*f].is_string()));
        }
        let c = org.users[0].changed(7);
        assert_ne!(c, org.users[0]);
        assert_eq!(org.users[0].changed(0), org.users[0]);
    }
}
