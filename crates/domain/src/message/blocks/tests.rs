//! Tests of [`Blocks`](super::Blocks): which Block Kit lists are accepted, and the path and
//! reason of every error in those that are not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::data_blocks::CHART_TYPES;
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
fn header_text_is_plain_and_at_most_150_characters() {
    let ok = json!({"type": "header", "text": plain(&long(150))});
    assert!(
        Blocks::parse(json!([ok])).is_ok(),
        "150 multi-byte characters fit"
    );
    let errors = block_errors(json!({"type": "header", "text": plain(&long(151))}));
    assert_only(
        &errors,
        "blocks[0].text.text",
        "must be at most 150 characters",
    );
    let errors = block_errors(json!({"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}));
    assert_only(&errors, "blocks[0].text.type", "must be plain_text");
    assert_only(
        &block_errors(json!({"type": "header"})),
        "blocks[0].text",
        "is required",
    );
}

#[test]
fn text_objects_are_checked() {
    let header = |text: Value| json!({"type": "header", "text": text});
    let errors = block_errors(header(plain("")));
    assert_only(&errors, "blocks[0].text.text", "must not be empty");
    let errors = block_errors(header(json!({"type": "plain_text", "text": 5})));
    assert_only(&errors, "blocks[0].text.text", "must be a string");
    let errors = block_errors(header(json!("Title")));
    assert_only(&errors, "blocks[0].text", "must be an object");
    let errors = block_errors(header(
        json!({"type": "plain_text", "text": "x", "emoji": "yes"}),
    ));
    assert_only(&errors, "blocks[0].text.emoji", "must be a boolean");
    let errors = block_errors(header(
        json!({"type": "plain_text", "text": "x", "bold": true}),
    ));
    assert_only(
        &errors,
        "blocks[0].text.bold",
        "is not a known field of a text object",
    );
    let errors = block_errors(header(
        json!({"type": "plain_text", "text": "x", "verbatim": true}),
    ));
    assert_only(
        &errors,
        "blocks[0].text.verbatim",
        "is not allowed on this type of text",
    );
    let section =
        json!({"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": true}});
    assert_only(
        &block_errors(section),
        "blocks[0].text.emoji",
        "is not allowed on this type of text",
    );
    let section = json!({"type": "section", "text": {"type": "html", "text": "x"}});
    assert_only(
        &block_errors(section),
        "blocks[0].text.type",
        "must be plain_text or mrkdwn",
    );
}

#[test]
fn section_limits() {
    let ok = json!({"type": "section", "text": plain(&long(3000))});
    assert!(Blocks::parse(json!([ok])).is_ok());
    let errors = block_errors(json!({"type": "section", "text": plain(&long(3001))}));
    assert_only(
        &errors,
        "blocks[0].text.text",
        "must be at most 3000 characters",
    );

    let eleven = vec![plain("f"); 11];
    let errors = block_errors(json!({"type": "section", "fields": eleven}));
    assert_only(
        &errors,
        "blocks[0].fields",
        "must hold between 1 and 10 items",
    );
    let errors =
        block_errors(json!({"type": "section", "fields": [plain("a"), plain(&long(2001))]}));
    assert_only(
        &errors,
        "blocks[0].fields[1].text",
        "must be at most 2000 characters",
    );

    let errors = block_errors(json!({"type": "section"}));
    assert_only(
        &errors,
        "blocks[0].text",
        "is required unless fields are given",
    );

    let with =
        |accessory: Value| json!({"type": "section", "text": plain("x"), "accessory": accessory});
    assert!(Blocks::parse(json!([with(button("b"))])).is_ok());
    assert!(Blocks::parse(json!([with(select("s", 1))])).is_ok());
    let errors = block_errors(with(json!({"type": "plain_text_input", "action_id": "i"})));
    assert_only(
        &errors,
        "blocks[0].accessory.type",
        "must be button, static_select or image",
    );
    let errors = block_errors(json!({"type": "section", "text": plain("x"), "expand": 1}));
    assert_only(&errors, "blocks[0].expand", "must be a boolean");
}

#[test]
fn context_limits() {
    let errors = block_errors(json!({"type": "context", "elements": vec![plain("x"); 11]}));
    assert_only(
        &errors,
        "blocks[0].elements",
        "must hold between 1 and 10 items",
    );
    let errors = block_errors(json!({"type": "context", "elements": []}));
    assert_only(
        &errors,
        "blocks[0].elements",
        "must hold between 1 and 10 items",
    );
    let errors = block_errors(json!({"type": "context", "elements": [plain("x"), button("b")]}));
    assert_only(
        &errors,
        "blocks[0].elements[1].type",
        "must be plain_text, mrkdwn or image",
    );
    let image = json!({"type": "image", "image_url": "https://example.com/x.png"});
    let errors = block_errors(json!({"type": "context", "elements": [image]}));
    assert_only(&errors, "blocks[0].elements[0].alt_text", "is required");
}

#[test]
fn image_block_limits() {
    let image = |url: &str, alt: &str| json!({"type": "image", "image_url": url, "alt_text": alt});
    let errors = block_errors(image("ftp://example.com/x.png", "x"));
    assert_only(
        &errors,
        "blocks[0].image_url",
        "must be an http or https URL",
    );
    let errors = block_errors(image("not a url", "x"));
    assert_only(
        &errors,
        "blocks[0].image_url",
        "must be an http or https URL",
    );
    let too_long = format!("https://example.com/{}", "a".repeat(3000));
    let errors = block_errors(image(&too_long, "x"));
    assert_only(
        &errors,
        "blocks[0].image_url",
        "must be at most 3000 characters",
    );
    let errors = block_errors(image("https://example.com/x.png", &long(2001)));
    assert_only(
        &errors,
        "blocks[0].alt_text",
        "must be at most 2000 characters",
    );
    let mut titled = image("https://example.com/x.png", "x");
    titled["title"] = plain(&long(2001));
    assert_only(
        &block_errors(titled),
        "blocks[0].title.text",
        "must be at most 2000 characters",
    );
    let errors = block_errors(json!({"type": "image"}));
    assert_eq!(
        keys(&errors),
        vec!["blocks[0].alt_text", "blocks[0].image_url"]
    );
}

#[test]
fn actions_limits() {
    let actions = |elements: Vec<Value>| json!({"type": "actions", "elements": elements});
    let many: Vec<_> = (0..26).map(|i| button(&format!("b{i}"))).collect();
    let errors = block_errors(actions(many));
    assert_only(
        &errors,
        "blocks[0].elements",
        "must hold between 1 and 25 items",
    );
    let errors = block_errors(actions(vec![]));
    assert_only(
        &errors,
        "blocks[0].elements",
        "must hold between 1 and 25 items",
    );

    let mut b = button("b");
    b["text"] = plain(&long(76));
    let errors = block_errors(actions(vec![b]));
    assert_only(
        &errors,
        "blocks[0].elements[0].text.text",
        "must be at most 75 characters",
    );

    let errors = block_errors(actions(vec![button(&long(256))]));
    assert_only(
        &errors,
        "blocks[0].elements[0].action_id",
        "must be at most 255 characters",
    );

    let mut b = button("b");
    b["url"] = json!(format!("https://example.com/{}", "a".repeat(2981)));
    b["value"] = json!(long(2001));
    b["style"] = json!("secondary");
    let errors = block_errors(actions(vec![b]));
    assert_eq!(
        errors["blocks[0].elements[0].url"],
        vec!["must be at most 3000 characters"]
    );
    assert_eq!(
        errors["blocks[0].elements[0].value"],
        vec!["must be at most 2000 characters"]
    );
    assert_eq!(
        errors["blocks[0].elements[0].style"],
        vec!["must be primary or danger"]
    );
    assert_eq!(errors.len(), 3);

    let errors = block_errors(actions(vec![json!({"type": "button", "text": plain("x")})]));
    assert_only(&errors, "blocks[0].elements[0].action_id", "is required");

    let errors = block_errors(actions(vec![button("same"), select("same", 1)]));
    assert_only(
        &errors,
        "blocks[0].elements[1].action_id",
        "must be unique within the block",
    );

    let errors = block_errors(actions(vec![
        json!({"type": "image", "image_url": "https://x.io", "alt_text": "x"}),
    ]));
    assert_only(
        &errors,
        "blocks[0].elements[0].type",
        "must be button or static_select",
    );
}

#[test]
fn static_select_limits() {
    let actions = |element: Value| json!({"type": "actions", "elements": [button("a"), button("b"), element]});
    assert!(Blocks::parse(json!([actions(select("s", 100))])).is_ok());
    let errors = block_errors(actions(select("s", 101)));
    assert_only(
        &errors,
        "blocks[0].elements[2].options",
        "must hold between 1 and 100 items",
    );
    let errors = block_errors(actions(select("s", 0)));
    assert_only(
        &errors,
        "blocks[0].elements[2].options",
        "must hold between 1 and 100 items",
    );

    let mut s = select("s", 2);
    s["options"][1]["value"] = json!(long(151));
    let errors = block_errors(actions(s));
    assert_only(
        &errors,
        "blocks[0].elements[2].options[1].value",
        "must be at most 150 characters",
    );

    let mut s = select("s", 2);
    s["options"][0]["text"] = plain(&long(76));
    s["placeholder"] = plain(&long(151));
    s["initial_option"] = json!({"text": plain("Other"), "value": "other"});
    let errors = block_errors(actions(s));
    assert_eq!(
        keys(&errors),
        vec![
            "blocks[0].elements[2].initial_option",
            "blocks[0].elements[2].options[0].text.text",
            "blocks[0].elements[2].placeholder.text",
        ]
    );
    assert_eq!(
        errors["blocks[0].elements[2].initial_option"],
        vec!["must match one of the options"]
    );

    let mut s = select("s", 1);
    s["option_groups"] = json!([]);
    let errors = block_errors(actions(s));
    assert_only(
        &errors,
        "blocks[0].elements[2].option_groups",
        "is not a known field of a static_select",
    );
}

#[test]
fn input_limits() {
    let text_input = json!({"type": "plain_text_input", "action_id": "i"});
    let input =
        |label: Value, element: Value| json!({"type": "input", "label": label, "element": element});
    assert!(Blocks::parse(json!([input(plain("L"), select("s", 3))])).is_ok());

    let errors = block_errors(input(plain(&long(2001)), text_input.clone()));
    assert_only(
        &errors,
        "blocks[0].label.text",
        "must be at most 2000 characters",
    );
    let errors = block_errors(input(plain("L"), button("b")));
    assert_only(
        &errors,
        "blocks[0].element.type",
        "must be plain_text_input or static_select",
    );

    let mut block = input(plain("L"), text_input.clone());
    block["hint"] = plain(&long(2001));
    block["optional"] = json!("no");
    let errors = block_errors(block);
    assert_eq!(
        keys(&errors),
        vec!["blocks[0].hint.text", "blocks[0].optional"]
    );

    let mut element = text_input;
    element["min_length"] = json!(10);
    element["max_length"] = json!(5);
    element["placeholder"] = plain(&long(151));
    let errors = block_errors(input(plain("L"), element.clone()));
    assert_eq!(
        errors["blocks[0].element.min_length"],
        vec!["must not exceed max_length"]
    );
    assert_eq!(
        errors["blocks[0].element.placeholder.text"],
        vec!["must be at most 150 characters"]
    );
    assert_eq!(errors.len(), 2);
    element["max_length"] = json!(3001);
    element["placeholder"] = plain("p");
    let errors = block_errors(input(plain("L"), element));
    assert_only(
        &errors,
        "blocks[0].element.max_length",
        "must be an integer between 1 and 3000",
    );

    let errors = block_errors(json!({"type": "input"}));
    assert_eq!(keys(&errors), vec!["blocks[0].element", "blocks[0].label"]);
}

#[test]
fn rich_text_is_permissive_but_typed() {
    let rich = |elements: Value| json!({"type": "rich_text", "elements": elements});
    assert_only(
        &block_errors(rich(json!([]))),
        "blocks[0].elements",
        "must hold at least 1 item",
    );
    let errors = block_errors(rich(json!([{"type": "rich_text_table", "elements": []}])));
    assert_only(
        &errors,
        "blocks[0].elements[0].type",
        "must be rich_text_section, rich_text_list, rich_text_preformatted or rich_text_quote",
    );
    let errors = block_errors(rich(json!([{"type": "rich_text_section"}])));
    assert_only(&errors, "blocks[0].elements[0].elements", "is required");
    let errors = block_errors(rich(
        json!([{"type": "rich_text_section", "elements": [{"text": "x"}, 3]}]),
    ));
    assert_eq!(
        errors["blocks[0].elements[0].elements[0].type"],
        vec!["is required"]
    );
    assert_eq!(
        errors["blocks[0].elements[0].elements[1]"],
        vec!["must be an object"]
    );
    assert_eq!(errors.len(), 2);
}

#[test]
fn table_limits() {
    let table =
        |columns: Value, rows: Value| json!({"type": "table", "columns": columns, "rows": rows});
    let column = json!({"key": "k", "label": "K"});
    let errors = block_errors(table(json!([]), json!([])));
    assert_only(
        &errors,
        "blocks[0].columns",
        "must hold between 1 and 50 items",
    );
    let columns: Vec<_> = (0..51)
        .map(|i| json!({"key": format!("k{i}"), "label": "L"}))
        .collect();
    let errors = block_errors(table(json!(columns), json!([])));
    assert_only(
        &errors,
        "blocks[0].columns",
        "must hold between 1 and 50 items",
    );
    let errors = block_errors(table(json!([{"key": "k", "label": long(201)}]), json!([])));
    assert_only(
        &errors,
        "blocks[0].columns[0].label",
        "must be at most 200 characters",
    );
    let errors = block_errors(table(json!([column, column]), json!([])));
    assert_only(
        &errors,
        "blocks[0].columns[1].key",
        "must be unique within the table",
    );
    let errors = block_errors(table(json!([column]), json!(vec![json!({}); 1001])));
    assert_only(&errors, "blocks[0].rows", "must hold at most 1000 items");
    let errors = block_errors(table(json!([column]), json!([{}, [1, 2]])));
    assert_only(&errors, "blocks[0].rows[1]", "must be an object");
    let errors = block_errors(json!({"type": "table", "columns": [column]}));
    assert_only(&errors, "blocks[0].rows", "is required");
}

#[test]
fn chart_limits() {
    let chart = |chart_type: &str| json!({"type": "chart", "chart_type": chart_type, "data": []});
    for kind in CHART_TYPES {
        assert!(Blocks::parse(json!([chart(kind)])).is_ok(), "{kind}");
    }
    let errors = block_errors(chart("donut"));
    assert_only(
        &errors,
        "blocks[0].chart_type",
        "must be bar, line, pie, area or scatter",
    );
    let mut block = chart("line");
    block["title"] = json!(long(201));
    block["y_keys"] = json!(["a", 2]);
    let errors = block_errors(block);
    assert_eq!(
        errors["blocks[0].title"],
        vec!["must be at most 200 characters"]
    );
    assert_eq!(errors["blocks[0].y_keys[1]"], vec!["must be a string"]);
    assert_eq!(errors.len(), 2);
    let mut block = chart("pie");
    block["data"] = json!(vec![json!({"x": 1}); 10_001]);
    assert_only(
        &block_errors(block),
        "blocks[0].data",
        "must hold at most 10000 items",
    );
}

#[test]
fn key_value_limits() {
    let kv = |items: Value| json!({"type": "key_value", "items": items});
    assert_only(
        &block_errors(kv(json!([]))),
        "blocks[0].items",
        "must hold between 1 and 100 items",
    );
    let items = vec![json!({"key": "k", "value": 1}); 101];
    assert_only(
        &block_errors(kv(json!(items))),
        "blocks[0].items",
        "must hold between 1 and 100 items",
    );
    let errors = block_errors(kv(json!([
        {"key": long(201), "value": 1},
        {"key": "k", "value": {"nested": true}},
        {"key": "k"},
        {"key": "k", "value": 1, "unit": "kg"}
    ])));
    assert_eq!(
        errors["blocks[0].items[0].key"],
        vec!["must be at most 200 characters"]
    );
    assert_eq!(
        errors["blocks[0].items[1].value"],
        vec!["must be a string, number, boolean or null"]
    );
    assert_eq!(errors["blocks[0].items[2].value"], vec!["is required"]);
    assert_eq!(
        errors["blocks[0].items[3].unit"],
        vec!["is not a known field of a key_value item"]
    );
    assert_eq!(errors.len(), 4);
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
