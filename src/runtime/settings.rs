//! New settings while running (`gcsync_on_settings_changed`) and the limits they set.

use super::start::{check_connection, load_settings, redactions};
use super::{current, current_owned};
use crate::logging;
use crate::result::{Failure, GcsyncResult};

/// Re-reads the settings from the host and installs them; the worker picks them up before the
/// next change it takes (and ends any wait it is in), so every change accepted after this
/// returns is applied with them.
pub fn settings_changed() -> Result<(), Failure> {
    let shared = current_owned()?;
    let new = load_settings(&shared.host)?;
    check_connection(&new)?;
    let (level, redact) = (new.log_level, redactions(&new));
    shared.replace_settings(|old| {
        if new.data_dir != old.data_dir {
            return Err(Failure::new(
                GcsyncResult::InvalidSetting,
                "data_dir cannot change while gcsync runs; shut down and start again to move it",
            ));
        }
        Ok(new)
    })?;
    logging::update(level, redact);
    log::info!("settings reloaded");
    Ok(())
}

/// The payload limit in force. The C layer enforces it before it validates UTF-8, so the
/// functions here take payloads already checked.
pub fn max_payload() -> Result<usize, Failure> {
    Ok(current()?.max_payload())
}
