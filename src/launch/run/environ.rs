//! `exec` without `std::process::Command` (Unix): `Command` copies the whole environment into
//! a map of owned strings and builds every `NAME=value` string anew, which costs the launcher
//! as many instructions as reading and checking a `.env`. Here the inherited strings are passed
//! as they are, by pointer; only the plan's variables are built. The result is what `Command`
//! gives the program, byte for byte and in its order: entries without `=` dropped, a name given
//! twice kept once (the later), the plan's variables set, the withheld credentials removed,
//! sorted by name; `PATH` is searched in that environment; SIGPIPE is back to its default.

use std::ffi::{CStr, CString, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;

extern "C" {
    /// The process environment (POSIX); `execvp` searches the `PATH` it holds.
    static mut environ: *const *const libc::c_char;
}

/// Replaces the launcher with `argv[0]` found as `execvp` finds it; returns only on failure.
pub fn exec<'a>(
    argv: &[OsString],
    changes: impl Iterator<Item = (&'a str, &'a str)>,
    withheld: &[&str],
) -> io::Error {
    let nul = |_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "nul byte found in provided data",
        )
    };
    let args: Result<Vec<CString>, _> = argv
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect();
    let set: Result<Vec<CString>, _> = changes
        .map(|(key, value)| CString::new(format!("{key}={value}")))
        .collect();
    let (args, set) = match (args, set) {
        (Ok(args), Ok(set)) => (args, set),
        (Err(err), _) | (_, Err(err)) => return nul(err),
    };
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|arg| arg.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: `environ` is the process's NULL-terminated array of C strings; nothing changes
    // it while the launcher (one thread here) builds the new one.
    let inherited = unsafe { inherited() };
    let mut envp = environment(inherited, &set, withheld);
    envp.push(std::ptr::null());
    // SAFETY: `argv` and `envp` are NULL-terminated arrays of pointers to C strings that live
    // (`args`, `set`, the inherited environment) until after `execvp` returns; `environ` is
    // given back its old value when it does.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let own = environ;
        environ = envp.as_ptr();
        libc::execvp(argv[0], argv.as_ptr());
        let err = io::Error::last_os_error();
        environ = own;
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        err
    }
}

/// The strings of `environ`.
///
/// # Safety
/// `environ` must be a NULL-terminated array of C strings that outlive the result.
unsafe fn inherited() -> Vec<&'static [u8]> {
    let mut strings = Vec::new();
    let mut at = environ;
    if at.is_null() {
        return strings;
    }
    while !(*at).is_null() {
        strings.push(CStr::from_ptr(*at).to_bytes());
        at = at.add(1);
    }
    strings
}

/// The name of a `NAME=value` string, as `std::env::vars_os` splits it: at the first `=` after
/// the first byte; `None` (the string is dropped) without one.
fn name(entry: &[u8]) -> Option<&[u8]> {
    let at = entry.get(1..)?.iter().position(|&b| b == b'=')? + 1;
    Some(&entry[..at])
}

/// The program's environment: pointers to the inherited strings the plan leaves alone and to
/// the plan's own, sorted by name.
fn environment(
    inherited: Vec<&'static [u8]>,
    set: &[CString],
    withheld: &[&str],
) -> Vec<*const libc::c_char> {
    let set_names: Vec<&[u8]> = set.iter().filter_map(|s| name(s.as_bytes())).collect();
    let kept = inherited.into_iter().filter_map(|entry| {
        let key = name(entry)?;
        let replaced = set_names.contains(&key) || withheld.iter().any(|w| w.as_bytes() == key);
        (!replaced).then_some((key, entry.as_ptr().cast::<libc::c_char>()))
    });
    let mut entries: Vec<(&[u8], *const libc::c_char)> = kept.collect();
    entries.extend(
        set.iter()
            .filter_map(|s| Some((name(s.as_bytes())?, s.as_ptr()))),
    );
    // Stable: of one name given twice, the later stays last, and is the one kept.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut envp: Vec<*const libc::c_char> = Vec::with_capacity(entries.len() + 1);
    for (i, (key, pointer)) in entries.iter().enumerate() {
        if entries.get(i + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        envp.push(*pointer);
    }
    envp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(envp: &[*const libc::c_char]) -> Vec<String> {
        envp.iter()
            .map(|&p| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn sets_removes_sorts_and_keeps_the_later_of_a_name_given_twice() {
        // C strings, as `environ` holds them: the pointers passed on must end in a NUL.
        let inherited: Vec<&'static [u8]> = [
            c"PATH=/bin",
            c"ZED=1",
            c"noequals",
            c"=weird=1",
            c"VAULT_TOKEN=s.x",
            c"A=first",
            c"DB=old",
            c"A=second",
            c"\xff=bytes",
        ]
        .iter()
        .map(|s| s.to_bytes())
        .collect();
        let set = [
            CString::new("DB=new").unwrap(),
            CString::new("B=2=3").unwrap(),
        ];
        let envp = environment(inherited, &set, &["VAULT_TOKEN", "VAULT_SECRET_ID"]);
        assert_eq!(
            strings(&envp),
            [
                "=weird=1",
                "A=second",
                "B=2=3",
                "DB=new",
                "PATH=/bin",
                "ZED=1",
                "\u{fffd}=bytes"
            ]
        );
    }

    #[test]
    fn names_split_as_vars_os_splits_them() {
        assert_eq!(name(b"A=b=c"), Some(&b"A"[..]));
        assert_eq!(name(b"=A=b"), Some(&b"=A"[..]));
        assert_eq!(name(b"A"), None);
        assert_eq!(name(b""), None);
    }
}
