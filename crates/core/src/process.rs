//! The process that holds a vault's keys: kept out of core dumps, and out of reach of
//! `ptrace` by the user's other, unprivileged processes, so a crash or a curious program
//! cannot copy the keys out of memory.

use crate::error::{Error, Result};

/// Makes the process non-dumpable and its core file size zero. Front ends call it first
/// thing; it is not undone.
#[cfg(target_os = "linux")]
pub fn keep_memory_private() -> Result<()> {
    use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
    let failed = |what: &str| {
        let what = what.to_owned();
        move |e: rustix::io::Errno| Error::Io {
            context: what,
            source: e.into(),
        }
    };
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )
    .map_err(failed("cannot turn off core dumps"))?;
    set_dumpable_behavior(DumpableBehavior::NotDumpable)
        .map_err(failed("cannot make the process non-dumpable"))
}

/// Elsewhere the operating system's own protections apply.
#[cfg(not(target_os = "linux"))]
pub fn keep_memory_private() -> Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::{DumpableBehavior, Resource, dumpable_behavior, getrlimit};

    #[test]
    fn a_crash_leaves_no_core_file_and_other_processes_cannot_read_the_keys() {
        super::keep_memory_private().unwrap();
        assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
        assert_eq!(getrlimit(Resource::Core).current, Some(0));
    }
}
