//! The operating-system specific parts, behind one small interface: a data directory only the
//! service account can read, private files, and keeping the library mapped while its threads run.
//! Everything else in gcsync is portable.

use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) if needed and restricts it to the current user (unix: mode
/// 0700, also tightening an existing directory).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Restricts an existing file to the current user (unix: mode 0600).
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Keeps the library mapped for the rest of the process once threads may run (unix: the
/// cdylib is linked with `-z nodelete`, so this is a no-op).
pub fn pin_module() {}
