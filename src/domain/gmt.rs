//! GMT offsets: VICIdial's 33 allowed values and their canonical spelling.
//!
//! Pure; compiled for WASM and server.

/// The 33 offsets VICIdial accepts (`non_agent_api.php` and the admin form), in its order.
pub const GMT_OFFSETS: [&str; 33] = [
    "12.75", "12.00", "11.00", "10.00", "9.50", "9.00", "8.00", "7.00", "6.50", "6.00", "5.75", "5.50", "5.00", "4.50",
    "4.00", "3.50", "3.00", "2.00", "1.00", "0.00", "-1.00", "-2.00", "-3.00", "-3.50", "-4.00", "-5.00", "-6.00",
    "-7.00", "-8.00", "-9.00", "-10.00", "-11.00", "-12.00",
];

/// Parses a numeric offset (`-5`, `+5.5`, `05.50`, `-5.00`) into hundredths of an hour.
/// Returns `None` when the text is not a plain decimal number of at most 3 integer and 4 fraction digits.
fn hundredths(text: &str) -> Option<i32> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (int_part, frac_part) = match rest.split_once('.') {
        Some((i, f)) => (i, f),
        None => (rest, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || int_part.len() > 3 || frac_part.len() > 4 || !digits(int_part) || !digits(frac_part) {
        return None;
    }
    if rest.ends_with('.') {
        return None;
    }
    let int: i32 = int_part.parse().ok()?;
    let mut frac_digits = frac_part.to_string();
    while frac_digits.len() < 4 {
        frac_digits.push('0');
    }
    let frac: i32 = frac_digits.parse().ok()?;
    // Only whole hundredths can match an allowed value.
    if frac % 100 != 0 {
        return None;
    }
    let value = int * 100 + frac / 100;
    Some(if negative { -value } else { value })
}

/// Returns the canonical spelling (`-5.00`, `5.50`, `0.00`) of `text` when it is numerically one of
/// [`GMT_OFFSETS`], as VICIdial's PHP loose comparison accepts it; `None` otherwise.
pub fn canonical_gmt(text: &str) -> Option<&'static str> {
    let value = hundredths(text)?;
    GMT_OFFSETS.iter().copied().find(|allowed| hundredths(allowed) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_variants_are_canonicalised() {
        for (input, expected) in [
            ("-5", Some("-5.00")),
            ("-5.0", Some("-5.00")),
            ("-5.00", Some("-5.00")),
            ("+5.5", Some("5.50")),
            ("5.50", Some("5.50")),
            ("05.50", Some("5.50")),
            ("0", Some("0.00")),
            ("-0", Some("0.00")),
            ("12.75", Some("12.75")),
            ("-12", Some("-12.00")),
            ("5.45", None),
            ("EST", None),
            ("", None),
            ("-", None),
            ("5.", None),
            ("+-5", None),
            ("13", None),
            ("5.5000", Some("5.50")),
            ("5.5001", None),
        ] {
            assert_eq!(canonical_gmt(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn every_listed_offset_is_its_own_canonical_form() {
        for offset in GMT_OFFSETS {
            assert_eq!(canonical_gmt(offset), Some(offset));
        }
    }
}
