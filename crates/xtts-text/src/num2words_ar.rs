//! Arabic number words exactly as num2words 0.5.14 writes them (`num2words/lang_AR.py`,
//! `Num2Word_AR`), for the calls coqui-tts 0.27.2 makes: `num2words(int, lang="ar")`,
//! `num2words(float, lang="ar")`, `ordinal=True`, and `to="currency"` with GBP/USD/EUR.
//! Its quirks are kept on purpose ("مئتا" for 200, "مائة و ألف ألف" for 101000, a comma
//! between the integer and the two-digit fraction, currencies all spelt as Saudi riyals),
//! because the XTTS model was trained on text that went through them.
//!
//! Upstream keeps one converter per language and Python's thread-wide `decimal` context, and
//! the context leaks: a number of 32 digits or more raises its precision for every later call.
//! [`Num2WordsAr`] holds that precision, so one value models one such thread.

mod digits;
mod words;

pub use digits::Digits;

use digits::float_to_str;
use thiserror::Error;
use words::*;

/// num2words' `MAXVAL` exponent: `to_cardinal` refuses numbers from 10^51 on.
const MAX_POW10: usize = 51;
/// Python's default `decimal` precision.
const DEFAULT_DECIMAL_PREC: usize = 28;

/// The exceptions num2words raises for the inputs coqui can give it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Num2WordsError {
    /// `validate_number`: `abs(n) must be less than 10**51.` (Python `OverflowError`).
    #[error("a number of {digits} digits is too large for num2words (limit 10^51)")]
    TooLarge { digits: usize },
    /// `int(inf)` inside `to_str`, for a currency amount of 309+ digits (`OverflowError`).
    #[error("cannot convert float infinity to integer")]
    Infinite,
    /// The `assert group < len(self.arabicGroup)` that stops ordinals and currency amounts
    /// from 10^51 on, which have no group name (`AssertionError`).
    #[error("no Arabic group name for a number of {digits} digits")]
    NoGroupName { digits: usize },
}

impl Num2WordsError {
    /// The Python exception class upstream raises.
    pub fn python_exception(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } | Self::Infinite => "OverflowError",
            Self::NoGroupName { .. } => "AssertionError",
        }
    }
}

/// The currencies coqui asks for. `Num2Word_AR.set_currency_prefer` knows only TND, EGP and
/// KWD and spells every other code, these three included, as Saudi riyals and halalas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Currency {
    Gbp,
    Usd,
    Eur,
}

/// The converter's settings one call uses (the instance attributes upstream sets per entry).
struct Style {
    /// `isCurrencyNameFeminine`: feminine units in the lowest group.
    feminine_units: bool,
    /// `separator` between the integer and the fraction.
    separator: &'static str,
    /// `currency_unit` / `currency_subunit`: forms for 1, 2, 3..=10, 11..=99.
    unit: [&'static str; 4],
    subunit: [&'static str; 4],
}

const NO_UNIT: [&str; 4] = ["", "", "", ""];

/// Num2Word_AR with the precision of the `decimal` context it runs in.
#[derive(Debug, Clone)]
pub struct Num2WordsAr {
    decimal_prec: usize,
}

impl Default for Num2WordsAr {
    fn default() -> Self {
        Self::new()
    }
}

impl Num2WordsAr {
    /// A converter in a fresh thread's `decimal` context (precision 28).
    pub fn new() -> Self {
        Self {
            decimal_prec: DEFAULT_DECIMAL_PREC,
        }
    }

    /// The `decimal` precision now, 28 until a long number raised it.
    pub fn decimal_precision(&self) -> usize {
        self.decimal_prec
    }

    /// `num2words(n, lang="ar")` for an int (`Num2Word_AR.to_cardinal`).
    pub fn cardinal(&mut self, n: &Digits) -> Result<String, Num2WordsError> {
        if n.at_least_pow10(MAX_POW10) {
            return Err(Num2WordsError::TooLarge {
                digits: n.digit_count(),
            });
        }
        let words = self.convert(n, "", &cardinal_style())?;
        Ok(words.trim_matches(' ').to_string())
    }

    /// `num2words(x, lang="ar")` for a float (`Num2Word_AR.to_cardinal`; the base class's float
    /// path is not used by Arabic): the fraction is cut to two digits and read as a number.
    pub fn cardinal_float(&mut self, x: f64) -> Result<String, Num2WordsError> {
        // `number >= self.MAXVAL` compares the float's exact value with 10**51; NaN passes it
        // in Python but cannot come from coqui's digit strings.
        let (int_part, frac) = if x.is_finite() {
            float_to_str(x.abs())
        } else {
            // Only an amount past f64::MAX (309+ digits) parses to infinity.
            return Err(Num2WordsError::TooLarge { digits: 309 });
        };
        if x >= 0.0 && int_part.at_least_pow10(MAX_POW10) {
            return Err(Num2WordsError::TooLarge {
                digits: int_part.digit_count(),
            });
        }
        let minus = if x < 0.0 { "سالب " } else { "" };
        let words = self.convert(&int_part, &frac, &cardinal_style())?;
        Ok(format!("{minus}{}", words.trim_matches(' ')))
    }

    /// `num2words(n, ordinal=True, lang="ar")` (`Num2Word_AR.to_ordinal`): ordinal words up to
    /// 19 ("" for 0), cardinal words from 20 on, feminine units below 100. Unlike the cardinal
    /// it does not check the size, so 10^51 and up fail on the missing group name instead.
    pub fn ordinal(&mut self, n: &Digits) -> Result<String, Num2WordsError> {
        if !n.at_least_pow10(2) && n.low(2) <= 19 {
            return Ok(ORDINALS[n.low(2) as usize].to_string());
        }
        let style = Style {
            feminine_units: !n.at_least_pow10(2),
            // `to_ordinal` keeps the previous call's separator, unused without a fraction.
            separator: ",",
            unit: NO_UNIT,
            subunit: NO_UNIT,
        };
        let words = self.convert(n, "", &style)?;
        Ok(words.trim_matches(' ').to_string())
    }

    /// `num2words(x, to="currency", currency=..., lang="ar")` (`Num2Word_AR.to_currency`), not
    /// stripped, as upstream: an amount below 1 starts with a space.
    pub fn currency(&mut self, x: f64, _currency: Currency) -> Result<String, Num2WordsError> {
        if !x.is_finite() {
            return Err(Num2WordsError::Infinite);
        }
        let (int_part, frac) = float_to_str(x.abs());
        let style = Style {
            feminine_units: false,
            separator: "و",
            unit: CURRENCY_SR,
            subunit: CURRENCY_SR_SUBUNIT,
        };
        self.convert(&int_part, &frac, &style)
    }

    /// `number_to_arabic` + `convert_to_arabic` of `self.number == f"{int_part}.{frac}"` (no dot
    /// when `frac` is empty: "1." and "1" convert alike).
    fn convert(
        &mut self,
        int_part: &Digits,
        frac: &str,
        style: &Style,
    ) -> Result<String, Num2WordsError> {
        if int_part.is_zero() && frac.is_empty() {
            return Ok("صفر".to_string());
        }
        // `decimal_value`: the fraction padded or cut to `partPrecision` (2) digits.
        let padded = format!("{frac}00");
        let decimal_value: u32 = padded
            .bytes()
            .take(2)
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'));
        let group_ctx = GroupCtx {
            integer_value: int_part,
            style,
        };
        let decimal_string = group_ctx.group_words(decimal_value, -1)?;

        // A fraction only comes with an integer part below 2^53, so the first step's Decimal
        // has at most 16 + 9 digits and is exact at any precision >= 28: the integer part alone
        // decides what the context does.
        let mut ret = String::new();
        let mut temp = int_part.clone();
        let mut group: usize = 0;
        while !temp.is_zero() {
            // `temp % 1000` raises InvalidOperation when the quotient needs more digits than
            // the precision; upstream then sets the precision to the number's length, for good.
            if temp.digit_count() > self.decimal_prec + 3 {
                self.decimal_prec = temp.digit_count();
            }
            let number_to_process = temp.low(3);
            temp = temp.div1000_in_context(self.decimal_prec);
            let level = i32::try_from(group).unwrap_or(i32::MAX);
            let description = group_ctx.group_words(number_to_process, level)?;
            if !description.is_empty() {
                if group > 0 {
                    if !ret.is_empty() {
                        ret = format!("و {ret}");
                    }
                    if number_to_process != 2 && number_to_process != 1 {
                        if group >= GROUP.len() {
                            return Err(Num2WordsError::NoGroupName {
                                digits: int_part.digit_count(),
                            });
                        }
                        let name = if number_to_process % 100 == 1 {
                            GROUP[group]
                        } else if (3..=10).contains(&number_to_process) {
                            PLURAL_GROUPS[group]
                        } else if !ret.is_empty() {
                            APPENDED_GROUP[group]
                        } else {
                            GROUP[group]
                        };
                        ret = format!("{name} {ret}");
                    }
                }
                ret = format!("{description} {ret}");
            }
            group += 1;
        }

        let mut out = ret;
        if !int_part.is_zero() {
            let form = match int_part.low(2) {
                0 | 1 => 0,
                2 if int_part.digit_count() == 1 => 1,
                2 => 0,
                3..=10 => 2,
                _ => 3,
            };
            out.push_str(style.unit[form]);
        }
        if decimal_value != 0 {
            out.push_str(&format!(" {} {decimal_string} ", style.separator));
            let form = match decimal_value {
                0 | 1 => 0,
                2 => 1,
                3..=10 => 2,
                _ => 3,
            };
            out.push_str(style.subunit[form]);
        }
        Ok(out)
    }
}

fn cardinal_style() -> Style {
    Style {
        feminine_units: false,
        separator: ",",
        unit: NO_UNIT,
        subunit: NO_UNIT,
    }
}

/// What `process_arabic_group` reads besides its arguments.
struct GroupCtx<'a> {
    /// `self.integer_value`, for the "2 * 10^(3k)" test.
    integer_value: &'a Digits,
    style: &'a Style,
}

impl GroupCtx<'_> {
    /// `digit_feminine_status`: the fraction (level -1) is always feminine (halalas), the units
    /// group as the style says, higher groups masculine.
    fn ones(&self, digit: u32, level: i32) -> &'static str {
        let feminine = level == -1 || (level == 0 && self.style.feminine_units);
        let table = if feminine { &FEMININE_ONES } else { &ONES };
        table[digit as usize % table.len()]
    }

    /// `process_arabic_group(group_number, group_level, remaining_number)` for a group below
    /// 1000. Its branches that need `hundreds == 0` (a Decimal fraction, zero only for group 0)
    /// never run and are left out.
    fn group_words(&self, group_number: u32, level: i32) -> Result<String, Num2WordsError> {
        let hundreds = group_number / 100;
        let tens = group_number % 100;
        let mut ret = String::new();
        if hundreds > 0 {
            if tens == 0 && hundreds == 2 {
                ret = APPENDED_TWOS[0].to_string();
            } else {
                ret = HUNDREDS[hundreds as usize].to_string();
                if !ret.is_empty() && tens != 0 {
                    ret.push_str(" و ");
                }
            }
        }
        if tens > 0 {
            if tens < 20 {
                let idx = usize::try_from(level).unwrap_or(0);
                if level >= 0 && idx >= TWOS.len() {
                    return Err(Num2WordsError::NoGroupName {
                        digits: self.integer_value.digit_count(),
                    });
                }
                if tens == 2 && hundreds == 0 && level > 0 {
                    let appended = self
                        .integer_value
                        .two_times_pow10()
                        .is_some_and(|pow| pow >= 1 && pow % 3 == 0);
                    ret = if appended {
                        APPENDED_TWOS[idx]
                    } else {
                        TWOS[idx]
                    }
                    .to_string();
                } else if tens == 1 && level > 0 {
                    ret.push_str(GROUP[idx]);
                } else {
                    ret.push_str(self.ones(tens, level));
                }
            } else {
                let ones = tens % 10;
                if ones > 0 {
                    ret.push_str(self.ones(ones, level));
                }
                if !ret.is_empty() && ones != 0 {
                    ret.push_str(" و ");
                }
                ret.push_str(TENS[(tens / 10 - 2) as usize]);
            }
        }
        Ok(ret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: u64) -> Digits {
        Digits::from_u64(n)
    }

    // Values checked by hand against num2words 0.5.14 in the reference venv.
    #[test]
    fn cardinals() {
        let mut c = Num2WordsAr::new();
        let cases = [
            (0, "صفر"),
            (2, "اثنان"),
            (21, "واحد و عشرون"),
            (200, "مئتا"),
            (201, "مئتان و واحد"),
            (2000, "ألفا"),
            (3000, "ثلاثة آلاف"),
            (101000, "مائة و ألف ألف"),
            (12345, "اثنا عشر ألفاً و ثلاثمائة و خمسة و أربعون"),
        ];
        for (n, words) in cases {
            assert_eq!(c.cardinal(&int(n)).as_deref(), Ok(words), "{n}");
        }
    }

    #[test]
    fn ordinals_floats_currency() {
        let mut c = Num2WordsAr::new();
        assert_eq!(c.ordinal(&int(0)).as_deref(), Ok(""));
        assert_eq!(c.ordinal(&int(3)).as_deref(), Ok("ثالث"));
        assert_eq!(c.ordinal(&int(21)).as_deref(), Ok("إحدى و عشرون"));
        assert_eq!(c.cardinal_float(12.5).as_deref(), Ok("اثنا عشر  , خمسون"));
        assert_eq!(c.cardinal_float(0.05).as_deref(), Ok(", خمس"));
        assert_eq!(
            c.currency(12.5, Currency::Usd).as_deref(),
            Ok("اثنا عشر ريالاً و خمسون هللة")
        );
        assert_eq!(c.currency(20.0, Currency::Gbp).as_deref(), Ok("عشرون ريالاً"));
    }

    #[test]
    fn limits() {
        let mut c = Num2WordsAr::new();
        let big = Digits::parse(&format!("1{}", "0".repeat(51))).unwrap_or_default();
        assert_eq!(
            c.cardinal(&big),
            Err(Num2WordsError::TooLarge { digits: 52 })
        );
        assert_eq!(
            c.ordinal(&big),
            Err(Num2WordsError::NoGroupName { digits: 52 })
        );
        assert_eq!(
            c.currency(f64::INFINITY, Currency::Eur),
            Err(Num2WordsError::Infinite)
        );
        // The 52-digit ordinal raised the decimal precision, as upstream's context does.
        assert_eq!(c.decimal_precision(), 52);
    }
}
