//! Our own data blocks: `table`, `chart`, `key_value`.

use serde_json::json;

use super::*;
use crate::message::blocks::data_blocks::CHART_TYPES;

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
