//! How many attempts of a guessable kind are allowed, and how long the next one must wait: the web
//! sign-in per client address (slowed down after a few failures, so one address can neither guess
//! fast nor lock an account out of the browser), and the login check (a simulated agent login, which
//! tells whether a password is a phone's) per user and per phone login.
//!
//! Pure: the caller gives the times of the attempts counted (Unix seconds) and the time now; storing
//! and counting them atomically is `storage::attempts`' job.

/// A limit on attempts within a sliding window, with an optional slow-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    /// The window, in seconds: attempts older than this no longer count.
    pub window: i64,
    /// The most attempts counted within the window.
    pub most: usize,
    /// After this many attempts within the window, the next waits `2^(n - free)` seconds after the
    /// latest one (`n` attempts counted); `None`: no slow-down below `most`.
    pub free: Option<usize>,
}

/// Failed web sign-ins from one client address: two at once, then 2, 4 seconds apart, then no more
/// than five within 15 minutes. So one address cannot reach the 10 failures that lock an account.
pub const SIGN_IN_PER_ADDRESS: AttemptLimit = AttemptLimit { window: 900, most: 5, free: Some(2) };

/// Login checks by one user: five a minute.
pub const LOGIN_CHECK_PER_USER: AttemptLimit = AttemptLimit { window: 60, most: 5, free: None };

/// Login checks of one phone login (or alias), by anyone: five a minute.
pub const LOGIN_CHECK_PER_LOGIN: AttemptLimit = AttemptLimit { window: 60, most: 5, free: None };

impl AttemptLimit {
    /// How many seconds the next attempt must still wait, given the times of the attempts counted so
    /// far (any order, older ones ignored) and `now`; `None` when it may go ahead.
    pub fn wait(&self, times: &[i64], now: i64) -> Option<i64> {
        let mut recent: Vec<i64> = times.iter().copied().filter(|t| *t > now - self.window).collect();
        recent.sort_unstable();
        let n = recent.len();
        let wait = if n >= self.most {
            // Until the oldest counted attempt leaves the window.
            recent[n - self.most] + self.window - now
        } else {
            match (self.free, recent.last()) {
                (Some(free), Some(last)) if n > free => {
                    let exponent = u32::try_from(n - free).unwrap_or(u32::MAX).min(20);
                    last + (1_i64 << exponent) - now
                }
                _ => 0,
            }
        };
        (wait > 0).then_some(wait)
    }
}

/// "N seconds" or "N minutes" for a wait.
pub fn wait_words(seconds: i64) -> String {
    if seconds < 90 {
        format!("{seconds} second{}", if seconds == 1 { "" } else { "s" })
    } else {
        format!("{} minutes", (seconds + 59) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_failures_from_one_address_slow_down_then_stop() {
        let l = SIGN_IN_PER_ADDRESS;
        let now = 10_000;
        assert_eq!(l.wait(&[], now), None);
        assert_eq!(l.wait(&[now], now), None);
        assert_eq!(l.wait(&[now, now], now), None, "two failures: the third attempt goes ahead");
        assert_eq!(l.wait(&[now, now, now], now), Some(2));
        assert_eq!(l.wait(&[now - 2, now - 2, now - 2], now), None, "after the wait");
        assert_eq!(l.wait(&[now - 9, now - 8, now - 5, now - 1], now), Some(3), "four: 4 s after the last");
        assert_eq!(l.wait(&[now - 500, now - 400, now - 300, now - 200, now - 100], now), Some(400));
        // Failures older than the window do not count.
        assert_eq!(l.wait(&[now - 900, now - 901, now - 5000], now), None);
    }

    #[test]
    fn login_checks_are_five_a_minute() {
        let l = LOGIN_CHECK_PER_USER;
        let now = 500;
        let four = [now - 50, now - 40, now - 30, now];
        assert_eq!(l.wait(&four, now), None);
        let five = [now - 50, now - 40, now - 30, now - 1, now];
        assert_eq!(l.wait(&five, now), Some(10));
        assert_eq!(l.wait(&five, now + 10), None);
    }

    #[test]
    fn waits_read_as_words() {
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(45), "45 seconds");
        assert_eq!(wait_words(400), "7 minutes");
    }
}
