use super::*;

fn status(name: &str) -> CicAgentStatus {
    CicAgentStatus {
        id: "jdoe".into(),
        status: name.into(),
        group: None,
        do_not_disturb: false,
        acd_allowed: false,
        after_call_work: false,
        logged_in: true,
        on_acd_interaction: false,
    }
}

fn sys(p: &'static str, on_queue: bool, ooo: bool) -> Target {
    Target {
        presence: PresenceRef::System(p),
        on_queue,
        ooo,
    }
}

#[test]
fn every_default_row_maps_as_the_table_says() {
    let none = Overrides::default();
    // (status, acd allowed as CIC configures it, presence, WEM on queue, out of office)
    let rows: &[(&str, bool, &str, bool, bool)] = &[
        ("Available", true, "Available", true, false),
        ("Available, No ACD", false, "Available", false, false),
        ("Available, Follow-Me", false, "Available", false, false),
        ("Available, Forward", false, "Available", false, false),
        ("Available, Remote", false, "Available", false, false),
        ("Away from Desk", false, "Away", false, false),
        ("At Lunch", false, "Meal", false, false),
        ("At Play", false, "Break", false, false),
        ("At a Training Session", false, "Training", false, false),
        ("In a Meeting", false, "Meeting", false, false),
        ("Do Not Disturb", false, "Busy", false, false),
        ("Follow Up", false, "Busy", true, false),
        ("After Call Work", false, "Busy", true, false),
        ("ACD - Agent Not Answering", false, "Busy", true, false),
        ("Working at Home", false, "Available", false, false),
        ("Gone Home", false, "Offline", false, false),
        ("On Vacation", false, "Away", false, true),
        ("Out of the Office", false, "Away", false, true),
        ("Out of Town", false, "Away", false, true),
    ];
    for (name, acd, presence, on_queue, ooo) in rows {
        let mut s = status(name);
        s.acd_allowed = *acd;
        assert_eq!(
            map_status(&s, &none),
            sys(presence, *on_queue, *ooo),
            "{name}"
        );
    }
    // Names match whatever their case; an ACD-less Available stays off queue.
    assert_eq!(
        map_status(&status("at lunch"), &none),
        sys("Meal", false, false)
    );
    assert_eq!(
        map_status(&status("Available"), &none),
        sys("Available", false, false)
    );
    // Working at Home with its Do Not Disturb option set is Busy.
    let mut home = status("Working at Home");
    home.do_not_disturb = true;
    assert_eq!(map_status(&home, &none), sys("Busy", false, false));
    // Logged out: Offline and off queue, out-of-office still following the status.
    let mut gone = status("On Vacation");
    gone.logged_in = false;
    assert_eq!(map_status(&gone, &none), sys("Offline", false, true));
    let mut out = status("Available");
    out.acd_allowed = true;
    out.logged_in = false;
    assert_eq!(map_status(&out, &none), sys("Offline", false, false));
}

#[test]
fn a_custom_status_falls_back_on_its_attributes() {
    let none = Overrides::default();
    let mut s = status("Gone Fishing");
    assert_eq!(map_status(&s, &none), sys("Away", false, false));
    s.acd_allowed = true;
    assert_eq!(map_status(&s, &none), sys("Available", true, false));
    s.after_call_work = true;
    assert_eq!(map_status(&s, &none), sys("Busy", true, false));
    s.do_not_disturb = true;
    assert_eq!(map_status(&s, &none), sys("Busy", false, false));
    let mut acd = status("Lunch Break Custom");
    acd.on_acd_interaction = true;
    assert_eq!(map_status(&acd, &none), sys("Away", true, false));
}

#[test]
fn overrides_name_a_system_or_a_secondary_presence() {
    let o =
        Overrides::parse("At Lunch=Break;Gone Fishing=secondary:Lunch;Status Name=away").unwrap();
    assert_eq!(
        map_status(&status("At Lunch"), &o),
        sys("Break", false, false)
    );
    assert_eq!(
        map_status(&status("status name"), &o),
        sys("Away", false, false)
    );
    let mut fishing = status("Gone Fishing");
    fishing.acd_allowed = true;
    assert_eq!(
        map_status(&fishing, &o),
        Target {
            presence: PresenceRef::Secondary("Lunch".into()),
            on_queue: true,
            ooo: false
        }
    );
    // The table's out-of-office survives an override of the presence.
    let v = Overrides::parse("On Vacation=Offline").unwrap();
    assert_eq!(
        map_status(&status("On Vacation"), &v),
        sys("Offline", false, true)
    );
    assert_eq!(
        PresenceRef::Secondary("Lunch".into()).describe(),
        "secondary:Lunch"
    );
}
