//! Phone numbers, parsed and validated with libphonenumber's metadata (the `phonenumber`
//! crate) and kept in E.164. A number without a country code is read as Korean, so
//! `010-1234-5678` is `+821012345678`.

use phonenumber::country::Id;
use phonenumber::Mode;

/// A valid phone number in E.164 (`+821012345678`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// A number as people write it (spaces, dashes, dots, brackets, a leading `+` and country
    /// code, or a Korean number without one); `None` when it is not a valid number.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 32 || raw.chars().any(|c| c.is_control() || c.is_alphabetic()) {
            return None;
        }
        let n = phonenumber::parse(Some(Id::KR), raw).ok()?;
        phonenumber::is_valid(&n).then(|| Self(n.format().mode(Mode::E164).to_string()))
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// For showing where a code went: the last four digits only (`+82 ••••5678`).
    pub fn masked(e164: &str) -> String {
        let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
        let country = if e164.starts_with("+82") { "+82 " } else { "" };
        format!("{country}••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_numbers_are_read_in_every_common_form() {
        for raw in ["010-1234-5678", "01012345678", "010 1234 5678", "+82 10-1234-5678", "+821012345678", "(010) 1234-5678", "010.1234.5678"] {
            assert_eq!(Phone::parse(raw).map(|p| p.e164().to_owned()).as_deref(), Some("+821012345678"), "{raw}");
        }
        assert_eq!(Phone::parse("02-312-3456").unwrap().e164(), "+8223123456");
        assert_eq!(Phone::parse("+1 415 555 2671").unwrap().e164(), "+14155552671");
        assert_eq!(Phone::parse("+44 20 7946 0958").unwrap().e164(), "+442079460958");
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for raw in ["", "   ", "010", "010-1234", "hello", "010-1234-5678x", "+82 10 1234 5678 9999 9999 9999 9999", "+999 1234 5678", "010\n1234\n5678"] {
            assert_eq!(Phone::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn masked_numbers_show_the_last_four_digits() {
        assert_eq!(Phone::masked("+821012345678"), "+82 ••••5678");
        assert_eq!(Phone::masked("+14155552671"), "••••2671");
    }
}
