//! The clock the auto-lock counts on: it keeps running while the machine is suspended, so
//! a laptop shut with the vault open is locked as soon as it wakes if the delay passed while
//! it slept. (`Instant` is the monotonic clock, which stops during suspend on Linux.)

use std::time::Duration;

/// A point in time, as time since boot including time spent asleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BootInstant(Duration);

impl BootInstant {
    /// Now, on Linux's `CLOCK_BOOTTIME`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn now() -> BootInstant {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        BootInstant(Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_nsec).unwrap_or(0),
        ))
    }

    /// Now, on the monotonic clock, where the system offers no boot clock to rustix.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub fn now() -> BootInstant {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        BootInstant(START.get_or_init(std::time::Instant::now).elapsed())
    }

    /// How long ago this was, asleep or awake.
    pub fn elapsed(&self) -> Duration {
        BootInstant::now().0.saturating_sub(self.0)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// `/proc/uptime` counts from boot, suspended time included: the auto-lock's clock must
    /// agree with it, not with a clock that starts with the process or stops in suspend.
    #[test]
    fn the_auto_lock_clock_counts_time_the_machine_spent_asleep() {
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let now = BootInstant::now().0.as_secs_f64();
        assert!(
            (now - uptime).abs() < 1.0,
            "{now} s since boot, uptime {uptime} s"
        );
        let then = BootInstant::now();
        std::thread::sleep(Duration::from_millis(20));
        assert!(then.elapsed() >= Duration::from_millis(20));
    }
}
