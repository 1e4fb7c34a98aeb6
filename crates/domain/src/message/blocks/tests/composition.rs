//! Text objects and the other composition objects blocks are made of.

use serde_json::json;

use super::*;

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
