//! Interactive elements: buttons and static selects in `actions` blocks.

use serde_json::json;

use super::*;

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
