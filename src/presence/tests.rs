use super::*;

fn want(def: &str, on_queue: Option<bool>, ooo: Option<bool>) -> Want {
    Want {
        status: "Available".into(),
        presence: "Available".into(),
        definition_id: def.into(),
        source_id: "src".into(),
        on_queue,
        ooo,
    }
}

#[test]
fn a_first_write_takes_the_primary_and_an_unchanged_presence_costs_nothing() {
    let w = want("d1", None, None);
    assert!(needs_primary_check(&w, None));
    let p = plan(&w, None, true);
    assert_eq!(
        (p.presence, p.take_primary, p.ooo, p.routing),
        (true, true, None, None)
    );
    let a = applied_after(&w, None, true);
    assert!(!needs_primary_check(&w, Some(&a)));
    assert!(plan(&w, Some(&a), false).is_empty());
    // Another definition, or a source re-created with a new id, is written again.
    assert!(plan(&want("d2", None, None), Some(&a), false).presence);
    let mut moved = w.clone();
    moved.source_id = "src2".into();
    assert!(needs_primary_check(&moved, Some(&a)));
    assert!(plan(&moved, Some(&a), false).presence);
}

#[test]
fn wem_sets_and_clears_out_of_office_and_goes_off_queue_once() {
    let w = want("d1", Some(false), Some(false));
    let p = plan(&w, None, false);
    // Never set by gcsync: not cleared; off queue is written.
    assert_eq!((p.ooo, p.routing), (None, Some("OFF_QUEUE")));
    let a = applied_after(&w, None, true);
    assert!(plan(&w, Some(&a), false).is_empty());
    let vacation = want("d2", Some(false), Some(true));
    let p = plan(&vacation, Some(&a), false);
    assert_eq!((p.presence, p.ooo, p.routing), (true, Some(true), None));
    let a = applied_after(&vacation, Some(&a), true);
    let back = want("d3", Some(true), Some(false));
    let p = plan(&back, Some(&a), false);
    assert_eq!((p.ooo, p.routing), (Some(false), None));
    let a = applied_after(&back, Some(&a), true);
    assert_eq!((a.ooo, a.on_queue), (Some(false), Some(true)));
    assert_eq!(
        plan(&want("d1", Some(false), Some(false)), Some(&a), false).routing,
        Some("OFF_QUEUE")
    );
}

#[test]
fn leaving_not_answering_restores_idle() {
    let mut na = want("busy", Some(true), Some(false));
    na.status = map::NOT_ANSWERING.into();
    let a = applied_after(&na, None, true);
    assert_eq!(plan(&na, Some(&a), false).routing, None);
    let avail = want("onq", Some(true), Some(false));
    assert_eq!(plan(&avail, Some(&a), false).routing, Some("IDLE"));
    // Non-WEM orgs never write routing status or out-of-office.
    let mut plain = want("onq", None, None);
    plain.status = "Available".into();
    let p = plan(&plain, Some(&a), false);
    assert_eq!((p.ooo, p.routing), (None, None));
}
