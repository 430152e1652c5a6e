//! The arithmetic num2words' Arabic converter does with Python ints, floats and `decimal`, on
//! plain decimal digit strings: its numbers go up to 10^51 (and, through floats, 10^308), past
//! any machine integer, and the rounding of `decimal` at its default 28-digit precision shows in
//! the words it writes.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer as its decimal digits, most significant first, without leading zeros
/// (zero is the empty list).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Digits(Vec<u8>);

impl Digits {
    /// What Python's `int()` makes of a string of ASCII digits; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = text.bytes().map(|b| b - b'0').skip_while(|&d| d == 0);
        Some(Self(digits.collect()))
    }

    pub fn from_u64(mut n: u64) -> Self {
        let mut out = Vec::new();
        while n > 0 {
            out.push((n % 10) as u8);
            n /= 10;
        }
        out.reverse();
        Self(out)
    }

    /// Python's `int(x)` of a finite, non-negative, integral float: its exact value.
    pub(super) fn from_integral_f64(x: f64) -> Self {
        if x < 18_446_744_073_709_551_616.0 {
            // Below 2^64 the cast is exact for an integral value.
            return Self::from_u64(x as u64);
        }
        // x = mantissa * 2^exp exactly, with exp >= 12 here: multiply out in base 10^9 limbs.
        let bits = x.to_bits();
        let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let mut exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
        let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
        while exp > 0 {
            let step = exp.min(29); // limb * 2^29 + carry stays below 2^64
            let mut carry = 0u64;
            for limb in limbs.iter_mut() {
                let v = (*limb << step) + carry;
                *limb = v % 1_000_000_000;
                carry = v / 1_000_000_000;
            }
            while carry > 0 {
                limbs.push(carry % 1_000_000_000);
                carry /= 1_000_000_000;
            }
            exp -= step;
        }
        let mut text = String::new();
        for (i, limb) in limbs.iter().rev().enumerate() {
            if i == 0 {
                text.push_str(&limb.to_string());
            } else {
                text.push_str(&format!("{limb:09}"));
            }
        }
        Self::parse(&text).unwrap_or_default()
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of decimal digits (0 for zero).
    pub fn digit_count(&self) -> usize {
        self.0.len()
    }

    /// Whether this is at least 10^`power`.
    pub(super) fn at_least_pow10(&self, power: usize) -> bool {
        self.0.len() > power
    }

    /// The value of the last `n` digits (`self % 10^n`), for n <= 9.
    pub(super) fn low(&self, n: usize) -> u32 {
        let start = self.0.len().saturating_sub(n);
        self.0[start..]
            .iter()
            .fold(0, |acc, &d| acc * 10 + u32::from(d))
    }

    /// `Some(k)` when this is exactly 2 * 10^k.
    pub(super) fn two_times_pow10(&self) -> Option<usize> {
        match self.0.split_first() {
            Some((2, rest)) if rest.iter().all(|&d| d == 0) => Some(rest.len()),
            _ => None,
        }
    }

    /// `self // 10^n`.
    fn drop_low(&self, n: usize) -> Self {
        Self(self.0[..self.0.len().saturating_sub(n)].to_vec())
    }

    fn add_one(&mut self) {
        for d in self.0.iter_mut().rev() {
            if *d == 9 {
                *d = 0;
            } else {
                *d += 1;
                return;
            }
        }
        self.0.insert(0, 1);
    }

    /// `int(Decimal(self) / Decimal(1000))` in a `decimal` context of precision `prec` with
    /// ROUND_HALF_EVEN: the quotient's coefficient is rounded to `prec` digits before `int()`
    /// truncates it, so a long number can come out one too high (num2words then spells a
    /// wrong group).
    pub(super) fn div1000_in_context(&self, prec: usize) -> Self {
        let n = self.0.len();
        if n <= prec {
            return self.drop_low(3);
        }
        let dropped = n - prec;
        let mut kept = self.drop_low(dropped);
        let tail = &self.0[prec..];
        let half = match tail[0].cmp(&5) {
            Ordering::Greater => Ordering::Greater,
            Ordering::Less => Ordering::Less,
            Ordering::Equal if tail[1..].iter().any(|&d| d != 0) => Ordering::Greater,
            Ordering::Equal => Ordering::Equal,
        };
        let odd = kept.0.last().is_some_and(|d| d % 2 == 1);
        if half == Ordering::Greater || (half == Ordering::Equal && odd) {
            kept.add_one();
        }
        // kept * 10^dropped, then floor-divided by 1000.
        if dropped >= 3 {
            if !kept.is_zero() {
                kept.0.extend(std::iter::repeat_n(0, dropped - 3));
            }
            kept
        } else {
            kept.drop_low(3 - dropped)
        }
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        let text: String = self.0.iter().map(|&d| char::from(b'0' + d)).collect();
        f.write_str(&text)
    }
}

/// `Num2Word_AR.to_str` of a finite non-negative float: the integer part, and the fraction's
/// digits as `"{:09d}".format(round(frac * 10**9)).rstrip("0")`, with Python's float
/// arithmetic (a fraction within 5e-10 of 1 gives "1000000000" and so ".1", as upstream).
pub(super) fn float_to_str(x: f64) -> (Digits, String) {
    let integer = x.trunc();
    if integer == x {
        return (Digits::from_integral_f64(integer), String::new());
    }
    // |x| < 2^53 here, so `x - integer` is exact; the product is rounded as Python rounds it.
    let decimal = ((x - integer) * 1e9).round_ties_even() as u64;
    let frac = format!("{decimal:09}").trim_end_matches('0').to_string();
    (Digits::from_integral_f64(integer), frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_float_integers() {
        assert_eq!(
            Digits::from_integral_f64(1e50).to_string(),
            "100000000000000007629769841091887003294964970946560"
        );
        assert_eq!(Digits::from_integral_f64(0.0).to_string(), "0");
        assert_eq!(
            Digits::from_integral_f64(2f64.powi(64)).to_string(),
            "18446744073709551616"
        );
    }

    #[test]
    fn decimal_context_rounding() {
        let n = Digits::parse("123456789012345678901234567960").unwrap_or_default();
        assert_eq!(
            n.div1000_in_context(28).to_string(),
            "123456789012345678901234568"
        );
        assert_eq!(
            n.div1000_in_context(30).to_string(),
            "123456789012345678901234567"
        );
        assert_eq!(Digits::parse("0042").unwrap_or_default().to_string(), "42");
    }

    #[test]
    fn python_to_str() {
        assert_eq!(float_to_str(12.5), (Digits::from_u64(12), "5".to_string()));
        assert_eq!(float_to_str(1.23456).1, "23456");
        assert_eq!(float_to_str(1.0000000001).1, "");
        assert_eq!(float_to_str(0.9999999999).1, "1");
    }
}
