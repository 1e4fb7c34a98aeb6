//! The one error type of the domain layer. The api crate maps each variant to exactly one
//! problem type; adapters turn their own failures into `Unexpected` or, where the cause is
//! the caller's (a unique violation), into `Conflict`.

use std::collections::BTreeMap;

/// Messages per offending field, keyed by the field's path in the request (`email`,
/// `blocks[3].text.text`). Ordered so that responses are stable.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input broke a rule; every offending field is named.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// No credentials, or credentials that prove nothing.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Missing, or not visible to the caller: the two are indistinguishable on purpose.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A body bigger than the limit that `{0}` names; nothing of it is kept.
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// The store has no room left (a full disk or database); nothing of the write was kept,
    /// and the same write can succeed once space returns.
    #[error("storage is full")]
    StorageFull,
    /// An `If-Match` precondition did not hold.
    #[error("the resource has changed since it was read")]
    PreconditionFailed,
    /// Too many requests for a quota (`rate_limit`); nothing of this one was done.
    #[error(
        "too many requests; retry in {} s",
        .0.retry_after.as_secs_f64().ceil().max(1.0)
    )]
    RateLimited(crate::rate_limit::RateLimited),
    /// Anything the caller could not have caused; details are logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    /// A validation error about a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.into(), vec![message.into()]);
        Self::Validation(errors)
    }
}

impl DomainError {
    /// Files a validation error about a bare value under the field it came from.
    pub fn for_field(self, field: &str) -> Self {
        let mut v = Validator::new();
        v.check::<()>(field, Err(self));
        match v.finish() {
            Err(err) => err,
            Ok(()) => Self::invalid(field, "is invalid"),
        }
    }
}

/// Collects field errors from several parses and fails once with all of them.
#[derive(Debug, Default)]
pub struct Validator {
    errors: FieldErrors,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value when it parsed; records the error under `field` otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Validation(errors)) => {
                for (key, messages) in errors {
                    let path = if key.is_empty() {
                        field.to_owned()
                    } else {
                        key
                    };
                    self.errors.entry(path).or_default().extend(messages);
                }
                None
            }
            Err(other) => {
                self.errors
                    .entry(field.to_owned())
                    .or_default()
                    .push(other.to_string());
                None
            }
        }
    }

    /// Fails with every recorded error, or succeeds when there were none.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_reports_every_failed_field_at_once() {
        let mut v = Validator::new();
        let a: Option<u8> = v.check("a", Err(DomainError::invalid("", "bad a")));
        let b = v.check("b", Ok::<_, DomainError>(2));
        let c: Option<u8> = v.check("c", Err(DomainError::invalid("", "bad c")));
        assert_eq!((a, b, c), (None, Some(2), None));
        let Err(DomainError::Validation(errors)) = v.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(errors.keys().collect::<Vec<_>>(), vec!["a", "c"]);
    }
}
