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

mod checks;
mod composition;
mod data_blocks;
mod elements;
mod layout_blocks;

use std::collections::HashSet;

use serde_json::Value;

use crate::DomainError;

use checks::{at, nth, object, string, type_of, Object, Report};
use data_blocks::{chart, key_value, table};
use layout_blocks::{actions, context, divider, header, image, input, rich_text, section};

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

#[cfg(test)]
mod tests;
