//! The payloads of every object kind for `tests/fuzz_exports.rs`, from one table: each kind's
//! fields and their types (README, "Object kinds and the generic hooks", "CIC user JSON",
//! "Agent status JSON"). The table drives every kind's strategies: objects gcsync must accept,
//! objects of the kind's shape with right or wrong values (ids blank, too long, with control
//! characters; proficiency outside 1-100; members and code lists of the wrong type), unknown and
//! duplicate fields, and staged full-sync chunks.

use super::inputs::{fuzz_id, json, leaf, object};
use gcsync::object::GcsyncObjectKind::{self, *};
use proptest::prelude::*;
use serde_json::{json as j, Map, Value};

/// A field's type.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    Id,
    Text,
    /// Text that is not blank (a wrap-up code's name).
    Name,
    Email,
    Phone,
    Bool,
    /// A list of CIC ids (workgroup members, wrap-up codes).
    Ids,
    /// A list of `{"id", "proficiency"}` (user and workgroup skills).
    Skills,
    /// An agent status key (required, not blank).
    Status,
}

/// One kind: its number and its fields (`true`: required).
#[derive(Debug)]
pub struct Spec {
    pub kind: GcsyncObjectKind,
    pub fields: &'static [(&'static str, Ty, bool)],
}

use Ty::*;

pub const USER: Spec = Spec {
    kind: User,
    fields: &[
        ("id", Id, true),
        ("display_name", Text, false),
        ("business_email", Email, false),
        ("business_phone", Phone, false),
        ("business_phone_2", Phone, false),
        ("mobile_phone", Phone, false),
        ("home_phone", Phone, false),
        ("fax", Phone, false),
        ("skills", Skills, false),
    ],
};
pub const WORKGROUP: Spec = Spec {
    kind: Workgroup,
    fields: &[
        ("id", Id, true),
        ("members", Ids, false),
        ("skills", Skills, false),
        ("wrapup_codes", Ids, false),
    ],
};
pub const SKILL: Spec = Spec {
    kind: Skill,
    fields: &[("id", Id, true), ("treat_as_language", Bool, false)],
};
pub const WRAPUP_CODE: Spec = Spec {
    kind: WrapupCode,
    fields: &[
        ("id", Id, true),
        ("name", Name, false),
        ("label", Text, false),
        ("category", Text, false),
    ],
};
pub const AGENT_STATUS: Spec = Spec {
    kind: AgentStatus,
    fields: &[
        ("id", Id, true),
        ("status", Status, true),
        ("group", Text, false),
        ("do_not_disturb", Bool, false),
        ("acd_allowed", Bool, false),
        ("after_call_work", Bool, false),
        ("logged_in", Bool, false),
        ("on_acd_interaction", Bool, false),
    ],
};

/// Every kind, in number order.
pub const KINDS: [&Spec; 5] = [&USER, &WORKGROUP, &SKILL, &WRAPUP_CODE, &AGENT_STATUS];

/// Every field name of every kind (keys of random JSON).
pub fn all_fields() -> Vec<&'static str> {
    let mut v: Vec<_> = KINDS
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.0))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A valid id: never blank, never a tracked `fz-` id (no `-`); from a pool of about 4 000, so a
/// long run changes and deletes the same objects again (and the org stays small enough to
/// settle) rather than creating millions.
pub fn good_id() -> impl Strategy<Value = String> {
    "[a-z][ ._]?[a-z0-9]?"
}

fn no_controls(s: String) -> String {
    s.replace(|c: char| c.is_control(), "")
}

/// A value of type `ty` that gcsync accepts.
pub fn valid_value(ty: Ty) -> BoxedStrategy<Value> {
    match ty {
        Id => good_id().prop_map(Value::from).boxed(),
        Text => prop_oneof![
            any::<String>().prop_map(no_controls),
            "[A-Za-z0-9 .,'()&-]{0,40}"
        ]
        .prop_map(Value::from)
        .boxed(),
        Name => ("[A-Za-z0-9]", any::<String>().prop_map(no_controls))
            .prop_map(|(a, b)| Value::from(a + &b))
            .boxed(),
        Email => "[a-z]{1,8}@fuzz\\.example".prop_map(Value::from).boxed(),
        Phone => prop_oneof![
            Just(Value::Null),
            Just("+1 317 555 0100".into()),
            Just("+44 20 7946 0958 x12".into()),
            "[0-9 ()+x-]{0,16}".prop_map(Value::from),
        ]
        .boxed(),
        Bool => any::<bool>().prop_map(Value::from).boxed(),
        Ids => prop::collection::btree_set(good_id(), 0..4)
            .prop_map(|s| j!(s))
            .boxed(),
        Skills => prop::collection::btree_map(good_id(), 1i64..=100, 0..4)
            .prop_map(|m| {
                let list: Vec<Value> = m
                    .into_iter()
                    .map(|(id, p)| j!({"id": id, "proficiency": p}))
                    .collect();
                Value::from(list)
            })
            .boxed(),
        Status => prop_oneof![
            prop::sample::select(vec!["Available", "At Lunch", "Gone Home", "Do Not Disturb"])
                .prop_map(str::to_string),
            "[A-Za-z][A-Za-z ,-]{0,20}",
        ]
        .prop_map(Value::from)
        .boxed(),
    }
}

fn quoted(v: String) -> String {
    serde_json::to_string(&v).unwrap()
}

/// A wrong (or borderline) value for a field of type `ty`, as JSON text.
pub fn wrong_value(ty: Ty) -> BoxedStrategy<String> {
    match ty {
        Id | Status | Text | Name | Email => prop_oneof![
            fuzz_id().prop_map(quoted),
            "a{255,258}".prop_map(quoted), // both sides of the 256-byte id limit
            Just("\"a\\u0000b\"".to_string()),
            Just("\"\\u0085\"".to_string()), // a C1 control character
            leaf(),
        ]
        .boxed(),
        Ids => prop_oneof![
            prop::collection::vec(fuzz_id().prop_map(quoted), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(leaf(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            Just("[\"x\",\"x\"]".to_string()), // a duplicate
            leaf(),
        ]
        .boxed(),
        Skills => {
            let proficiency = prop_oneof![
                3 => (-5i64..=105).prop_map(|n| n.to_string()),
                1 => any::<i64>().prop_map(|n| n.to_string()),
                1 => leaf(),
                1 => Just("50.5".to_string()),
            ];
            let entry = (fuzz_id(), proficiency, any::<bool>(), 0u8..4).prop_map(
                |(id, p, with_id, extra)| {
                    let mut f = vec![("proficiency".to_string(), p)];
                    if with_id {
                        f.insert(0, ("id".to_string(), quoted(id)));
                    }
                    match extra {
                        0 => f.push(("stars".to_string(), "3".to_string())),
                        1 => f.push(("proficiency".to_string(), "7".to_string())),
                        _ => {}
                    }
                    object(f)
                },
            );
            prop_oneof![
                3 => prop::collection::vec(entry, 0..4).prop_map(|v| format!("[{}]", v.join(","))),
                1 => leaf(),
            ]
            .boxed()
        }
        Bool | Phone => prop_oneof![leaf(), json()].boxed(),
    }
}

/// An object of `spec`'s kind that gcsync must accept (`id` included).
pub fn valid(spec: &'static Spec) -> BoxedStrategy<Map<String, Value>> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = spec
        .fields
        .iter()
        .map(|&(name, ty, required)| {
            let v = valid_value(ty).prop_map(move |v| (name.to_string(), v));
            if required {
                v.prop_map(Some).boxed()
            } else {
                prop::option::of(v).boxed()
            }
        })
        .collect();
    fields
        .prop_map(|f| f.into_iter().flatten().collect())
        .boxed()
}

/// A field of `spec`'s kind (or an unknown one) with a right, wrong or random value.
fn field(spec: &'static Spec) -> BoxedStrategy<(String, String)> {
    let known = prop::sample::select(spec.fields).prop_flat_map(|(name, ty, _)| {
        let value = prop_oneof![
            3 => valid_value(ty).prop_map(|v| v.to_string()),
            2 => wrong_value(ty),
            1 => json(),
        ];
        (Just(name.to_string()), value)
    });
    let unknown = (
        prop_oneof![
            prop::sample::select(all_fields()).prop_map(str::to_string),
            Just("users".to_string()),
            any::<String>(),
        ],
        leaf(),
    );
    prop_oneof![6 => known, 1 => unknown].boxed()
}

/// An object of `spec`'s kind: valid ones, and ones of its shape with random fields (an `id`
/// first half the time, fields right or wrong, unknown, repeated).
pub fn object_of(spec: &'static Spec) -> BoxedStrategy<String> {
    let shaped = (
        prop::option::weighted(0.8, wrong_value(Id)),
        prop::collection::vec(field(spec), 0..6),
    )
        .prop_map(|(id, mut fields)| {
            if let Some(id) = id {
                fields.insert(0, ("id".to_string(), id));
            }
            object(fields)
        });
    prop_oneof![
        2 => shaped,
        1 => valid(spec).prop_map(|m| Value::Object(m).to_string()),
    ]
    .boxed()
}

/// A chunk for `gcsync_force_sync_add` of `spec`'s kind: an array of its objects (valid ones
/// with distinct ids, or anything of its shape), or random JSON.
pub fn chunk(spec: &'static Spec) -> BoxedStrategy<String> {
    let distinct = prop::collection::btree_map(good_id(), valid(spec), 0..5).prop_map(|m| {
        let list: Vec<Value> = m
            .into_iter()
            .map(|(id, mut o)| {
                o.insert("id".into(), id.into());
                Value::Object(o)
            })
            .collect();
        Value::from(list).to_string()
    });
    prop_oneof![
        3 => distinct,
        3 => prop::collection::vec(object_of(spec), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
        1 => json(),
    ]
    .boxed()
}

/// Any kind's spec.
pub fn any_spec() -> impl Strategy<Value = &'static Spec> {
    prop::sample::select(KINDS.to_vec())
}
