//! Slack's layout blocks: section, header, divider, context, image, actions, input and
//! rich_text.

use std::collections::HashSet;

use super::checks::{
    array, at, nth, objects, one_of, optional_boolean, required, required_string, type_of, url,
    Object, Report,
};
use super::composition::{optional_text, required_text, text_fields, text_object, Text};
use super::elements::{element, image_element, Element};

/// `text` (≤ 3000) and/or `fields` (1..=10, each ≤ 2000); optional `accessory` and `expand`.
pub(super) fn section(report: &mut Report, path: &str, object: &Object) {
    let text = object.get("text");
    let fields = object.get("fields");
    if text.is_none() && fields.is_none() {
        report.add(&at(path, "text"), "is required unless fields are given");
    }
    if let Some(value) = text {
        text_object(report, &at(path, "text"), value, Text::PlainOrMrkdwn, 3000);
    }
    if let Some(value) = fields {
        let fields_path = at(path, "fields");
        for (i, field) in array(report, &fields_path, value, 1, 10).iter().enumerate() {
            text_object(
                report,
                &nth(&fields_path, i),
                field,
                Text::PlainOrMrkdwn,
                2000,
            );
        }
    }
    if let Some(value) = object.get("accessory") {
        let allowed = [Element::Button, Element::StaticSelect, Element::Image];
        element(report, &at(path, "accessory"), value, &allowed);
    }
    optional_boolean(report, path, object, "expand");
}

pub(super) fn header(report: &mut Report, path: &str, object: &Object) {
    required_text(report, path, object, "text", Text::Plain, 150);
}

pub(super) fn divider(_: &mut Report, _: &str, _: &Object) {}

/// `elements`: 1..=10 text objects (≤ 3000, the general text object limit) or image elements.
pub(super) fn context(report: &mut Report, path: &str, object: &Object) {
    let Some(value) = required(report, path, object, "elements") else {
        return;
    };
    objects(
        report,
        &at(path, "elements"),
        value,
        (1, 10),
        |report, path, item| match type_of(report, path, item) {
            Some("plain_text" | "mrkdwn") => {
                text_fields(report, path, item, Text::PlainOrMrkdwn, 3000)
            }
            Some("image") => image_element(report, path, item),
            Some(_) => report.add(&at(path, "type"), "must be plain_text, mrkdwn or image"),
            None => {}
        },
    );
}

/// `image_url` and `alt_text` required, `title` optional; `slack_file` is not supported.
pub(super) fn image(report: &mut Report, path: &str, object: &Object) {
    if let Some(value) = required(report, path, object, "image_url") {
        url(report, &at(path, "image_url"), value);
    }
    required_string(report, path, object, "alt_text", 2000);
    optional_text(report, path, object, "title", Text::Plain, 2000);
}

/// `elements`: 1..=25 buttons or static selects whose `action_id`s are unique in the block.
pub(super) fn actions(report: &mut Report, path: &str, object: &Object) {
    let Some(value) = required(report, path, object, "elements") else {
        return;
    };
    let elements_path = at(path, "elements");
    let mut action_ids = HashSet::new();
    for (i, item) in array(report, &elements_path, value, 1, 25)
        .iter()
        .enumerate()
    {
        let item_path = nth(&elements_path, i);
        let allowed = [Element::Button, Element::StaticSelect];
        if let Some(id) = element(report, &item_path, item, &allowed) {
            if !action_ids.insert(id) {
                report.add(
                    &at(&item_path, "action_id"),
                    "must be unique within the block",
                );
            }
        }
    }
}

pub(super) fn input(report: &mut Report, path: &str, object: &Object) {
    required_text(report, path, object, "label", Text::Plain, 2000);
    if let Some(value) = required(report, path, object, "element") {
        let allowed = [Element::PlainTextInput, Element::StaticSelect];
        element(report, &at(path, "element"), value, &allowed);
    }
    optional_text(report, path, object, "hint", Text::Plain, 2000);
    optional_boolean(report, path, object, "optional");
    optional_boolean(report, path, object, "dispatch_action");
}

const RICH_TEXT_ELEMENTS: [&str; 4] = [
    "rich_text_section",
    "rich_text_list",
    "rich_text_preformatted",
    "rich_text_quote",
];

/// Kept permissive: at least one element (no maximum; Slack gives none), each of a known
/// rich-text type with an `elements` array of objects that have a string `type`. Other
/// fields of those elements (list `style`, `indent`, text `style`, ...) are not checked.
pub(super) fn rich_text(report: &mut Report, path: &str, object: &Object) {
    let Some(value) = required(report, path, object, "elements") else {
        return;
    };
    objects(
        report,
        &at(path, "elements"),
        value,
        (1, usize::MAX),
        |report, path, item| {
            match type_of(report, path, item) {
                Some(name) if RICH_TEXT_ELEMENTS.contains(&name) => {}
                Some(_) => report.add(
                    &at(path, "type"),
                    format!("must be {}", one_of(&RICH_TEXT_ELEMENTS)),
                ),
                None => {}
            }
            if let Some(children) = required(report, path, item, "elements") {
                objects(
                    report,
                    &at(path, "elements"),
                    children,
                    (0, usize::MAX),
                    |report, path, child| {
                        type_of(report, path, child);
                    },
                );
            }
        },
    );
}
