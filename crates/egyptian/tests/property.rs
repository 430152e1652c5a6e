//! normalize over thousands of generated strings (a fixed LCG, so every run sees the same
//! ones): it never panics, no digit of any script survives it, and a second pass changes
//! nothing (what it writes is never read again as a number, symbol or abbreviation).

use sawt_egyptian::normalize;

/// Knuth's MMIX LCG; the high bits are the random ones.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick(&mut self, pool: &[char]) -> char {
        let len = u64::try_from(pool.len()).unwrap_or(1).max(1);
        let i = usize::try_from(self.next() % len).unwrap_or_default();
        pool.get(i).copied().unwrap_or(' ')
    }
}

const DIGITS: &str = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹";
const LETTERS: &str = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةىءأإآ";
const SEPARATORS: &str = ":/.-,%+٫٬٪";
/// Also some Latin, symbols, marks and emoji, to meet the abbreviation and currency readers.
const OTHERS: &str = "kmgDrOKapLE$€£&@°ـَ😀";

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || ('\u{660}'..='\u{669}').contains(&c)
        || ('\u{6F0}'..='\u{6F9}').contains(&c)
}

#[test]
fn never_panics_leaves_no_digit_and_is_idempotent() {
    let pools: Vec<Vec<char>> = [DIGITS, DIGITS, LETTERS, SEPARATORS, "  \n", OTHERS]
        .iter()
        .map(|p| p.chars().collect())
        .collect();
    let mut rng = Lcg(0x5a57_e9e1);
    for n in 0..5000 {
        let len = rng.next() % 40;
        let input: String = (0..len)
            .map(|_| {
                let pool = pools.get(usize::try_from(rng.next() % 6).unwrap_or_default());
                rng.pick(pool.map_or(&[][..], Vec::as_slice))
            })
            .collect();
        let output = normalize(&input);
        assert!(
            !output.chars().any(is_digit),
            "case {n}: {input:?} left a digit: {output:?}"
        );
        assert_eq!(normalize(&output), output, "case {n}: {input:?}");
    }
}
