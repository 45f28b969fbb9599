//! What the legacy API's call log may store: one compact row per call, and for calls nobody
//! authenticated (a wrong password, an unknown user, `version`, a malformed request) a budget per
//! minute, so anonymous traffic cannot grow the database without limit. Calls over the budget are
//! counted, and the count is stored as one row when the next minute's first anonymous call arrives.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Anonymous calls logged one by one per minute (per process).
pub const ANONYMOUS_PER_MINUTE: u32 = 60;
/// The window of the budget.
const WINDOW: Duration = Duration::from_secs(60);
/// Parameter names listed per call; the rest are counted.
pub const MAX_NAMES: usize = 20;
/// Characters kept of a long parameter name (the cut is marked with `…`).
pub const MAX_NAME_CHARS: usize = 32;

/// The budget of anonymous call-log rows.
#[derive(Debug)]
pub struct AnonymousBudget {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    logged: u32,
    over: u64,
}

/// Whether an anonymous call is logged, and how many earlier ones were not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Log this call.
    pub log: bool,
    /// Calls over the budget in the window that just ended (to store as one row), if any.
    pub not_logged_before: Option<u64>,
}

impl Default for AnonymousBudget {
    fn default() -> Self {
        AnonymousBudget { window: Mutex::new(Window { start: Instant::now(), logged: 0, over: 0 }) }
    }
}

impl AnonymousBudget {
    /// Takes one anonymous call into the budget.
    pub fn admit(&self) -> Admission {
        let Ok(mut w) = self.window.lock() else {
            return Admission { log: false, not_logged_before: None };
        };
        let mut not_logged_before = None;
        if w.start.elapsed() >= WINDOW {
            not_logged_before = (w.over > 0).then_some(w.over);
            *w = Window { start: Instant::now(), logged: 0, over: 0 };
        }
        let log = w.logged < ANONYMOUS_PER_MINUTE;
        if log {
            w.logged += 1;
        } else {
            w.over += 1;
        }
        Admission { log, not_logged_before }
    }
}

/// The parameter names of a call as the log stores them: sorted, at most [`MAX_NAMES`], each at most
/// [`MAX_NAME_CHARS`] characters of letters, digits, `_` and `-` (others shown as `?`), and how many
/// more there were.
pub fn names_for_log<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    let shown: Vec<String> = names
        .iter()
        .take(MAX_NAMES)
        .map(|n| {
            let mut kept: String = n
                .chars()
                .take(MAX_NAME_CHARS)
                .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '?' })
                .collect();
            if n.chars().count() > MAX_NAME_CHARS {
                kept.push('…');
            }
            kept
        })
        .collect();
    let mut out = shown.join(",");
    if names.len() > MAX_NAMES {
        out.push_str(&format!(" (+{} more)", names.len() - MAX_NAMES));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_capped_in_count_and_length() {
        assert_eq!(names_for_log(["user", "function", "pass"]), "function,pass,user");
        let long = "n".repeat(100);
        let text = names_for_log([long.as_str(), "a<b"]);
        assert_eq!(text, format!("a?b,{}…", "n".repeat(32)));
        let many: Vec<String> = (0..50).map(|i| format!("p{i:02}")).collect();
        let text = names_for_log(many.iter().map(String::as_str));
        assert!(text.ends_with(" (+30 more)") && text.starts_with("p00,p01,"), "{text}");
    }

    #[test]
    fn the_anonymous_budget_admits_sixty_a_minute() {
        let budget = AnonymousBudget::default();
        let admitted = (0..100).filter(|_| budget.admit().log).count();
        assert_eq!(admitted, 60);
        if let Ok(mut w) = budget.window.lock() {
            w.start -= WINDOW;
        }
        assert_eq!(budget.admit(), Admission { log: true, not_logged_before: Some(40) });
    }
}
