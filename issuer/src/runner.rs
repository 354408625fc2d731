//! Which process runs a bulk job, and whether it still lives (issue 11.11).
//!
//! On Linux a process is named `<boot id>/<pid>/<start time>`: the boot id tells whether the job
//! was started on this machine since its last boot, and the start time (from `/proc/<pid>/stat`)
//! tells a live process from a later one that reused its pid. Elsewhere there is no name and a job
//! is judged by its heartbeat alone.

/// This process's name, if the platform gives one.
pub fn this_process() -> Option<String> {
    let boot = boot_id()?;
    let pid = std::process::id();
    let start = start_time(pid)?;
    Some(format!("{boot}/{pid}/{start}"))
}

/// `Some(false)` when `runner` names a process of this machine's current boot that is gone,
/// `Some(true)` when it still runs, `None` when this machine cannot tell (another machine, or
/// this one before a reboot: the job's heartbeat decides).
pub fn is_alive(runner: &str) -> Option<bool> {
    let mut parts = runner.splitn(3, '/');
    let (boot, pid, start) = (parts.next()?, parts.next()?, parts.next()?);
    let pid: u32 = pid.parse().ok()?;
    let here = boot_id()?;
    if boot != here {
        // Another machine, or this one before a reboot: only the heartbeat can tell.
        return None;
    }
    Some(start_time(pid).as_deref() == Some(start))
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Field 22 of `/proc/<pid>/stat` (start time in clock ticks after boot). The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    // after_name starts with field 3 (state); field 22 is the 20th from there.
    after_name.split_whitespace().nth(19).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let me = this_process().expect("a name on Linux");
        assert_eq!(is_alive(&me), Some(true));
        // A child that has exited (and been reaped) is gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let boot = boot_id().unwrap();
        assert_eq!(is_alive(&format!("{boot}/{pid}/1")), Some(false));
        // Our pid with another start time: a later process that reused the pid.
        let other = format!("{boot}/{}/0", std::process::id());
        assert_eq!(is_alive(&other), Some(false));
        // Another machine (or boot): cannot tell.
        assert_eq!(is_alive(&format!("not-this-boot/{pid}/1")), None);
        assert_eq!(is_alive("garbage"), None);
    }
}
