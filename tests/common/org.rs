//! CIC users as the host sends them, and what the emulator (the org) holds and was asked.

use super::{status, user_changed, wait_idle};
use gc_emulator::Emulator;
use gcsync::result::GcsyncResult;
use serde_json::Value;

/// The CIC user fields that hold text (README, CIC user JSON), `id` first: the tests' own list,
/// not the crate's, so a field gcsync forgot is still tried.
pub const CIC_USER_FIELDS: [&str; 8] = [
    "id",
    "display_name",
    "business_email",
    "business_phone",
    "business_phone_2",
    "mobile_phone",
    "home_phone",
    "fax",
];

/// A CIC user JSON with the given id, display name and email (None → no email).
pub fn cic_user(id: &str, name: &str, email: Option<&str>) -> String {
    serde_json::json!({"id": id, "display_name": name, "business_email": email}).to_string()
}

/// The emulator's user with this email (any state).
pub fn gc_user(emu: &Emulator, email: &str) -> Value {
    emu.user_by_email(email)
        .unwrap_or_else(|| panic!("no Genesys user with email {email}"))
}

/// The phone address of one type on a Genesys user JSON.
pub fn phone(user: &Value, kind: &str) -> Option<String> {
    user["addresses"].as_array()?.iter().find_map(|c| {
        (c["mediaType"] == "PHONE" && c["type"] == kind)
            .then(|| c["address"].as_str().unwrap().to_string())
    })
}

/// API calls logged by the emulator for `method` on routes whose template contains `part`.
pub fn calls_on(emu: &Emulator, method: &str, part: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == method && r.route.contains(part))
        .count()
}

/// CIC user `first` synced with `first_email`, then `second` with `second_email` (one email to
/// Genesys Cloud): the second is refused (in Error, naming the first) and the one Genesys user
/// stays the first's.
pub fn a_second_cic_user_with_the_email_is_refused(
    emu: &Emulator,
    first_email: &str,
    second_email: &str,
) {
    for (id, name, email) in [
        ("first", "First", first_email),
        ("second", "Second", second_email),
    ] {
        assert_eq!(
            user_changed(&cic_user(id, name, Some(email))),
            GcsyncResult::Ok
        );
        wait_idle();
    }
    let s = status("second");
    assert_eq!(s["state"], "Error");
    let reason = s["reason"].as_str().unwrap();
    assert!(reason.contains("already used by CIC user first"), "{s}");
    assert_eq!(emu.users().len(), 1);
    assert_eq!(gc_user(emu, first_email)["name"], "First");
}
