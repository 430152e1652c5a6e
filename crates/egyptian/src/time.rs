//! Clock times, the way they are said in Cairo.
//!
//! - Minutes in fives have names: :05 "وخمسة", :10 "وعشرة", :15 "وربع", :20 "وتلت",
//!   :25 "ونص إلا خمسة", :30 "ونص", :35 "ونص وخمسة"; from :40 on, counted back from the next
//!   hour: "إلا تلت", "إلا ربع", "إلا عشرة", "إلا خمسة".
//! - Other minutes are counted: "ودقيقة", "ودقيقتين", "وتلات دقايق" (3–9, short form and
//!   plural), "وسبعتاشر دقيقة" (11 and up).
//! - The hour is said on a 12-hour clock: 1 is "واحدة" (الساعة واحدة), 2 "اتنين", 0 and 12
//!   "اتناشر".
//! - A period of the day follows when the text gave one (ص/م, AM/PM, صباحًا/مساءً) or the
//!   hour was written on the 24-hour clock (0 or 13–23); it is chosen by the actual hour:
//!   0–4 "بعد نص الليل", 5–11 "الصبح", 12–14 "الضهر", 15–17 "العصر", 18–23 "بالليل". So
//!   "٣:٣٠ م" and "15:30" are both "تلاتة ونص العصر", and "12:00 م" is "اتناشر الضهر".

use crate::chars::{arabic_word, at, skip_spaces, starts_with};
use crate::numbers::{cardinal, counted};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meridiem {
    Am,
    Pm,
}

fn hour_word(h24: u32) -> String {
    match h24 % 12 {
        0 => "اتناشر".to_string(),
        1 => "واحدة".to_string(),
        h => cardinal(u64::from(h)),
    }
}

fn period(h24: u32) -> &'static str {
    match h24 {
        0..=4 => "بعد نص الليل",
        5..=11 => "الصبح",
        12..=14 => "الضهر",
        15..=17 => "العصر",
        _ => "بالليل",
    }
}

/// `hour:minute`, `None` when it is not a time of day (minute over 59, hour over 23).
pub fn read(hour: u32, minute: u32, meridiem: Option<Meridiem>) -> Option<String> {
    if hour > 23 || minute > 59 {
        return None;
    }
    // AM/PM only mean something on a 12-hour clock; "15:00 PM" is still 15:00.
    let h24 = match (meridiem, hour) {
        (Some(Meridiem::Am), 12) => 0,
        (Some(Meridiem::Pm), 1..=11) => hour + 12,
        _ => hour,
    };
    let this = hour_word(h24);
    let next = hour_word(h24 + 1);
    let spoken = match minute {
        0 => this,
        1 => format!("{this} ودقيقة"),
        2 => format!("{this} ودقيقتين"),
        5 => format!("{this} وخمسة"),
        10 => format!("{this} وعشرة"),
        15 => format!("{this} وربع"),
        20 => format!("{this} وتلت"),
        25 => format!("{this} ونص إلا خمسة"),
        30 => format!("{this} ونص"),
        35 => format!("{this} ونص وخمسة"),
        40 => format!("{next} إلا تلت"),
        45 => format!("{next} إلا ربع"),
        50 => format!("{next} إلا عشرة"),
        55 => format!("{next} إلا خمسة"),
        m if m < 10 => format!("{this} و{} دقايق", counted(u64::from(m))),
        m => format!("{this} و{} دقيقة", cardinal(u64::from(m))),
    };
    if meridiem.is_some() || h24 == 0 || h24 >= 13 {
        Some(format!("{spoken} {}", period(h24)))
    } else {
        Some(spoken)
    }
}

/// AM/PM words after a time (inline spaces first); the Arabic ones only when `arabic` (a bare
/// "م" after a number is as likely metres). Returns the meridiem and the position after it.
pub fn meridiem_at(chars: &[char], i: usize, arabic: bool) -> Option<(Meridiem, usize)> {
    let j = skip_spaces(chars, i);
    for (latin, meridiem) in [
        ("a.m.", Meridiem::Am),
        ("p.m.", Meridiem::Pm),
        ("am", Meridiem::Am),
        ("pm", Meridiem::Pm),
    ] {
        if let Some(end) = starts_with(chars, j, latin, true) {
            if !at(chars, end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                return Some((meridiem, end));
            }
        }
    }
    if !arabic {
        return None;
    }
    let (word, end) = arabic_word(chars, j);
    let meridiem = match word.as_str() {
        // Marks are dropped: صباحًا and مساءً arrive as صباحا and مساء.
        "ص" | "صباحا" => Meridiem::Am,
        "م" | "مساء" | "مساءا" => Meridiem::Pm,
        _ => return None,
    };
    Some((meridiem, end))
}
