//! Each bad payload gets its own code and a message naming the problem; query buffers follow
//! the snprintf protocol; every result code has a message.

use crate::common::*;
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
