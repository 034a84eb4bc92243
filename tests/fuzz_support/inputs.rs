//! The inputs of `tests/fuzz_exports.rs`: proptest strategies for texts of every shape, UTF-16
//! forms with stray surrogates, and the ways a call passes its length.

use super::kinds::{all_fields, object_of, USER};
use gcsync::result::GcsyncResult;
use proptest::prelude::*;
use proptest::sample::Index;

pub fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| serde_json::to_string(&x).unwrap()),
        "[1-9][0-9]{19,300}",                              // past u64 and f64
        "-?[0-9]{1,3}(\\.[0-9]{1,3})?[eE][+-]?[0-9]{3,6}", // exponent overflow
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "\"[a-z0-9@.+ ()x-]{0,24}\"",
        Just("\"\\ud800\"".to_string()), // an escaped lone surrogate
        Just("\"a\u{1}b\"".to_string()), // a raw control character
        Just("\"+1 317 555 0100 x12\"".to_string()),
    ]
}

/// A key of random JSON: mostly a field of some kind.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(all_fields()).prop_map(str::to_string),
        1 => Just("users".to_string()),
        1 => any::<String>(),
    ]
}

pub fn object(fields: Vec<(String, String)>) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Random JSON of any shape.
pub fn json() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key(), inner), 0..8).prop_map(object),
        ]
    })
}

/// A random ("fuzzed") user's id: never one of the tracked `fz-` users. The plain ones come
/// from a small pool, so a long run changes and deletes the same objects again rather than
/// filling the org with millions.
pub fn fuzz_id() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{1,3}", any::<String>(), "[ \t]{0,3}", "a{250,300}",].prop_map(|s| {
        if s.starts_with("fz-") {
            format!("x{s}")
        } else {
            s
        }
    })
}

/// A user-shaped object (see [`object_of`]).
pub fn user() -> impl Strategy<Value = String> {
    object_of(&USER)
}

pub fn snapshot() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(user(), 0..5).prop_map(|u| format!("{{\"users\":[{}]}}", u.join(","))),
        1 => json().prop_map(|j| format!("{{\"users\":{j}}}")),
    ]
}

/// Nesting far past any parser's recursion limit, closed or not.
pub fn deep() -> impl Strategy<Value = String> {
    (
        1usize..20_000,
        prop::sample::select(vec!["[", "{\"id\":", "{\"users\":["]),
        any::<bool>(),
    )
        .prop_map(|(n, open, close)| {
            let mut s = open.repeat(n);
            if close {
                s.push_str(&"]".repeat(n));
            }
            s
        })
}

/// A text for a hook: JSON of the given shape, or anything else.
pub fn text(shaped: BoxedStrategy<String>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => shaped.prop_map(String::into_bytes),
        2 => json().prop_map(String::into_bytes),
        1 => deep().prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..400),
    ]
}

/// How a call passes its text: all of it, cut short anywhere, NULL, or a length far over
/// `max_payload_bytes` (documented to be refused before the buffer is read).
#[derive(Debug, Clone)]
pub enum Len {
    Whole,
    Cut(Index),
    Null(usize),
    Huge(usize),
}

pub fn len() -> impl Strategy<Value = Len> {
    prop_oneof![
        6 => Just(Len::Whole),
        3 => any::<Index>().prop_map(Len::Cut),
        1 => any::<usize>().prop_map(Len::Null),
        1 => ((1usize << 20) + 1..=usize::MAX).prop_map(Len::Huge),
    ]
}

/// Calls `f(ptr, len)` as `how` says.
pub fn call<T>(
    data: &[T],
    how: &Len,
    mut f: impl FnMut(*const T, usize) -> GcsyncResult,
) -> GcsyncResult {
    match how {
        Len::Whole => f(data.as_ptr(), data.len()),
        Len::Cut(i) => f(data.as_ptr(), i.index(data.len() + 1)),
        Len::Null(n) => f(std::ptr::null(), *n),
        Len::Huge(n) => f(data.as_ptr(), *n),
    }
}

/// UTF-16 of a text, sometimes with a surrogate dropped in at a random place; or random units.
pub fn utf16(t: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        3 => t.prop_map(|b| String::from_utf8_lossy(&b).encode_utf16().collect()),
        2 => (json(), any::<Index>(), 0xD800u16..=0xDFFF).prop_map(|(j, at, s)| {
            let mut u: Vec<u16> = format!("{{\"id\":\"\u{1F600}\",\"x\":{j}}}").encode_utf16().collect();
            let at = at.index(u.len() + 1);
            u.insert(at, s);
            u
        }),
        1 => prop::collection::vec(any::<u16>(), 0..300),
    ]
}
