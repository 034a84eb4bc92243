//! The operating-system specific parts, behind one small interface: a data directory only the
//! service account can read, private files, and keeping the library mapped while its threads run.
//! Everything else in gcsync is portable; this is the only file with OS-specific code.
//!
//! | | unix (Linux) | Windows |
//! |---|---|---|
//! | private directory | mode 0700 | protected DACL: one ACE, full control for the process token's user, inherited by what is created inside |
//! | private file | mode 0600 | protected DACL: one ACE, full control for the token's user |
//! | library stays mapped | linked with `-z nodelete` (build.rs) | [`pin_module`]: `GetModuleHandleExW` with `GET_MODULE_HANDLE_EX_FLAG_PIN` |
//! | background thread priority | [`lower_thread_priority`]: `setpriority` on the thread id, nice +5, and `SCHED_BATCH` | `SetThreadPriority(THREAD_PRIORITY_BELOW_NORMAL)` |
//!
//! Windows paths go through `std::fs` (UTF-16 and long paths handled there); the security calls
//! take the open handle, never a second look-up by name.

use std::io;
use std::path::Path;

#[cfg(not(any(unix, windows)))]
compile_error!("gcsync supports unix (Linux for development and CI) and Windows (production)");

/// Creates `dir` (and its parents) if needed and restricts it to the current user, also
/// tightening an existing directory. Unix: mode 0700. Windows: a protected DACL granting only the
/// process token's user (the service account) full control, inherited by files and folders
/// created inside; the inherited ACEs of the parent (e.g. `Users: read` on `C:\ProgramData`) are
/// dropped. Administrators can still take ownership, as root can still read a 0700 directory.
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
    #[cfg(windows)]
    {
        std::fs::create_dir_all(dir)?;
        windows::restrict_to_user(dir, true)
    }
}

/// Restricts an existing file to the current user. Unix: mode 0600. Windows: a protected DACL
/// granting only the process token's user full control.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(windows)]
    {
        windows::restrict_to_user(path, false)
    }
}

/// Keeps the library mapped for the rest of the process once threads may run; call it at init,
/// before the first thread starts. Unix: a no-op (the cdylib is linked with `-z nodelete`).
/// Windows: pins gcsync.dll, so a `FreeLibrary` (even one too early) never unmaps code a thread
/// might still be returning through. Idempotent; a failure is logged and init goes on (the host
/// must call `gcsync_shutdown` before `FreeLibrary` anyway).
pub fn pin_module() {
    #[cfg(windows)]
    windows::pin_module();
}

/// Lowers the calling thread's scheduling priority one step (Linux: its nice value +5, at most
/// 19, and the `SCHED_BATCH` policy, for this thread alone; Windows:
/// `THREAD_PRIORITY_BELOW_NORMAL`). Background threads call it as they start
/// (`crate::threads`): their work (calls to Genesys Cloud, commits of what the hooks accepted)
/// can wait a little, and on a busy CIC server the host's own threads, and the hooks they call,
/// must not wait behind it. On Windows a thread of lower priority that becomes ready never
/// preempts a running one of higher priority; Linux's nice is a weight only, and a woken thread
/// of any nice may preempt the thread that woke it (a hook waking the writer, measured in
/// BENCHMARKS.md session 8): `SCHED_BATCH` threads never preempt on wakeup, they run at the next
/// scheduler tick or when a core is free. Neither needs privilege. Other platforms: an
/// `Unsupported` error (the thread keeps its priority).
pub fn lower_thread_priority() -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread's own id; no memory is passed but
        // errno's, which belongs to this thread.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            // getpriority may return -1 as a value: errno tells a failure from nice -1.
            *libc::__errno_location() = 0;
            let now = libc::getpriority(libc::PRIO_PROCESS, tid);
            if now == -1 && *libc::__errno_location() != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::setpriority(libc::PRIO_PROCESS, tid, (now + 5).min(19)) != 0 {
                return Err(io::Error::last_os_error());
            }
            // pid 0: the calling thread. The nice value set above is kept.
            let param = libc::sched_param { sched_priority: 0 };
            if libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Threading::{
            GetCurrentThread, SetThreadPriority, THREAD_PRIORITY_BELOW_NORMAL,
        };
        // SAFETY: the pseudo-handle of the current thread needs no closing.
        if unsafe { SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "thread priorities are set on Linux and Windows only",
    ))
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use std::path::Path;
    use std::ptr::{null, null_mut};
    use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, ERROR_SUCCESS, HANDLE, HMODULE};
    use windows_sys::Win32::Security::Authorization::{
        SetEntriesInAclW, SetSecurityInfo, EXPLICIT_ACCESS_W, NO_MULTIPLE_TRUSTEE, SET_ACCESS,
        SE_FILE_OBJECT, TRUSTEE_IS_SID, TRUSTEE_IS_USER, TRUSTEE_W,
    };
    use windows_sys::Win32::Security::{
        GetTokenInformation, TokenUser, ACL, DACL_SECURITY_INFORMATION, NO_INHERITANCE,
        PROTECTED_DACL_SECURITY_INFORMATION, SUB_CONTAINERS_AND_OBJECTS_INHERIT, TOKEN_QUERY,
        TOKEN_USER,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ALL_ACCESS, FILE_FLAG_BACKUP_SEMANTICS, FILE_SHARE_DELETE, FILE_SHARE_READ,
        FILE_SHARE_WRITE, READ_CONTROL, WRITE_DAC,
    };
    use windows_sys::Win32::System::LibraryLoader::{
        GetModuleHandleExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_PIN,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// The process token's `TOKEN_USER` (the user SID and what it points into), in an aligned
    /// buffer.
    struct TokenUserBuf(Vec<u64>);

    impl TokenUserBuf {
        fn read() -> io::Result<TokenUserBuf> {
            let mut token: HANDLE = null_mut();
            // SAFETY: the pseudo-handle of this process and a valid out pointer.
            if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
                return Err(io::Error::last_os_error());
            }
            let mut len = 0u32;
            // SAFETY: a size query (NULL buffer, length 0); it fails with the size in `len`.
            unsafe { GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len) };
            let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
            let cap = u32::try_from(buf.len() * 8).unwrap_or(u32::MAX);
            // SAFETY: `buf` holds `cap` writable bytes, aligned for TOKEN_USER.
            let ok = unsafe {
                GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), cap, &mut len)
            };
            let err = io::Error::last_os_error();
            // SAFETY: the token handle opened above, closed once.
            unsafe { CloseHandle(token) };
            if ok == 0 {
                return Err(err);
            }
            Ok(TokenUserBuf(buf))
        }

        fn sid(&self) -> *mut core::ffi::c_void {
            // SAFETY: GetTokenInformation(TokenUser) filled the buffer with a TOKEN_USER.
            unsafe { (*self.0.as_ptr().cast::<TOKEN_USER>()).User.Sid }
        }
    }

    /// Replaces the DACL of `path` with a protected one holding a single ACE: full control for
    /// the process token's user (inherited by children when `dir`).
    pub(super) fn restrict_to_user(path: &Path, dir: bool) -> io::Result<()> {
        let user = TokenUserBuf::read()?;
        let access = EXPLICIT_ACCESS_W {
            grfAccessPermissions: FILE_ALL_ACCESS,
            grfAccessMode: SET_ACCESS,
            grfInheritance: if dir {
                SUB_CONTAINERS_AND_OBJECTS_INHERIT
            } else {
                NO_INHERITANCE
            },
            Trustee: TRUSTEE_W {
                pMultipleTrustee: null_mut(),
                MultipleTrusteeOperation: NO_MULTIPLE_TRUSTEE,
                TrusteeForm: TRUSTEE_IS_SID,
                TrusteeType: TRUSTEE_IS_USER,
                ptstrName: user.sid().cast(),
            },
        };
        let mut acl: *mut ACL = null_mut();
        // SAFETY: one initialised entry whose SID lives in `user` for the whole call.
        let rc = unsafe { SetEntriesInAclW(1, &access, null(), &mut acl) };
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
        let result = apply_dacl(path, acl);
        // SAFETY: SetEntriesInAclW allocated `acl` with LocalAlloc; freed once.
        unsafe { LocalFree(acl.cast()) };
        result
    }

    /// Opens `path` (file or directory) for `WRITE_DAC` and sets `acl` as its protected DACL.
    fn apply_dacl(path: &Path, acl: *const ACL) -> io::Result<()> {
        let f = std::fs::OpenOptions::new()
            .access_mode(READ_CONTROL | WRITE_DAC)
            .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS) // needed to open a directory
            .open(path)?;
        let info = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION;
        // SAFETY: a handle opened with WRITE_DAC and a valid ACL; owner, group and SACL untouched.
        let rc = unsafe {
            SetSecurityInfo(
                f.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                info,
                null_mut(),
                null_mut(),
                acl,
                null(),
            )
        };
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
        Ok(())
    }

    /// Pins the module that holds this function (gcsync.dll): it stays mapped until the process
    /// ends, whatever `FreeLibrary` calls follow.
    pub(super) fn pin_module() {
        let mut module: HMODULE = null_mut();
        let flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN;
        let addr = pin_module as *const () as *const u16;
        // SAFETY: with FROM_ADDRESS the "name" is an address inside this module; `module` is a
        // valid out pointer. A pinned module needs no matching FreeLibrary.
        if unsafe { GetModuleHandleExW(flags, addr, &mut module) } == 0 {
            log::warn!(
                "could not pin gcsync.dll in memory ({}); the host must call gcsync_shutdown before FreeLibrary",
                io::Error::last_os_error()
            );
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_dir_is_created_0700_and_an_existing_one_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        create_private_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        let loose = tmp.path().join("loose");
        std::fs::create_dir(&loose).unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&loose).unwrap();
        assert_eq!(mode(&loose), 0o700);
    }

    #[test]
    fn restrict_file_makes_it_0600_and_fails_on_a_missing_file() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        restrict_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert!(restrict_file(&tmp.path().join("missing")).is_err());
    }
}
