//! Plural nouns counted with 3–10, before which the number takes its short form
//! ("تلات ساعات", "خمس أيام", "عشر دقايق"). Singular nouns after a number (جنيه، كيلو، ساعة)
//! keep the full form ("خمسة جنيه"), which is also what Cairenes say.

use crate::chars::{arabic_word, skip_spaces};

/// Common plurals, as written (marks are dropped before the lookup), colloquial and standard
/// spellings both.
const PLURALS: [&str; 43] = [
    "ساعات",
    "أيام",
    "ايام",
    "دقايق",
    "دقائق",
    "ثواني",
    "تواني",
    "ثوان",
    "سنين",
    "سنوات",
    "شهور",
    "أشهر",
    "اشهر",
    "أسابيع",
    "اسابيع",
    "ليالي",
    "مرات",
    "تلاف",
    "آلاف",
    "الاف",
    "ألاف",
    "جنيهات",
    "دولارات",
    "قروش",
    "ريالات",
    "دراهم",
    "كيلوهات",
    "درجات",
    "أشخاص",
    "اشخاص",
    "أفراد",
    "عيال",
    "أطفال",
    "اطفال",
    "ولاد",
    "بنات",
    "رجالة",
    "ستات",
    "كتب",
    "صفحات",
    "أسئلة",
    "حاجات",
    "طلبات",
];

/// Whether the word after position `i` (inline spaces skipped) is a counted plural.
pub fn plural_follows(chars: &[char], i: usize) -> bool {
    let (word, _) = arabic_word(chars, skip_spaces(chars, i));
    PLURALS.contains(&word.as_str())
}
