//! UTF-16 through to Genesys Cloud: a user with a non-ASCII name sent through the UTF-16
//! hooks reaches the org as it was written.

use crate::common::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;

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
