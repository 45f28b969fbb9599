//! `function=version`, answered before authentication as VICIdial does:
//! `VERSION: 2.14-202|BUILD: <build>|DATE: <Y-m-d H:i:s>|EPOCH: <unix>|DST: <0|1>|TZ: <gmt>|TZNOW: <gmt incl. DST>|`

use chrono::{Datelike, Local, Offset, TimeZone};

use crate::state::AppState;

use super::{Reply, API_VERSION};

/// Dialtone's build string for the BUILD field.
pub fn build() -> String {
    format!("{}-dialtone", env!("CARGO_PKG_VERSION"))
}

/// Formats a number the way PHP prints a float (`-4`, `6.5`, `5.3`).
fn php_number(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded}");
        s.trim_end_matches('0').to_string()
    }
}

/// Whether daylight saving time is in effect in the server's local zone now: the current offset is
/// larger than the smaller of January's and July's (the standard offset).
fn is_dst() -> bool {
    let now = Local::now();
    let offset_at = |month| {
        Local.with_ymd_and_hms(now.year(), month, 1, 12, 0, 0).single().map(|d| d.offset().fix().local_minus_utc())
    };
    match (offset_at(1), offset_at(7)) {
        (Some(jan), Some(jul)) => now.offset().fix().local_minus_utc() > jan.min(jul),
        _ => false,
    }
}

/// The version line.
pub(super) async fn reply(state: &AppState) -> Reply {
    let now = Local::now();
    let dst = is_dst();
    let tz = state.first_gmt.get(&state.db).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "version: could not read the server GMT offset");
        None
    });
    let tznow = match &tz {
        Some(gmt) if !gmt.is_empty() => match (dst, gmt.parse::<f64>()) {
            (true, Ok(v)) => php_number(v + 1.0),
            _ => gmt.clone(),
        },
        // No active server: PHP's date("O") / 100 (e.g. -0500 -> -5, +0530 -> 5.3).
        _ => {
            let secs = now.offset().fix().local_minus_utc();
            let hhmm = (secs / 3600) * 100 + (secs % 3600) / 60;
            php_number(f64::from(hhmm) / 100.0)
        }
    };
    let line = format!(
        "VERSION: {API_VERSION}|BUILD: {}|DATE: {}|EPOCH: {}|DST: {}|TZ: {}|TZNOW: {tznow}|\n",
        build(),
        now.format("%Y-%m-%d %H:%M:%S"),
        now.timestamp(),
        u8::from(dst),
        tz.unwrap_or_default(),
    );
    Reply::raw(line, "version")
}

#[cfg(test)]
mod tests {
    use super::php_number;

    #[test]
    fn php_numbers() {
        assert_eq!(php_number(-4.0), "-4");
        assert_eq!(php_number(6.5), "6.5");
        assert_eq!(php_number(5.3), "5.3");
        assert_eq!(php_number(0.0), "0");
        assert_eq!(php_number(13.75), "13.75");
    }
}
