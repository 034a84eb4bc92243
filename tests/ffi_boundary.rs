//! Everything that crosses the C boundary is checked: NULL, invalid UTF-8, malformed, unknown or
//! missing fields, oversized payloads, small buffers, unknown kinds.

mod common;

use common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use std::ptr::null;

#[test]
fn bad_payloads_get_their_own_codes_and_messages() {
    let w = World::new();
    set("max_payload_bytes", "4096");
    w.start();
    unsafe {
        assert_eq!(
            gcsync_on_user_changed(null(), 5),
            GcsyncResult::NullParameter
        );
        assert!(last_error().contains("user_json"));
        let bad = [b'{', 0xff, 0xfe, b'}'];
        assert_eq!(
            gcsync_on_user_changed(bad.as_ptr().cast(), bad.len()),
            GcsyncResult::InvalidUtf8
        );
        assert_eq!(
            gcsync_on_user_deleted(null(), 1),
            GcsyncResult::NullParameter
        );
        assert_eq!(
            gcsync_on_user_deleted(bad.as_ptr().cast(), bad.len()),
            GcsyncResult::InvalidUtf8
        );
        assert_eq!(gcsync_on_force_sync(null(), 0), GcsyncResult::NullParameter);
    }
    assert_eq!(user_changed("{\"id\":"), GcsyncResult::MalformedJson);
    assert_eq!(
        user_changed(r#"{"id":"a","nickname":"x"}"#),
        GcsyncResult::UnknownField
    );
    assert!(last_error().contains("nickname"), "{}", last_error());
    assert_eq!(
        user_changed(r#"{"display_name":"x"}"#),
        GcsyncResult::MissingField
    );
    assert_eq!(user_changed(r#"{"id":["a"]}"#), GcsyncResult::InvalidField);
    let big = format!(r#"{{"id":"a","display_name":"{}"}}"#, "x".repeat(5000));
    assert_eq!(user_changed(&big), GcsyncResult::PayloadTooLarge);
    assert!(last_error().contains("4096"));
    assert_eq!(
        force_sync(r#"{"users":[{"id":"a","x":1}]}"#),
        GcsyncResult::UnknownField
    );
    assert_eq!(user_deleted(""), GcsyncResult::MissingField);
    // None of it reached the queue or the network.
    wait_idle();
    assert!(w.emu.requests().is_empty());
    assert_eq!(list_status(), serde_json::json!([]));
    // A success clears the thread's last error.
    assert_eq!(user_changed(&cic_user("ok", "Ok", None)), GcsyncResult::Ok);
    assert_eq!(last_error(), "");
}

#[test]
fn query_buffers_are_snprintf_style() {
    let w = World::new();
    w.start();
    let id = "someone";
    let mut need = 0usize;
    let mut small = [0x55u8; 8];
    let r = unsafe {
        gcsync_object_status(
            1,
            id.as_ptr().cast(),
            id.len(),
            small.as_mut_ptr().cast(),
            small.len(),
            &mut need,
        )
    };
    assert_eq!(r, GcsyncResult::BufferTooSmall);
    assert!(need > 8);
    assert_eq!(small[7], 0, "always NUL-terminated");
    let mut buf = vec![0u8; need + 1];
    let r = unsafe {
        gcsync_object_status(
            1,
            id.as_ptr().cast(),
            id.len(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut need,
        )
    };
    assert_eq!(r, GcsyncResult::Ok);
    assert_eq!(buf[need], 0);
    assert_eq!(&buf[..7], &small[..7]);
    let v: serde_json::Value = serde_json::from_slice(&buf[..need]).unwrap();
    assert_eq!(v["state"], "Not synced");
    unsafe {
        assert_eq!(
            gcsync_overview(buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut()),
            GcsyncResult::NullParameter
        );
        assert_eq!(
            gcsync_overview(std::ptr::null_mut(), 10, &mut need),
            GcsyncResult::NullParameter
        );
        assert_eq!(
            gcsync_list_status(99, std::ptr::null_mut(), 0, &mut need),
            GcsyncResult::UnknownObjectKind
        );
        assert_eq!(
            gcsync_object_status(1, null(), 0, std::ptr::null_mut(), 0, &mut need),
            GcsyncResult::NullParameter
        );
    }
    drop(w);
}

#[test]
fn result_messages_cover_every_code() {
    let mut buf = [0u8; 128];
    let n = unsafe {
        gcsync_result_message(
            GcsyncResult::InvalidUtf8 as u32,
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    assert_eq!(
        std::str::from_utf8(&buf[..n]).unwrap(),
        "a string argument was not valid UTF-8"
    );
    let n = unsafe { gcsync_result_message(12345, buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(
        std::str::from_utf8(&buf[..n]).unwrap(),
        "unknown result code"
    );
    let mut tiny = [0x55u8; 4];
    let n = unsafe { gcsync_result_message(8000, tiny.as_mut_ptr().cast(), tiny.len()) };
    assert_eq!(n, "success".len());
    assert_eq!(&tiny, b"suc\0");
    assert_eq!(
        unsafe { gcsync_result_message(8000, std::ptr::null_mut(), 0) },
        7
    );
}

// ---- strict input, the same at every entry point ---------------------------------------------

/// Every export that takes a string, in both encodings.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    UserChanged,
    UserDeleted,
    ObjectChanged,
    ObjectDeleted,
    ForceSync,
    ObjectStatus,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Enc {
    Utf8,
    Utf16,
}

const ENTRIES: [Entry; 6] = [
    Entry::UserChanged,
    Entry::UserDeleted,
    Entry::ObjectChanged,
    Entry::ObjectDeleted,
    Entry::ForceSync,
    Entry::ObjectStatus,
];

impl Entry {
    /// The name the message gives the id field or argument.
    fn id_field(self) -> &'static str {
        match self {
            Entry::UserChanged | Entry::ObjectChanged => "id",
            Entry::ForceSync => "users[0].id",
            Entry::UserDeleted => "user_id",
            Entry::ObjectDeleted => "object_id",
            Entry::ObjectStatus => "object_id",
        }
    }

    /// The argument carrying one user with these fields (the id alone for the id entries).
    fn with_user(self, user: serde_json::Value) -> String {
        match self {
            Entry::UserChanged | Entry::ObjectChanged => user.to_string(),
            Entry::ForceSync => serde_json::json!({ "users": [user] }).to_string(),
            _ => user["id"].as_str().unwrap().to_string(),
        }
    }

    fn with_id(self, id: &str) -> String {
        self.with_user(serde_json::json!({ "id": id }))
    }

    /// Calls the export; `units` replaces the text for the UTF-16 form, `null` passes NULL.
    fn call(self, enc: Enc, arg: &Arg) -> GcsyncResult {
        let (bytes, units): (Vec<u8>, Vec<u16>) = match arg {
            Arg::Text(t) => (t.as_bytes().to_vec(), t.encode_utf16().collect()),
            Arg::Bytes(b) => (b.clone(), Vec::new()),
            Arg::Units(u) => (Vec::new(), u.clone()),
            Arg::Null => (Vec::new(), Vec::new()),
        };
        let null_arg = matches!(arg, Arg::Null);
        let p8 = if null_arg {
            null()
        } else {
            bytes.as_ptr().cast()
        };
        let p16 = if null_arg { null() } else { units.as_ptr() };
        let (n8, n16) = if null_arg {
            (5, 5)
        } else {
            (bytes.len(), units.len())
        };
        let mut buf = vec![0u8; 4096];
        let mut out = 0usize;
        let (b, l) = (buf.as_mut_ptr().cast(), buf.len());
        unsafe {
            match (self, enc) {
                (Entry::UserChanged, Enc::Utf8) => gcsync_on_user_changed(p8, n8),
                (Entry::UserChanged, Enc::Utf16) => gcsync_on_user_changed_utf16(p16, n16),
                (Entry::UserDeleted, Enc::Utf8) => gcsync_on_user_deleted(p8, n8),
                (Entry::UserDeleted, Enc::Utf16) => gcsync_on_user_deleted_utf16(p16, n16),
                (Entry::ObjectChanged, Enc::Utf8) => gcsync_on_object_changed(1, p8, n8),
                (Entry::ObjectChanged, Enc::Utf16) => gcsync_on_object_changed_utf16(1, p16, n16),
                (Entry::ObjectDeleted, Enc::Utf8) => gcsync_on_object_deleted(1, p8, n8),
                (Entry::ObjectDeleted, Enc::Utf16) => gcsync_on_object_deleted_utf16(1, p16, n16),
                (Entry::ForceSync, Enc::Utf8) => gcsync_on_force_sync(p8, n8),
                (Entry::ForceSync, Enc::Utf16) => gcsync_on_force_sync_utf16(p16, n16),
                (Entry::ObjectStatus, Enc::Utf8) => gcsync_object_status(1, p8, n8, b, l, &mut out),
                (Entry::ObjectStatus, Enc::Utf16) => {
                    gcsync_object_status_utf16(1, p16, n16, b, l, &mut out)
                }
            }
        }
    }
}

enum Arg {
    Null,
    Text(String),
    /// Raw bytes for the UTF-8 form only.
    Bytes(Vec<u8>),
    /// Raw code units for the UTF-16 form only.
    Units(Vec<u16>),
}

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
    for field in [
        "display_name",
        "business_email",
        "business_phone",
        "business_phone_2",
        "mobile_phone",
        "home_phone",
        "fax",
    ] {
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

// ---- UTF-16 through to Genesys Cloud ----------------------------------------------------------

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn status_utf16(id: &str) -> serde_json::Value {
    let id = utf16(id);
    let mut buf = vec![0u8; 4096];
    let mut out = 0usize;
    let rc = unsafe {
        gcsync_object_status_utf16(
            1,
            id.as_ptr(),
            id.len(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        )
    };
    assert_eq!(rc, GcsyncResult::Ok, "{}", last_error());
    serde_json::from_slice(&buf[..out]).unwrap()
}

#[test]
fn a_utf16_user_with_a_non_ascii_name_reaches_genesys() {
    let w = World::new();
    w.start();
    let user = serde_json::json!({"id": "thu.nguyễn", "display_name": "Nguyễn Thị Thu",
        "business_email": "thu.nguyen@example.com", "mobile_phone": "+84 24 3825 1234"})
    .to_string();
    let units = utf16(&user);
    assert!(
        units.len() < user.len(),
        "non-ASCII: fewer units than bytes"
    );
    assert_eq!(
        unsafe { gcsync_on_user_changed_utf16(units.as_ptr(), units.len()) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    wait_idle();
    let s = status_utf16("thu.nguyễn");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["id"], "thu.nguyễn");
    let g = gc_user(&w.emu, "thu.nguyen@example.com");
    assert_eq!(g["name"], "Nguyễn Thị Thu");
    assert_eq!(s["genesys_id"], g["id"]);
    assert_eq!(status("thu.nguyễn"), s, "the UTF-8 query agrees");

    // Force Complete Sync in UTF-16 re-verifies and patches drift.
    let renamed = user.replace("Nguyễn Thị Thu", "Nguyễn Thị Thu Hà");
    let snap = utf16(&format!(r#"{{"users":[{renamed}]}}"#));
    assert_eq!(
        unsafe { gcsync_on_force_sync_utf16(snap.as_ptr(), snap.len()) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    wait_idle();
    assert_eq!(
        gc_user(&w.emu, "thu.nguyen@example.com")["name"],
        "Nguyễn Thị Thu Hà"
    );

    // An unpaired surrogate inside the name: its own code, the offset of the bad unit, no change.
    let mut bad = utf16(&renamed.replace("Hà", "H?"));
    let at = bad.iter().position(|u| *u == u16::from(b'?')).unwrap();
    bad[at] = 0xD83D; // the high half of an emoji, without its low half
    assert_eq!(
        unsafe { gcsync_on_user_changed_utf16(bad.as_ptr(), bad.len()) },
        GcsyncResult::InvalidUtf16
    );
    assert!(
        last_error().contains(&format!("unpaired surrogate 0xD83D at code unit {at}")),
        "{}",
        last_error()
    );
    // The same name with the emoji whole is fine.
    bad.insert(at + 1, 0xDE00);
    assert_eq!(
        unsafe { gcsync_on_user_changed_utf16(bad.as_ptr(), bad.len()) },
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(
        gc_user(&w.emu, "thu.nguyen@example.com")["name"],
        "Nguyễn Thị Thu H😀"
    );

    // Deleting by a UTF-16 id deactivates the right Genesys user.
    let id = utf16("thu.nguyễn");
    assert_eq!(
        unsafe { gcsync_on_user_deleted_utf16(id.as_ptr(), id.len()) },
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(
        gc_user(&w.emu, "thu.nguyen@example.com")["state"],
        "inactive"
    );
    assert_eq!(status_utf16("thu.nguyễn")["removed"], true);
}
