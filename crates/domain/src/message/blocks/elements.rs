//! Block elements: buttons, static selects, image elements and plain-text inputs.

use serde_json::Value;

use super::checks::{
    at, integer, object, objects, one_of, only_known, optional_boolean, optional_string, required,
    required_string, string, style, type_of, url, Object, Report,
};
use super::composition::{confirm, option, optional_text, required_text, Text};

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Element {
    Button,
    StaticSelect,
    Image,
    PlainTextInput,
}

impl Element {
    fn name(self) -> &'static str {
        match self {
            Self::Button => "button",
            Self::StaticSelect => "static_select",
            Self::Image => "image",
            Self::PlainTextInput => "plain_text_input",
        }
    }
}

/// An element of one of the `allowed` kinds; returns its valid `action_id`, if it has one.
pub(super) fn element<'a>(
    report: &mut Report,
    path: &str,
    value: &'a Value,
    allowed: &[Element],
) -> Option<&'a str> {
    let object = object(report, path, value)?;
    let name = type_of(report, path, object)?;
    match allowed.iter().copied().find(|kind| kind.name() == name) {
        Some(Element::Button) => button(report, path, object),
        Some(Element::StaticSelect) => static_select(report, path, object),
        Some(Element::Image) => {
            image_element(report, path, object);
            None
        }
        Some(Element::PlainTextInput) => plain_text_input(report, path, object),
        None => {
            let names: Vec<_> = allowed.iter().map(|kind| kind.name()).collect();
            report.add(&at(path, "type"), format!("must be {}", one_of(&names)));
            None
        }
    }
}

/// `action_id` is required here (Slack would generate one), so that we can route the action.
fn action_id<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let value = required(report, path, object, "action_id")?;
    string(report, &at(path, "action_id"), value, 255)
}

fn button<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let known = [
        "type",
        "text",
        "action_id",
        "url",
        "value",
        "style",
        "confirm",
        "accessibility_label",
    ];
    only_known(report, path, object, &known, "a button");
    required_text(report, path, object, "text", Text::Plain, 75);
    if let Some(value) = object.get("url") {
        url(report, &at(path, "url"), value);
    }
    optional_string(report, path, object, "value", 2000);
    if let Some(value) = object.get("style") {
        style(report, &at(path, "style"), value);
    }
    if let Some(value) = object.get("confirm") {
        confirm(report, &at(path, "confirm"), value);
    }
    optional_string(report, path, object, "accessibility_label", 75);
    action_id(report, path, object)
}

/// A static select with `options` (1..=100); `option_groups` is not supported.
/// `initial_option` must equal one of the options.
fn static_select<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let known = [
        "type",
        "action_id",
        "placeholder",
        "options",
        "initial_option",
        "confirm",
        "focus_on_load",
    ];
    only_known(report, path, object, &known, "a static_select");
    optional_text(report, path, object, "placeholder", Text::Plain, 150);
    let options = required(report, path, object, "options");
    if let Some(value) = options {
        objects(report, &at(path, "options"), value, (1, 100), option);
    }
    if let Some(initial) = object.get("initial_option") {
        let initial_path = at(path, "initial_option");
        if let Some(initial_object) = self::object(report, &initial_path, initial) {
            option(report, &initial_path, initial_object);
            let listed = options
                .and_then(Value::as_array)
                .is_some_and(|all| all.contains(initial));
            if !listed {
                report.add(&initial_path, "must match one of the options");
            }
        }
    }
    if let Some(value) = object.get("confirm") {
        confirm(report, &at(path, "confirm"), value);
    }
    optional_boolean(report, path, object, "focus_on_load");
    action_id(report, path, object)
}

/// An image element: `image_url` (http/https, ≤ 3000) and `alt_text` (≤ 2000, ours: Slack
/// gives no limit for the element). `slack_file` is not supported.
pub(super) fn image_element(report: &mut Report, path: &str, object: &Object) {
    only_known(
        report,
        path,
        object,
        &["type", "image_url", "alt_text"],
        "an image element",
    );
    if let Some(value) = required(report, path, object, "image_url") {
        url(report, &at(path, "image_url"), value);
    }
    required_string(report, path, object, "alt_text", 2000);
}

/// A plain-text input; `initial_value` ≤ 3000 (the largest `max_length` Slack allows),
/// `min_length` 0..=3000, `max_length` 1..=3000. `dispatch_action_config` is not supported.
fn plain_text_input<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let known = [
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "multiline",
        "min_length",
        "max_length",
        "focus_on_load",
    ];
    only_known(report, path, object, &known, "a plain_text_input");
    optional_text(report, path, object, "placeholder", Text::Plain, 150);
    optional_string(report, path, object, "initial_value", 3000);
    optional_boolean(report, path, object, "multiline");
    optional_boolean(report, path, object, "focus_on_load");
    let min = object
        .get("min_length")
        .and_then(|value| integer(report, &at(path, "min_length"), value, 0, 3000));
    let max = object
        .get("max_length")
        .and_then(|value| integer(report, &at(path, "max_length"), value, 1, 3000));
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            report.add(&at(path, "min_length"), "must not exceed max_length");
        }
    }
    action_id(report, path, object)
}
