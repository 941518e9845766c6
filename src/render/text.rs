//! How a cell reads in the table view: thousands separators, floats
//! rounded to what a person can take in, `null` for missing values.
//!
//! Only the human formats use this; machine formats carry raw values.

use super::cells::Cell;

/// The cell as the table view shows it; with `humanize`, large numbers
/// read as 1.2K, 58.3M, 1.4B.
pub fn display(cell: &Cell, humanize: bool) -> String {
    match cell {
        Cell::Int(n) if humanize => human(*n as f64).unwrap_or_else(|| cell_text(cell)),
        Cell::Float(f) if humanize => human(*f).unwrap_or_else(|| cell_text(cell)),
        _ => cell_text(cell),
    }
}

/// 1,234,567 as 1.2M: one decimal and a unit from K to T, for magnitudes
/// of a thousand and more (`None` below that or when not finite).
fn human(value: f64) -> Option<String> {
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    if !value.is_finite() || value.abs() < 1e3 {
        return None;
    }
    let magnitude = value.abs();
    let sign = if value < 0.0 { "-" } else { "" };
    // 999,960 rounds to 1000.0K: move up a unit instead.
    for (index, (size, unit)) in UNITS.iter().enumerate() {
        if magnitude >= *size {
            let scaled = magnitude / size;
            if (scaled * 10.0).round() >= 10_000.0 && index > 0 {
                let (bigger, bigger_unit) = UNITS[index - 1];
                return Some(format!("{sign}{:.1}{bigger_unit}", magnitude / bigger));
            }
            return Some(format!("{sign}{scaled:.1}{unit}"));
        }
    }
    None
}

pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => "null".to_owned(),
        Cell::Int(n) => group_thousands(&n.unsigned_abs().to_string(), *n < 0),
        Cell::Float(f) => float(*f),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Datetime(d) => {
            if d.and_utc().timestamp_subsec_micros() == 0 {
                d.format("%Y-%m-%d %H:%M:%S").to_string()
            } else {
                // Fractions of a second without trailing zeros.
                let text = d.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
                text.trim_end_matches('0').to_owned()
            }
        }
        Cell::Duration(micros) => duration(*micros),
    }
}

/// Whether the cell is right-aligned (numbers are).
pub fn is_numeric(cell: &Cell) -> bool {
    matches!(cell, Cell::Int(_) | Cell::Float(_) | Cell::Duration(_))
}

fn group_thousands(digits: &str, negative: bool) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Two decimals at most for ordinary magnitudes, four significant digits
/// for small ones, scientific notation beyond 10^15; trailing zeros are
/// dropped but one decimal stays, so a float never reads as an integer.
pub fn float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let magnitude = f.abs();
    if magnitude >= 1e15 {
        return format!("{f:.3e}");
    }
    let decimals = if magnitude >= 1.0 || magnitude == 0.0 {
        2
    } else {
        // Enough places to keep four significant digits.
        (4 - magnitude.log10().floor() as i32 - 1).clamp(2, 12) as usize
    };
    let fixed = format!("{:.*}", decimals, magnitude);
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut fraction = fraction.trim_end_matches('0').to_owned();
    if fraction.is_empty() {
        fraction.push('0');
    }
    let negative = f < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0');
    format!("{}.{fraction}", group_thousands(whole, negative))
}

fn duration(micros: i64) -> String {
    let negative = micros < 0;
    let mut rest = micros.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [
        ("d", 86_400_000_000u64),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
    ] {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if rest > 0 {
        if rest.is_multiple_of(1000) {
            parts.push(format!("{}ms", rest / 1000));
        } else {
            parts.push(format!("{rest}us"));
        }
    }
    if parts.is_empty() {
        parts.push("0s".to_owned());
    }
    let text = parts.join(" ");
    if negative { format!("-{text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_get_thousands_separators() {
        assert_eq!(cell_text(&Cell::Int(58_326_431)), "58,326,431");
        assert_eq!(cell_text(&Cell::Int(-1_000)), "-1,000");
        assert_eq!(cell_text(&Cell::Int(999)), "999");
        assert_eq!(cell_text(&Cell::Int(0)), "0");
    }

    #[test]
    fn floats_are_rounded_sensibly() {
        assert_eq!(float(89.83), "89.83");
        assert_eq!(float(31.0), "31.0");
        assert_eq!(float(1234567.891), "1,234,567.89");
        assert_eq!(float(0.123456), "0.1235");
        assert_eq!(float(0.000123456), "0.0001235");
        assert_eq!(float(-2.5), "-2.5");
        assert_eq!(float(-0.001), "-0.001");
        assert_eq!(float(0.0), "0.0");
        assert_eq!(float(2e20), "2.000e20");
    }

    #[test]
    fn durations_read_as_units() {
        assert_eq!(cell_text(&Cell::Duration(90 * 60 * 1_000_000)), "1h 30m");
        assert_eq!(cell_text(&Cell::Duration(1_500)), "1500us");
        assert_eq!(cell_text(&Cell::Duration(0)), "0s");
    }

    #[test]
    fn humanized_numbers_read_with_units() {
        let h = |n: i128| display(&Cell::Int(n), true);
        assert_eq!(h(58_326_431), "58.3M");
        assert_eq!(h(1_234), "1.2K");
        assert_eq!(h(999), "999");
        assert_eq!(h(999_960), "1.0M");
        assert_eq!(h(-2_500_000_000), "-2.5B");
        assert_eq!(display(&Cell::Float(1234.5), true), "1.2K");
        assert_eq!(display(&Cell::Float(12.345), true), "12.35");
        assert_eq!(display(&Cell::Int(58_326_431), false), "58,326,431");
        assert_eq!(display(&Cell::Text("10000".into()), true), "10000");
    }

    #[test]
    fn null_reads_null() {
        assert_eq!(cell_text(&Cell::Null), "null");
    }
}
