//! Calendar dates: D/M/YYYY, D-M-YYYY, YYYY-MM-DD and YYYY/MM/DD.
//!
//! Read as "day month year", the day a plain cardinal ("خمسة وعشرين ديسمبر"), the month by
//! its Egyptian (Gregorian, French-derived) name, the year 1900–2099 in its spoken form
//! ("ألفين أربعة وعشرين"), other years as a quantity. A day that the month does not have
//! (31/4, 29/2 outside leap years, month 13) makes it no date: the caller reads the numbers
//! as plain numbers and keeps the separators.

use crate::chars::{at, digit_run};
use crate::numbers::{cardinal, value, year};

const MONTHS: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

fn days_in(month: u64, year: u64) -> u64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The spoken date, `None` if it is not one.
pub fn read(day: u64, month: u64, y: u64) -> Option<String> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in(month, y) {
        return None;
    }
    let name = MONTHS.get(usize::try_from(month - 1).ok()?)?;
    let spoken_year = year(y).unwrap_or_else(|| cardinal(y));
    Some(format!("{} {name} {spoken_year}", cardinal(day)))
}

/// A date starting at the digit at `i`: its reading and the position after it.
pub fn parse_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let (a, j) = digit_run(chars, i);
    let sep = at(chars, j).filter(|&c| c == '/' || c == '-')?;
    let (b, k) = digit_run(chars, j + 1);
    if at(chars, k) != Some(sep) {
        return None;
    }
    let (c, end) = digit_run(chars, k + 1);
    let short = |d: &[u8]| (1..=2).contains(&d.len());
    // A year has four digits and does not start with 0.
    let is_year = |d: &[u8]| d.len() == 4 && d.first() != Some(&0);
    let (day, month, y) = if short(&a) && short(&b) && is_year(&c) {
        (a, b, c)
    } else if is_year(&a) && short(&b) && short(&c) {
        (c, b, a)
    } else {
        return None;
    };
    let spoken = read(value(&day)?, value(&month)?, value(&y)?)?;
    Some((spoken, end))
}
