//! Message blocks compatible with Slack's Block Kit, validated before they are stored.
//!
//! [`Blocks::parse`] checks a JSON array against the Block Kit blocks we support (`section`,
//! `header`, `divider`, `context`, `image`, `actions`, `input`, `rich_text`) plus three data
//! blocks of our own (`table`, `chart`, `key_value`), and reports every offending field under
//! its full path, e.g. `blocks[0].elements[2].options[1].value`.
//!
//! Limits follow Slack's Block Kit reference. Where Slack says nothing, the limit chosen here is
//! marked "(ours)". Fields we do not know are rejected rather than ignored, so what we store is
//! exactly what we validated. Lengths count Unicode characters, not bytes.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::{DomainError, FieldErrors};

type Object = Map<String, Value>;

/// Validated Block Kit blocks (at most 50).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Blocks(Vec<Value>);

impl Blocks {
    pub const MAX: usize = 50;

    /// Validates a JSON value (must be an array). On failure returns
    /// [`DomainError::Validation`] whose keys are full paths starting with `blocks`, e.g.
    /// `blocks` (not an array / too many), `blocks[3].type`, `blocks[3].text.text`,
    /// `blocks[0].elements[2].options[1].value`. Every offending field is reported.
    pub fn parse(value: Value) -> Result<Self, DomainError> {
        let Value::Array(items) = value else {
            return Err(DomainError::invalid("blocks", "must be an array"));
        };
        let mut report = Report::default();
        if items.len() > Self::MAX {
            report.add("blocks", format!("must hold at most {} blocks", Self::MAX));
        }
        let mut block_ids = HashSet::new();
        // Past the limit, the count is the error: reporting every later block too would let
        // a small body ask for a very large answer.
        for (i, item) in items.iter().take(Self::MAX).enumerate() {
            let path = nth("blocks", i);
            if let Some(id) = block(&mut report, &path, item) {
                if !block_ids.insert(id) {
                    report.add(&at(&path, "block_id"), "must be unique within the message");
                }
            }
        }
        if report.0.is_empty() {
            Ok(Self(items))
        } else {
            Err(DomainError::Validation(report.0))
        }
    }

    /// Wraps blocks read back from our own storage (already validated). A non-array is
    /// treated as no blocks at all.
    pub fn from_trusted(value: Value) -> Self {
        match value {
            Value::Array(items) => Self(items),
            _ => Self::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn as_slice(&self) -> &[Value] {
        &self.0
    }

    /// The blocks as a JSON array.
    pub fn into_value(self) -> Value {
        Value::Array(self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Error collection and generic checks
// ---------------------------------------------------------------------------------------------

/// Every error found so far, keyed by path.
#[derive(Default)]
struct Report(FieldErrors);

impl Report {
    fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0
            .entry(path.to_owned())
            .or_default()
            .push(message.into());
    }
}

/// `path.key`
fn at(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// `path[i]`
fn nth(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// "a, b or c"
fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn object<'a>(report: &mut Report, path: &str, value: &'a Value) -> Option<&'a Object> {
    let object = value.as_object();
    if object.is_none() {
        report.add(path, "must be an object");
    }
    object
}

/// Rejects every field of `object` that is not in `known`.
fn only_known(report: &mut Report, path: &str, object: &Object, known: &[&str], what: &str) {
    for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
        report.add(&at(path, key), format!("is not a known field of {what}"));
    }
}

fn required<'a>(
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
fn type_of<'a>(report: &mut Report, path: &str, object: &'a Object) -> Option<&'a str> {
    let value = required(report, path, object, "type")?;
    let name = value.as_str();
    if name.is_none() {
        report.add(&at(path, "type"), "must be a string");
    }
    name
}

/// A non-empty string of at most `max` characters; `Some` only when it is one.
fn string<'a>(report: &mut Report, path: &str, value: &'a Value, max: usize) -> Option<&'a str> {
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

fn boolean(report: &mut Report, path: &str, value: &Value) {
    if !value.is_boolean() {
        report.add(path, "must be a boolean");
    }
}

fn integer(report: &mut Report, path: &str, value: &Value, min: u64, max: u64) -> Option<u64> {
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
fn array<'a>(
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
fn objects(
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
fn url(report: &mut Report, path: &str, value: &Value) {
    let Some(raw) = string(report, path, value, 3000) else {
        return;
    };
    match url::Url::parse(raw) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {}
        _ => report.add(path, "must be an http or https URL"),
    }
}

fn style(report: &mut Report, path: &str, value: &Value) {
    match value.as_str() {
        Some("primary" | "danger") => {}
        Some(_) => report.add(path, "must be primary or danger"),
        None => report.add(path, "must be a string"),
    }
}

// ---------------------------------------------------------------------------------------------
// Composition objects
// ---------------------------------------------------------------------------------------------

/// Which text object types a field accepts.
#[derive(Clone, Copy, PartialEq)]
enum Text {
    Plain,
    PlainOrMrkdwn,
}

/// `{type: "plain_text"|"mrkdwn", text, emoji?, verbatim?}`; `emoji` is only allowed on
/// plain_text and `verbatim` only on mrkdwn, as Slack documents.
fn text_object(report: &mut Report, path: &str, value: &Value, accepts: Text, max: usize) {
    if let Some(object) = object(report, path, value) {
        text_fields(report, path, object, accepts, max);
    }
}

/// The fields of a text object, once it is known to be an object.
fn text_fields(report: &mut Report, path: &str, object: &Object, accepts: Text, max: usize) {
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

fn optional_text(
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

fn required_text(
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

fn optional_string(report: &mut Report, path: &str, object: &Object, key: &str, max: usize) {
    if let Some(value) = object.get(key) {
        string(report, &at(path, key), value, max);
    }
}

fn required_string(report: &mut Report, path: &str, object: &Object, key: &str, max: usize) {
    if let Some(value) = required(report, path, object, key) {
        string(report, &at(path, key), value, max);
    }
}

fn optional_boolean(report: &mut Report, path: &str, object: &Object, key: &str) {
    if let Some(value) = object.get(key) {
        boolean(report, &at(path, key), value);
    }
}

/// An option of a select: `{text: plain_text ≤ 75, value ≤ 150, description?: plain_text ≤ 75}`.
fn option(report: &mut Report, path: &str, object: &Object) {
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
fn confirm(report: &mut Report, path: &str, value: &Value) {
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

// ---------------------------------------------------------------------------------------------
// Block elements
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Element {
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
fn element<'a>(
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
fn image_element(report: &mut Report, path: &str, object: &Object) {
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

// ---------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------

type BlockCheck = fn(&mut Report, &str, &Object);

/// Every supported block type, the fields it may carry besides `type` and `block_id`, and
/// the check of those fields.
const BLOCK_TYPES: &[(&str, &[&str], BlockCheck)] = &[
    (
        "section",
        &["text", "fields", "accessory", "expand"],
        section,
    ),
    ("header", &["text"], header),
    ("divider", &[], divider),
    ("context", &["elements"], context),
    ("image", &["image_url", "alt_text", "title"], image),
    ("actions", &["elements"], actions),
    (
        "input",
        &["label", "element", "hint", "optional", "dispatch_action"],
        input,
    ),
    ("rich_text", &["elements"], rich_text),
    ("table", &["columns", "rows"], table),
    (
        "chart",
        &["chart_type", "title", "data", "x_key", "y_keys"],
        chart,
    ),
    ("key_value", &["items"], key_value),
];

/// Checks one block; returns its valid `block_id`, if it has one.
fn block<'a>(report: &mut Report, path: &str, value: &'a Value) -> Option<&'a str> {
    let object = object(report, path, value)?;
    let name = type_of(report, path, object)?;
    let Some((_, fields, check)) = BLOCK_TYPES.iter().find(|(known, _, _)| *known == name) else {
        report.add(&at(path, "type"), "is not a supported block type");
        return None;
    };
    for key in object.keys() {
        if !matches!(key.as_str(), "type" | "block_id") && !fields.contains(&key.as_str()) {
            report.add(
                &at(path, key),
                format!("is not a known field of the {name} block"),
            );
        }
    }
    check(report, path, object);
    let block_id = object.get("block_id")?;
    string(report, &at(path, "block_id"), block_id, 255)
}

/// `text` (≤ 3000) and/or `fields` (1..=10, each ≤ 2000); optional `accessory` and `expand`.
fn section(report: &mut Report, path: &str, object: &Object) {
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

fn header(report: &mut Report, path: &str, object: &Object) {
    required_text(report, path, object, "text", Text::Plain, 150);
}

fn divider(_: &mut Report, _: &str, _: &Object) {}

/// `elements`: 1..=10 text objects (≤ 3000, the general text object limit) or image elements.
fn context(report: &mut Report, path: &str, object: &Object) {
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
fn image(report: &mut Report, path: &str, object: &Object) {
    if let Some(value) = required(report, path, object, "image_url") {
        url(report, &at(path, "image_url"), value);
    }
    required_string(report, path, object, "alt_text", 2000);
    optional_text(report, path, object, "title", Text::Plain, 2000);
}

/// `elements`: 1..=25 buttons or static selects whose `action_id`s are unique in the block.
fn actions(report: &mut Report, path: &str, object: &Object) {
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

fn input(report: &mut Report, path: &str, object: &Object) {
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
fn rich_text(report: &mut Report, path: &str, object: &Object) {
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

/// Ours. `columns`: 1..=50 of `{key, label}` (key ≤ 200, ours, unique; label ≤ 200);
/// `rows`: at most 1000 objects, whose cells are not checked.
fn table(report: &mut Report, path: &str, object: &Object) {
    if let Some(value) = required(report, path, object, "columns") {
        let mut keys = HashSet::new();
        objects(
            report,
            &at(path, "columns"),
            value,
            (1, 50),
            |report, path, column| {
                only_known(report, path, column, &["key", "label"], "a table column");
                if let Some(key) = required(report, path, column, "key") {
                    let key_path = at(path, "key");
                    if let Some(key) = string(report, &key_path, key, 200) {
                        if !keys.insert(key.to_owned()) {
                            report.add(&key_path, "must be unique within the table");
                        }
                    }
                }
                required_string(report, path, column, "label", 200);
            },
        );
    }
    if let Some(value) = required(report, path, object, "rows") {
        objects(report, &at(path, "rows"), value, (0, 1000), |_, _, _| {});
    }
}

const CHART_TYPES: [&str; 5] = ["bar", "line", "pie", "area", "scatter"];

/// Ours. `chart_type` and `data` (at most 10000 objects) required; `title` ≤ 200, `x_key`
/// ≤ 200 (ours) and `y_keys` (1..=50 strings ≤ 200, ours) optional.
fn chart(report: &mut Report, path: &str, object: &Object) {
    if let Some(value) = required(report, path, object, "chart_type") {
        let type_path = at(path, "chart_type");
        match value.as_str() {
            Some(name) if CHART_TYPES.contains(&name) => {}
            Some(_) => report.add(&type_path, format!("must be {}", one_of(&CHART_TYPES))),
            None => report.add(&type_path, "must be a string"),
        }
    }
    optional_string(report, path, object, "title", 200);
    if let Some(value) = required(report, path, object, "data") {
        objects(report, &at(path, "data"), value, (0, 10_000), |_, _, _| {});
    }
    optional_string(report, path, object, "x_key", 200);
    if let Some(value) = object.get("y_keys") {
        let keys_path = at(path, "y_keys");
        for (i, key) in array(report, &keys_path, value, 1, 50).iter().enumerate() {
            string(report, &nth(&keys_path, i), key, 200);
        }
    }
}

/// Ours. `items`: 1..=100 of `{key ≤ 200, value}` where a value is a string (≤ 2000, ours;
/// may be empty), number, boolean or null.
fn key_value(report: &mut Report, path: &str, object: &Object) {
    let Some(value) = required(report, path, object, "items") else {
        return;
    };
    objects(
        report,
        &at(path, "items"),
        value,
        (1, 100),
        |report, path, item| {
            only_known(report, path, item, &["key", "value"], "a key_value item");
            required_string(report, path, item, "key", 200);
            let Some(value) = required(report, path, item, "value") else {
                return;
            };
            let value_path = at(path, "value");
            match value {
                Value::String(text) if text.chars().count() > 2000 => {
                    report.add(&value_path, "must be at most 2000 characters");
                }
                Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {}
                Value::Array(_) | Value::Object(_) => {
                    report.add(&value_path, "must be a string, number, boolean or null");
                }
            }
        },
    );
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
