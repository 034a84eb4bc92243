//! Strict input, the same at every entry point: each rejected case gets its code and a message
//! naming the field, each accepted one is taken, at every entry point and in both encodings.

use crate::common::*;
use crate::entries::{Arg, Enc, Entry, ENTRIES};
use gcsync::result::GcsyncResult;

/// One input case: where it applies, the argument per entry point, the code and a text the
/// message must contain (`{field}` stands for the entry's id field name).
struct Case {
    what: String,
    entries: Vec<Entry>,
    encs: Vec<Enc>,
    arg: Box<dyn Fn(Entry) -> Arg>,
    code: GcsyncResult,
    says: String,
}

fn case(
    what: impl Into<String>,
    entries: &[Entry],
    arg: impl Fn(Entry) -> Arg + 'static,
    code: GcsyncResult,
    says: impl Into<String>,
) -> Case {
    Case {
        what: what.into(),
        entries: entries.to_vec(),
        encs: vec![Enc::Utf8, Enc::Utf16],
        arg: Box::new(arg),
        code,
        says: says.into(),
    }
}

fn only(mut c: Case, enc: Enc) -> Case {
    c.encs = vec![enc];
    c
}

const MAX_PAYLOAD: usize = 4096;

fn rejected_cases() -> Vec<Case> {
    use GcsyncResult::*;
    let json = [Entry::UserChanged, Entry::ObjectChanged, Entry::ForceSync];
    let mut cases = vec![
        case(
            "NULL",
            &ENTRIES,
            |_| Arg::Null,
            NullParameter,
            "must not be NULL",
        ),
        only(
            case(
                "invalid UTF-8",
                &ENTRIES,
                |e| {
                    let mut b = e.with_id("ab").into_bytes();
                    let at = b.iter().position(|c| *c == b'b').unwrap();
                    b[at] = 0xff;
                    Arg::Bytes(b)
                },
                InvalidUtf8,
                "not valid UTF-8",
            ),
            Enc::Utf8,
        ),
        only(
            case(
                "unpaired surrogate",
                &ENTRIES,
                |e| {
                    let mut u: Vec<u16> = e.with_id("ab").encode_utf16().collect();
                    let at = u.iter().position(|c| *c == u16::from(b'b')).unwrap();
                    u[at] = 0xDC01;
                    Arg::Units(u)
                },
                InvalidUtf16,
                "unpaired surrogate 0xDC01 at code unit",
            ),
            Enc::Utf16,
        ),
        case(
            "over max_payload_bytes",
            &ENTRIES,
            |e| Arg::Text(e.with_id(&"x".repeat(MAX_PAYLOAD + 1))),
            PayloadTooLarge,
            "max_payload_bytes",
        ),
        case(
            "a 257-byte id (128 × é + i)",
            &ENTRIES,
            |e| Arg::Text(e.with_id(&format!("{}i", "é".repeat(128)))),
            InvalidField,
            "{field} is 257 bytes; at most 256",
        ),
        case(
            "an empty id",
            &ENTRIES,
            |e| Arg::Text(e.with_id("")),
            MissingField,
            "{field} must not be empty",
        ),
    ];
    for c in [
        '\0', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{85}',
    ] {
        cases.push(case(
            format!("U+{:04X} in the id", u32::from(c)),
            &ENTRIES,
            move |e| Arg::Text(e.with_id(&format!("jo{c}hn"))),
            InvalidField,
            format!("{{field}} must not contain control characters (U+0000-U+001F, U+007F-U+009F); found U+{:04X} at byte 2", u32::from(c)),
        ));
    }
    for &field in &CIC_USER_FIELDS[1..] {
        cases.push(case(
            format!("U+0007 in {field}"),
            &json,
            move |e| Arg::Text(e.with_user(serde_json::json!({"id": "ok", field: "a\u{7}b"}))),
            InvalidField,
            format!("{field} must not contain control characters"),
        ));
    }
    let array = r#"["arr1","Array User","a@b.c"]"#;
    let shaped = |user: &'static str, snap: &'static str| {
        move |e: Entry| Arg::Text(if e != Entry::ForceSync { user } else { snap }.into())
    };
    cases.extend([
        case(
            "an array for the object",
            &json,
            shaped(array, r#"[["arr1","Array User","a@b.c"]]"#),
            InvalidField,
            "expected a JSON object",
        ),
        case(
            "an array for a snapshot user",
            &[Entry::ForceSync],
            shaped(array, r#"{"users":[["arr1","Array User","a@b.c"]]}"#),
            InvalidField,
            "expected a JSON object",
        ),
        case(
            "a string for the object",
            &json,
            shaped(r#""jdoe""#, r#""jdoe""#),
            InvalidField,
            "expected a JSON object",
        ),
        case(
            "a number for the object",
            &json,
            shaped("42", "42"),
            InvalidField,
            "expected a JSON object",
        ),
        case(
            "null for the object",
            &json,
            shaped("null", "null"),
            InvalidField,
            "expected a JSON object",
        ),
        case(
            "truncated JSON",
            &json,
            shaped(r#"{"id":"#, r#"{"users":[{"id":"a"}"#),
            MalformedJson,
            "EOF",
        ),
        case(
            "trailing garbage",
            &json,
            shaped(r#"{"id":"a"} x"#, r#"{"users":[]} x"#),
            MalformedJson,
            "trailing",
        ),
        case(
            "an unknown field",
            &json,
            |e| Arg::Text(e.with_user(serde_json::json!({"id":"a","nickname":"x"}))),
            UnknownField,
            "unknown field `nickname`",
        ),
        case(
            "a missing id",
            &json,
            |e| {
                Arg::Text(
                    e.with_user(serde_json::json!({"display_name":"x"}))
                        .replace(r#""id":null,"#, ""),
                )
            },
            MissingField,
            "missing field `id`",
        ),
        case(
            "a number for the id",
            &json,
            |e| Arg::Text(e.with_user(serde_json::json!({"id": 5}))),
            InvalidField,
            "invalid type: integer `5`",
        ),
        case(
            "a duplicate field",
            &json,
            shaped(
                r#"{"id":"a","id":"b"}"#,
                r#"{"users":[{"id":"a","id":"b"}]}"#,
            ),
            InvalidField,
            "duplicate field `id`",
        ),
        case(
            "a duplicate user",
            &[Entry::ForceSync],
            shaped("", r#"{"users":[{"id":"a"},{"id":"a"}]}"#),
            InvalidField,
            "users[1]: duplicate id",
        ),
    ]);
    cases
}

fn accepted_cases() -> Vec<Case> {
    let ok = GcsyncResult::Ok;
    vec![
        case(
            "a 256-byte id",
            &ENTRIES,
            |e| Arg::Text(e.with_id(&"i".repeat(256))),
            ok,
            "",
        ),
        case(
            "a non-ASCII id",
            &ENTRIES,
            |e| Arg::Text(e.with_id("nguyễn.thu")),
            ok,
            "",
        ),
        case(
            "a user with every field",
            &[Entry::UserChanged, Entry::ObjectChanged, Entry::ForceSync],
            |e| {
                Arg::Text(e.with_user(
                    serde_json::json!({"id":"full","display_name":"Nguyễn Thị Thu",
                "business_email":"thu@example.com","business_phone":"+1 317 555 0100",
                "business_phone_2":null,"mobile_phone":"","home_phone":null,"fax":null}),
                ))
            },
            ok,
            "",
        ),
    ]
}

fn run_cases(cases: &[Case]) -> usize {
    let mut n = 0;
    for c in cases {
        for entry in &c.entries {
            for enc in &c.encs {
                let arg = (c.arg)(*entry);
                let rc = entry.call(*enc, &arg);
                let msg = last_error();
                let where_ = format!("{} at {entry:?} {enc:?}", c.what);
                assert_eq!(rc, c.code, "{where_}: {msg}");
                let says = c.says.replace("{field}", entry.id_field());
                assert!(msg.contains(&says), "{where_}: {msg:?} lacks {says:?}");
                n += 1;
            }
        }
    }
    n
}

#[test]
fn every_input_case_at_every_entry_point_gets_its_code() {
    let w = World::new();
    set("max_payload_bytes", &MAX_PAYLOAD.to_string());
    w.start();
    let rejected = run_cases(&rejected_cases());
    assert!(rejected > 100, "{rejected} calls");
    // Nothing rejected reached the queue, the store or the network.
    wait_idle();
    assert!(w.emu.requests().is_empty(), "{:?}", w.emu.requests());
    assert_eq!(list_status(), serde_json::json!([]));
    assert_eq!(overview()["processed"], 0);
    run_cases(&accepted_cases());
    wait_idle();
    assert_eq!(status("full")["state"], "Synced", "{}", status("full"));
    assert_eq!(gc_user(&w.emu, "thu@example.com")["name"], "Nguyễn Thị Thu");
}
