//! The error report and the generic JSON checks (objects, strings, numbers, arrays, URLs) that
//! every block, element and composition object is checked with.

use serde_json::{Map, Value};

use crate::FieldErrors;

pub(super) type Object = Map<String, Value>;

/// Every error found so far, keyed by path.
#[derive(Default)]
pub(super) struct Report(pub(super) FieldErrors);

impl Report {
    pub(super) fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0
            .entry(path.to_owned())
            .or_default()
            .push(message.into());
    }
}

/// `path.key`
pub(super) fn at(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// `path[i]`
pub(super) fn nth(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// "a, b or c"
pub(super) fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

pub(super) fn object<'a>(report: &mut Report, path: &str, value: &'a Value) -> Option<&'a Object> {
    let object = value.as_object();
    if object.is_none() {
        report.add(path, "must be an object");
    }
    object
}

/// Rejects every field of `object` that is not in `known`.
pub(super) fn only_known(
    report: &mut Report,
    path: &str,
    object: &Object,
    known: &[&str],
    what: &str,
) {
    for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
        report.add(&at(path, key), format!("is not a known field of {what}"));
    }
}

pub(super) fn required<'a>(
    report: &mut Report,
    path: &str,
    object: &'a Object,
    key: &str,
) -> Option<&'a Value> {
    let value = object.get(key);
    if value.is_none() {
        report.add(&at(path, key), "is required");
    }
    value
}

/// The string `type` of an object, which every block, element and text object must have.
pub(super) fn type_of<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let value = required(report, path, object, "type")?;
    let name = value.as_str();
    if name.is_none() {
        report.add(&at(path, "type"), "must be a string");
    }
    name
}

/// A non-empty string of at most `max` characters; `Some` only when it is one.
pub(super) fn string<'a>(
    report: &mut Report,
    path: &str,
    value: &'a Value,
    max: usize,
) -> Option<&'a str> {
    let Some(text) = value.as_str() else {
        report.add(path, "must be a string");
        return None;
    };
    if text.is_empty() {
        report.add(path, "must not be empty");
        None
    } else if text.chars().count() > max {
        report.add(path, format!("must be at most {max} characters"));
        None
    } else {
        Some(text)
    }
}

pub(super) fn boolean(report: &mut Report, path: &str, value: &Value) {
    if !value.is_boolean() {
        report.add(path, "must be a boolean");
    }
}

pub(super) fn integer(
    report: &mut Report,
    path: &str,
    value: &Value,
    min: u64,
    max: u64,
) -> Option<u64> {
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            report.add(path, format!("must be an integer between {min} and {max}"));
            None
        }
    }
}

/// An array of `min..=max` items. Its items are returned even when their number is wrong, so
/// that they are checked too; a non-array yields no items.
pub(super) fn array<'a>(
    report: &mut Report,
    path: &str,
    value: &'a Value,
    min: usize,
    max: usize,
) -> &'a [Value] {
    let Some(items) = value.as_array() else {
        report.add(path, "must be an array");
        return &[];
    };
    if !(min..=max).contains(&items.len()) {
        let message = match (min, max) {
            (0, max) => format!("must hold at most {max} items"),
            (1, usize::MAX) => "must hold at least 1 item".to_owned(),
            (min, usize::MAX) => format!("must hold at least {min} items"),
            (min, max) => format!("must hold between {min} and {max} items"),
        };
        report.add(path, message);
    }
    items
}

/// An array whose items must all be objects, each handed to `check`.
pub(super) fn objects(
    report: &mut Report,
    path: &str,
    value: &Value,
    (min, max): (usize, usize),
    mut check: impl FnMut(&mut Report, &str, &Object),
) {
    for (i, item) in array(report, path, value, min, max).iter().enumerate() {
        let item_path = nth(path, i);
        if let Some(object) = object(report, &item_path, item) {
            check(report, &item_path, object);
        }
    }
}

/// An http or https URL of at most 3000 characters.
pub(super) fn url(report: &mut Report, path: &str, value: &Value) {
    let Some(raw) = string(report, path, value, 3000) else {
        return;
    };
    match url::Url::parse(raw) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {}
        _ => report.add(path, "must be an http or https URL"),
    }
}

pub(super) fn style(report: &mut Report, path: &str, value: &Value) {
    match value.as_str() {
        Some("primary" | "danger") => {}
        Some(_) => report.add(path, "must be primary or danger"),
        None => report.add(path, "must be a string"),
    }
}

pub(super) fn optional_string(
    report: &mut Report,
    path: &str,
    object: &Object,
    key: &str,
    max: usize,
) {
    if let Some(value) = object.get(key) {
        string(report, &at(path, key), value, max);
    }
}

pub(super) fn required_string(
    report: &mut Report,
    path: &str,
    object: &Object,
    key: &str,
    max: usize,
) {
    if let Some(value) = required(report, path, object, key) {
        string(report, &at(path, key), value, max);
    }
}

pub(super) fn optional_boolean(report: &mut Report, path: &str, object: &Object, key: &str) {
    if let Some(value) = object.get(key) {
        boolean(report, &at(path, key), value);
    }
}
