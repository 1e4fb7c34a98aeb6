//! Block Kit composition objects: text objects, select options and confirmation dialogs.

use serde_json::Value;

use super::checks::{
    at, boolean, object, only_known, required, required_string, string, style, type_of, Object,
    Report,
};

/// Which text object types a field accepts.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Text {
    Plain,
    PlainOrMrkdwn,
}

/// `{type: "plain_text"|"mrkdwn", text, emoji?, verbatim?}`; `emoji` is only allowed on
/// plain_text and `verbatim` only on mrkdwn, as Slack documents.
pub(super) fn text_object(
    report: &mut Report,
    path: &str,
    value: &Value,
    accepts: Text,
    max: usize,
) {
    if let Some(object) = object(report, path, value) {
        text_fields(report, path, object, accepts, max);
    }
}

/// The fields of a text object, once it is known to be an object.
pub(super) fn text_fields(
    report: &mut Report,
    path: &str,
    object: &Object,
    accepts: Text,
    max: usize,
) {
    only_known(
        report,
        path,
        object,
        &["type", "text", "emoji", "verbatim"],
        "a text object",
    );
    let misplaced = match (type_of(report, path, object), accepts) {
        (Some("plain_text"), _) => Some("verbatim"),
        (Some("mrkdwn"), Text::PlainOrMrkdwn) => Some("emoji"),
        (Some(_), Text::Plain) => {
            report.add(&at(path, "type"), "must be plain_text");
            None
        }
        (Some(_), Text::PlainOrMrkdwn) => {
            report.add(&at(path, "type"), "must be plain_text or mrkdwn");
            None
        }
        (None, _) => None,
    };
    if let Some(text) = required(report, path, object, "text") {
        string(report, &at(path, "text"), text, max);
    }
    for flag in ["emoji", "verbatim"] {
        if let Some(value) = object.get(flag) {
            if misplaced == Some(flag) {
                report.add(&at(path, flag), "is not allowed on this type of text");
            } else {
                boolean(report, &at(path, flag), value);
            }
        }
    }
}

pub(super) fn optional_text(
    report: &mut Report,
    path: &str,
    object: &Object,
    key: &str,
    accepts: Text,
    max: usize,
) {
    if let Some(value) = object.get(key) {
        text_object(report, &at(path, key), value, accepts, max);
    }
}

pub(super) fn required_text(
    report: &mut Report,
    path: &str,
    object: &Object,
    key: &str,
    accepts: Text,
    max: usize,
) {
    if let Some(value) = required(report, path, object, key) {
        text_object(report, &at(path, key), value, accepts, max);
    }
}

/// An option of a select: `{text: plain_text ≤ 75, value ≤ 150, description?: plain_text ≤ 75}`.
pub(super) fn option(report: &mut Report, path: &str, object: &Object) {
    only_known(
        report,
        path,
        object,
        &["text", "value", "description"],
        "an option",
    );
    required_text(report, path, object, "text", Text::Plain, 75);
    required_string(report, path, object, "value", 150);
    optional_text(report, path, object, "description", Text::Plain, 75);
}

/// A confirmation dialog: title ≤ 100, text ≤ 300, confirm and deny ≤ 30, optional style.
pub(super) fn confirm(report: &mut Report, path: &str, value: &Value) {
    let Some(object) = object(report, path, value) else {
        return;
    };
    let known = ["title", "text", "confirm", "deny", "style"];
    only_known(report, path, object, &known, "a confirmation dialog");
    required_text(report, path, object, "title", Text::Plain, 100);
    required_text(report, path, object, "text", Text::Plain, 300);
    required_text(report, path, object, "confirm", Text::Plain, 30);
    required_text(report, path, object, "deny", Text::Plain, 30);
    if let Some(value) = object.get("style") {
        style(report, &at(path, "style"), value);
    }
}
