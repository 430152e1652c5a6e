//! Cardinal numbers as spoken in Cairo.
//!
//! - A quantity joins every part with " و", largest first, units before tens:
//!   1250 → "ألف وميتين وخمسين", 1995 → "ألف وتسعمية وخمسة وتسعين" (the year 1995 is
//!   "ألف تسعمية خمسة وتسعين", see [`year`]).
//! - Thousands: ألف، ألفين، then the short form and the plural for 3–10 ("تلات تلاف",
//!   "عشر تلاف", also "مية وتلات تلاف"), otherwise "n ألف" ("حداشر ألف", "مية ألف").
//! - Millions and up: مليون، مليونين، "n مليون" ("تلاتة مليون"), likewise مليار and تريليون.
//! - Before a plural counted noun the last part 3–10 takes its short form ([`counted`]).
//! - Years 1900–2099 in dates have their own spoken form ([`year`]).
//! - More than 15 significant digits are not a quantity anyone says: [`digits`] reads them one
//!   by one, which also keeps arbitrarily long runs free of overflow.

/// 0–19.
const ONES: [&str; 20] = [
    "صفر",
    "واحد",
    "اتنين",
    "تلاتة",
    "أربعة",
    "خمسة",
    "ستة",
    "سبعة",
    "تمانية",
    "تسعة",
    "عشرة",
    "حداشر",
    "اتناشر",
    "تلتاشر",
    "أربعتاشر",
    "خمستاشر",
    "ستاشر",
    "سبعتاشر",
    "تمنتاشر",
    "تسعتاشر",
];

/// 20, 30, …, 90 at index 2..=9.
const TENS: [&str; 10] = [
    "",
    "",
    "عشرين",
    "تلاتين",
    "أربعين",
    "خمسين",
    "ستين",
    "سبعين",
    "تمانين",
    "تسعين",
];

/// 100, 200, …, 900 at index 1..=9.
const HUNDREDS: [&str; 10] = [
    "",
    "مية",
    "ميتين",
    "تلتمية",
    "ربعمية",
    "خمسمية",
    "ستمية",
    "سبعمية",
    "تمنمية",
    "تسعمية",
];

/// 3–10 before a plural noun (تلات ساعات، عشر تلاف).
const SHORT: [&str; 11] = [
    "", "", "", "تلات", "أربع", "خمس", "ست", "سبع", "تمن", "تسع", "عشر",
];

/// The largest number read as a quantity; beyond it, digit by digit.
pub const MAX_DIGITS: usize = 15;

fn word(table: &[&'static str], i: u64) -> &'static str {
    usize::try_from(i)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .unwrap_or("")
}

/// A single digit's name (also for digit-by-digit reading).
pub fn digit(d: u8) -> &'static str {
    word(&ONES, u64::from(d % 10))
}

/// Every digit named, space-separated: phone numbers and over-long runs.
pub fn digits(ds: &[u8]) -> String {
    ds.iter().map(|&d| digit(d)).collect::<Vec<_>>().join(" ")
}

/// The value of a digit string, if it has at most [`MAX_DIGITS`] significant digits.
pub fn value(ds: &[u8]) -> Option<u64> {
    let significant: Vec<u8> = ds.iter().copied().skip_while(|&d| d == 0).collect();
    if significant.len() > MAX_DIGITS {
        return None;
    }
    Some(
        significant
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d % 10)),
    )
}

fn below_hundred(n: u64) -> String {
    if n < 20 {
        return word(&ONES, n).to_string();
    }
    let (tens, units) = (n / 10, n % 10);
    if units == 0 {
        word(&TENS, tens).to_string()
    } else {
        format!("{} و{}", word(&ONES, units), word(&TENS, tens))
    }
}

fn below_thousand(n: u64) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    match (hundreds, rest) {
        (0, r) => below_hundred(r),
        (h, 0) => word(&HUNDREDS, h).to_string(),
        (h, r) => format!("{} و{}", word(&HUNDREDS, h), below_hundred(r)),
    }
}

/// `n` ending in its short form: the caller has checked `n % 100` is 3..=10.
fn with_short(n: u64) -> String {
    let rest = n % 100;
    let short = word(&SHORT, rest);
    match n - rest {
        0 => short.to_string(),
        head => format!("{} و{short}", cardinal(head)),
    }
}

fn short_applies(n: u64) -> bool {
    (3..=10).contains(&(n % 100))
}

fn thousands(count: u64) -> String {
    match count {
        1 => "ألف".to_string(),
        2 => "ألفين".to_string(),
        c if short_applies(c) => format!("{} تلاف", with_short(c)),
        c => format!("{} ألف", cardinal(c)),
    }
}

/// A quantity: 0 → "صفر", 1250 → "ألف وميتين وخمسين".
pub fn cardinal(n: u64) -> String {
    if n == 0 {
        return word(&ONES, 0).to_string();
    }
    let scales: [(u64, &str, &str); 3] = [
        (1_000_000_000_000, "تريليون", "تريليونين"),
        (1_000_000_000, "مليار", "مليارين"),
        (1_000_000, "مليون", "مليونين"),
    ];
    let mut parts = Vec::new();
    let mut rest = n;
    for (scale, one, two) in scales {
        match rest / scale {
            0 => {}
            1 => parts.push(one.to_string()),
            2 => parts.push(two.to_string()),
            count => parts.push(format!("{} {one}", cardinal(count))),
        }
        rest %= scale;
    }
    if rest >= 1000 {
        parts.push(thousands(rest / 1000));
    }
    if rest % 1000 > 0 {
        parts.push(below_thousand(rest % 1000));
    }
    parts.join(" و")
}

/// Before a plural counted noun: the last part 3–10 short ("تلات ساعات", "مية وخمس أيام").
pub fn counted(n: u64) -> String {
    if short_applies(n) {
        with_short(n)
    } else {
        cardinal(n)
    }
}

/// The spoken year, for 1900–2099: thousand and hundreds side by side, then the rest, which takes
/// "و" when it is one word ("ألف تسعمية وتسعين", "ألفين وخمسة") and not when it is itself a
/// compound ("ألفين أربعة وعشرين", "ألف تسعمية خمسة وتسعين").
pub fn year(n: u64) -> Option<String> {
    if !(1900..=2099).contains(&n) {
        return None;
    }
    let mut spoken = if n >= 2000 { "ألفين" } else { "ألف" }.to_string();
    let hundreds = (n / 100) % 10;
    if hundreds > 0 {
        spoken.push(' ');
        spoken.push_str(word(&HUNDREDS, hundreds));
    }
    let rest = n % 100;
    if rest > 0 {
        let compound = rest > 20 && rest % 10 != 0;
        spoken.push_str(if compound { " " } else { " و" });
        spoken.push_str(&below_hundred(rest));
    }
    Some(spoken)
}

/// What follows "فاصل": leading zeros as "صفر", the rest as a number ("14" → "أربعتاشر",
/// "05" → "صفر خمسة"); more than three digits are read one by one. `frac` has no trailing zeros.
fn fraction(frac: &[u8]) -> String {
    if frac.len() > 3 {
        return digits(frac);
    }
    let zeros = frac.iter().take_while(|&&d| d == 0).count();
    let mut words: Vec<String> = frac
        .iter()
        .take(zeros)
        .map(|&d| digit(d).to_string())
        .collect();
    let rest = frac.get(zeros..).unwrap_or_default();
    if let Some(v) = value(rest).filter(|_| !rest.is_empty()) {
        words.push(cardinal(v));
    }
    words.join(" ")
}

/// Drops trailing zeros: 2.50 is 2.5.
pub fn trim_fraction(frac: &[u8]) -> &[u8] {
    let len = frac.len() - frac.iter().rev().take_while(|&&d| d == 0).count();
    frac.get(..len).unwrap_or_default()
}

/// A decimal: `int` already spoken, `int_is_zero` when it is 0. ".5" is "ونص" and ".25" "وربع"
/// (alone "نص" and "ربع"), anything else "فاصل" and the fraction.
pub fn decimal(int: &str, int_is_zero: bool, frac: &[u8]) -> String {
    let frac = trim_fraction(frac);
    let named = match frac {
        [] => return int.to_string(),
        [5] => "نص",
        [2, 5] => "ربع",
        _ => return format!("{int} فاصل {}", fraction(frac)),
    };
    if int_is_zero {
        named.to_string()
    } else {
        format!("{int} و{named}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_every_part_with_wa() {
        assert_eq!(cardinal(1250), "ألف وميتين وخمسين");
        assert_eq!(cardinal(3_000_003), "تلاتة مليون وتلاتة");
        assert_eq!(counted(103), "مية وتلات");
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(value(&[9; 16]), None);
        assert_eq!(value(&[0, 0, 7]), Some(7));
        let top = value(&[9; 15]).unwrap_or_default();
        assert!(cardinal(top).starts_with("تسعمية وتسعة وتسعين تريليون"));
        assert!(!cardinal(u64::MAX).is_empty());
    }
}
