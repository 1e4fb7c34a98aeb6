//! Our own data blocks, which Slack does not have: table, chart and key_value.

use std::collections::HashSet;

use serde_json::Value;

use super::checks::{
    array, at, nth, objects, one_of, only_known, optional_string, required, required_string,
    string, Object, Report,
};

/// Ours. `columns`: 1..=50 of `{key, label}` (key ≤ 200, ours, unique; label ≤ 200);
/// `rows`: at most 1000 objects, whose cells are not checked.
pub(super) fn table(report: &mut Report, path: &str, object: &Object) {
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

pub(super) const CHART_TYPES: [&str; 5] = ["bar", "line", "pie", "area", "scatter"];

/// Ours. `chart_type` and `data` (at most 10000 objects) required; `title` ≤ 200, `x_key`
/// ≤ 200 (ours) and `y_keys` (1..=50 strings ≤ 200, ours) optional.
pub(super) fn chart(report: &mut Report, path: &str, object: &Object) {
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
pub(super) fn key_value(report: &mut Report, path: &str, object: &Object) {
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
