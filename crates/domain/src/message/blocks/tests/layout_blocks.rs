//! The layout blocks: `header`, `section`, `context`, `image`, `input`, `rich_text`.

use serde_json::json;

use super::*;

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
