//! The one check for free text fields: a length in characters and no control characters.

use crate::DomainError;

/// Whether line breaks and tabs are part of the field (descriptions, message content).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// `raw` when it has at most `max_chars` characters and no control characters other than
/// line breaks and tabs in multi-line text.
pub fn bounded(raw: &str, max_chars: usize, lines: Lines) -> Result<String, DomainError> {
    if raw.chars().count() > max_chars {
        return Err(DomainError::invalid(
            "",
            format!("must be at most {max_chars} characters"),
        ));
    }
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
    if raw.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(DomainError::invalid(
            "",
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes_and_refuses_control_characters() {
        assert!(bounded("ééé", 3, Lines::Single).is_ok());
        assert!(bounded("éééé", 3, Lines::Single).is_err());
        assert!(bounded("a\nb", 10, Lines::Single).is_err());
        assert!(bounded("a\nb\tc", 10, Lines::Multi).is_ok());
        assert!(bounded("a\u{0}b", 10, Lines::Multi).is_err());
    }
}
