//! Tests of [`Blocks`](super::Blocks): which Block Kit lists are accepted, and the path and
//! reason of every error in those that are not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;
use crate::FieldErrors;

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

fn long(n: usize) -> String {
    "é".repeat(n)
}

fn button(action_id: &str) -> Value {
    json!({"type": "button", "text": plain("Go"), "action_id": action_id})
}

fn select(action_id: &str, options: usize) -> Value {
    let options: Vec<_> = (0..options)
        .map(|i| json!({"text": plain("Option"), "value": format!("v{i}")}))
        .collect();
    json!({"type": "static_select", "action_id": action_id, "options": options})
}

/// One valid example of every supported block type, in `BLOCK_TYPES` order.
fn examples() -> Vec<Value> {
    vec![
        json!({
            "type": "section",
            "block_id": "intro",
            "text": {"type": "mrkdwn", "text": "*Hello*", "verbatim": true},
            "fields": [plain("A"), {"type": "mrkdwn", "text": "_B_"}],
            "accessory": {
                "type": "image",
                "image_url": "https://example.com/a.png",
                "alt_text": "A"
            },
            "expand": false
        }),
        json!({
            "type": "header",
            "text": {"type": "plain_text", "text": "Title", "emoji": true}
        }),
        json!({"type": "divider", "block_id": "line"}),
        json!({
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "by *me*"},
                {"type": "image", "image_url": "http://example.com/me.png", "alt_text": "me"}
            ]
        }),
        json!({
            "type": "image",
            "image_url": "https://example.com/chart.png",
            "alt_text": "A chart",
            "title": plain("Chart")
        }),
        json!({
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain("Approve"),
                    "action_id": "approve",
                    "url": "https://example.com/approve",
                    "value": "42",
                    "style": "primary",
                    "accessibility_label": "Approve request 42",
                    "confirm": {
                        "title": plain("Sure?"),
                        "text": plain("This cannot be undone."),
                        "confirm": plain("Yes"),
                        "deny": plain("No"),
                        "style": "danger"
                    }
                },
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "placeholder": plain("Pick one"),
                    "options": [
                        {"text": plain("One"), "value": "1", "description": plain("The first")},
                        {"text": plain("Two"), "value": "2"}
                    ],
                    "initial_option": {"text": plain("Two"), "value": "2"},
                    "focus_on_load": false
                }
            ]
        }),
        json!({
            "type": "input",
            "label": plain("Comment"),
            "element": {
                "type": "plain_text_input",
                "action_id": "comment",
                "multiline": true,
                "placeholder": plain("Say something"),
                "min_length": 1,
                "max_length": 500
            },
            "hint": plain("Be kind"),
            "optional": true,
            "dispatch_action": false
        }),
        json!({
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "Hi "}]},
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [{"type": "rich_text_section", "elements": []}]
                },
                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "x"}]},
                {"type": "rich_text_quote", "elements": []}
            ]
        }),
        json!({
            "type": "table",
            "columns": [{"key": "name", "label": "Name"}, {"key": "age", "label": "Age"}],
            "rows": [{"name": "Ada", "age": 36}, {"name": "Alan"}]
        }),
        json!({
            "type": "chart",
            "chart_type": "bar",
            "title": "Sales",
            "data": [{"month": "Jan", "sales": 3}],
            "x_key": "month",
            "y_keys": ["sales"]
        }),
        json!({
            "type": "key_value",
            "items": [
                {"key": "Status", "value": "open"},
                {"key": "Count", "value": 3},
                {"key": "Urgent", "value": false},
                {"key": "Owner", "value": null},
                {"key": "Note", "value": ""}
            ]
        }),
    ]
}

/// The validation errors of `blocks`, which must be rejected.
fn rejected(blocks: Value) -> FieldErrors {
    match Blocks::parse(blocks) {
        Err(DomainError::Validation(errors)) => errors,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The errors of a message made of the single block `block`.
fn block_errors(block: Value) -> FieldErrors {
    rejected(json!([block]))
}

fn keys(errors: &FieldErrors) -> Vec<&str> {
    errors.keys().map(String::as_str).collect()
}

/// Asserts that the only error is at `path` and that it says `message`.
#[track_caller]
fn assert_only(errors: &FieldErrors, path: &str, message: &str) {
    assert_eq!(keys(errors), vec![path], "{errors:?}");
    assert_eq!(errors[path], vec![message.to_owned()], "{errors:?}");
}

#[test]
fn every_block_type_has_a_valid_example() {
    let examples = examples();
    let names: Vec<_> = examples
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    let supported: Vec<_> = BLOCK_TYPES.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(names, supported);
    for example in &examples {
        let parsed = Blocks::parse(json!([example]));
        assert!(parsed.is_ok(), "{example}: {parsed:?}");
    }
    let all = Blocks::parse(Value::Array(examples.clone())).unwrap();
    assert_eq!(all.len(), examples.len());
    assert_eq!(all.as_slice(), examples.as_slice());
    assert_eq!(all.into_value(), Value::Array(examples));
}

#[test]
fn an_empty_array_is_valid() {
    let blocks = Blocks::parse(json!([])).unwrap();
    assert!(blocks.is_empty());
    assert_eq!(blocks, Blocks::default());
}

#[test]
fn a_non_array_is_rejected() {
    for value in [
        json!({"type": "divider"}),
        json!("blocks"),
        json!(null),
        json!(3),
    ] {
        assert_only(&rejected(value), "blocks", "must be an array");
    }
}

#[test]
fn at_most_fifty_blocks() {
    let fifty = vec![json!({"type": "divider"}); Blocks::MAX];
    assert_eq!(
        Blocks::parse(Value::Array(fifty.clone())).unwrap().len(),
        50
    );
    let mut fifty_one = fifty;
    fifty_one.push(json!({"type": "divider"}));
    assert_only(
        &rejected(Value::Array(fifty_one)),
        "blocks",
        "must hold at most 50 blocks",
    );
}

#[test]
fn from_trusted_keeps_arrays_and_drops_anything_else() {
    let blocks = Blocks::from_trusted(json!([{"type": "divider"}]));
    assert_eq!(blocks.len(), 1);
    assert!(Blocks::from_trusted(json!({"type": "divider"})).is_empty());
    assert_eq!(Blocks::from_trusted(json!(null)).into_value(), json!([]));
}

#[test]
fn an_unknown_block_type_is_reported_at_its_type() {
    let mut blocks = examples()[..3].to_vec();
    blocks.push(json!({"type": "carousel", "whatever": 1}));
    assert_only(
        &rejected(Value::Array(blocks)),
        "blocks[3].type",
        "is not a supported block type",
    );
}

#[test]
fn a_block_must_be_an_object_with_a_string_type() {
    let errors = rejected(json!([1, {}, {"type": 7}]));
    assert_eq!(errors["blocks[0]"], vec!["must be an object"]);
    assert_eq!(errors["blocks[1].type"], vec!["is required"]);
    assert_eq!(errors["blocks[2].type"], vec!["must be a string"]);
    assert_eq!(errors.len(), 3);
}

#[test]
fn unknown_block_fields_are_rejected() {
    let errors = block_errors(json!({"type": "divider", "text": plain("x"), "color": "red"}));
    assert_eq!(keys(&errors), vec!["blocks[0].color", "blocks[0].text"]);
    assert_eq!(
        errors["blocks[0].color"],
        vec!["is not a known field of the divider block"]
    );
    let errors = block_errors(json!({"type": "header", "text": plain("x"), "fields": []}));
    assert_only(
        &errors,
        "blocks[0].fields",
        "is not a known field of the header block",
    );
}

#[test]
fn block_ids_are_limited_and_unique() {
    let ok = json!({"type": "divider", "block_id": "é".repeat(255)});
    assert!(Blocks::parse(json!([ok])).is_ok());
    let errors = block_errors(json!({"type": "divider", "block_id": long(256)}));
    assert_only(
        &errors,
        "blocks[0].block_id",
        "must be at most 255 characters",
    );
    let errors = block_errors(json!({"type": "divider", "block_id": 3}));
    assert_only(&errors, "blocks[0].block_id", "must be a string");
    let a = json!({"type": "divider", "block_id": "a"});
    let errors = rejected(json!([a, {"type": "divider", "block_id": "b"}, a]));
    assert_only(
        &errors,
        "blocks[2].block_id",
        "must be unique within the message",
    );
}

#[test]
fn every_offending_field_is_reported() {
    let mut blocks = vec![json!({"type": "divider"}); 51];
    blocks[0] = json!({"type": "header", "text": plain(&long(151))});
    blocks[2] = json!({"type": "section", "text": {"type": "mrkdwn", "text": ""}, "extra": 1});
    blocks[3] = json!({"type": "poll"});
    let mut select = select("s", 2);
    select["options"][1]["value"] = json!(long(151));
    blocks[4] = json!({"type": "actions", "elements": [button("a"), button("b"), select]});
    let errors = rejected(Value::Array(blocks));
    assert_eq!(
        keys(&errors),
        vec![
            "blocks",
            "blocks[0].text.text",
            "blocks[2].extra",
            "blocks[2].text.text",
            "blocks[3].type",
            "blocks[4].elements[2].options[1].value",
        ]
    );
    assert_eq!(errors["blocks"], vec!["must hold at most 50 blocks"]);
}

#[test]
fn past_fifty_blocks_only_the_count_and_the_first_fifty_are_reported() {
    let errors = rejected(Value::Array(vec![json!({"type": "bogus"}); 20_000]));
    assert_eq!(errors["blocks"], vec!["must hold at most 50 blocks"]);
    assert_eq!(errors.len(), 1 + Blocks::MAX);
    assert!(errors.contains_key("blocks[0].type"));
    assert!(errors.contains_key("blocks[49].type"));
    assert!(!errors.contains_key("blocks[50].type"));
    assert!(!errors.contains_key("blocks[19999].type"));
}

#[test]
fn a_duplicate_block_id_past_the_limit_is_not_reported() {
    let mut blocks = vec![json!({"type": "divider", "block_id": "same"}); 2];
    blocks.extend(vec![json!({"type": "divider"}); Blocks::MAX - 2]);
    blocks.push(json!({"type": "divider", "block_id": "same"}));
    let errors = rejected(Value::Array(blocks));
    assert_eq!(keys(&errors), vec!["blocks", "blocks[1].block_id"]);
}

mod composition;
mod data_blocks;
mod elements;
mod layout_blocks;
