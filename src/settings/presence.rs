//! The agent-presence settings: `wem_org`, `presence_map`, `presence_bulk_max`.

use super::{boolean, number, text, Lookup};
use crate::presence::map::Overrides;
use crate::presence::PresenceSettings;
use crate::result::Failure;

/// The documented default of `presence_bulk_max`.
const BULK_DEFAULT: usize = 50;

/// Reads the presence settings.
pub(super) fn load(get: Lookup) -> Result<PresenceSettings, Failure> {
    Ok(PresenceSettings {
        wem_org: boolean(get, "wem_org", false)?,
        overrides: match text(get, "presence_map") {
            Some(t) => Overrides::parse(&t)?,
            None => Overrides::default(),
        },
        // The default is the bulk table's row for the endpoint (batch::BULK_LIMITS).
        bulk_max: number(get, "presence_bulk_max", BULK_DEFAULT as u64, 1, 500)? as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::map::PresenceRef;
    use crate::result::GcsyncResult;

    fn with(pairs: &'static [(&'static str, &'static str)]) -> Result<PresenceSettings, Failure> {
        load(&|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_bulk_default_is_the_bulk_tables_row() {
        let row = crate::batch::max_items("PUT", "/api/v2/users/presences/bulk");
        assert_eq!(BULK_DEFAULT, row);
        assert_eq!(PresenceSettings::default().bulk_max, row);
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(with(&[]).unwrap(), PresenceSettings::default());
        let s = with(&[
            ("wem_org", "True"),
            ("presence_bulk_max", "20"),
            (
                "presence_map",
                "Status Name=Away;Gone Fishing=secondary:Lunch",
            ),
        ])
        .unwrap();
        assert!(s.wem_org);
        assert_eq!(s.bulk_max, 20);
        assert_eq!(
            s.overrides,
            Overrides::parse("Status Name=away; Gone Fishing = secondary: Lunch").unwrap()
        );
        let m = Overrides::parse("X=On Queue").unwrap();
        assert_eq!(m, Overrides::parse("X=OnQueue").unwrap());
        assert_ne!(m, Overrides::parse("X=Away").unwrap());
        let _ = PresenceRef::System("Away");
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (k, v) in [
            ("presence_bulk_max", "0"),
            ("presence_bulk_max", "501"),
            ("wem_org", "maybe"),
            ("presence_map", "Lunch"),
            ("presence_map", "Lunch=Snoozing"),
            ("presence_map", "=Away"),
            ("presence_map", "Lunch=secondary:"),
        ] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([(k, v)]));
            let e = with(pairs).unwrap_err();
            assert_eq!(e.code, GcsyncResult::InvalidSetting, "{k}={v}");
            assert!(e.message.contains(k), "{}", e.message);
        }
    }
}
