//! JSON objects with size limits: thread and message `metadata`, a thread's `memory`.

use serde_json::{Map, Value};

use crate::DomainError;

/// A JSON object of at most `MAX_BYTES` serialized and `MAX_KEYS` top-level keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonObject<const MAX_BYTES: usize, const MAX_KEYS: usize>(Map<String, Value>);

/// Thread and message `metadata`: ≤ 16 KiB, ≤ 64 keys.
pub type Metadata = JsonObject<{ 16 * 1024 }, 64>;

/// A thread's working memory: ≤ 64 KiB, any number of keys.
pub type Memory = JsonObject<{ 64 * 1024 }, { usize::MAX }>;

impl<const MAX_BYTES: usize, const MAX_KEYS: usize> JsonObject<MAX_BYTES, MAX_KEYS> {
    pub fn parse(value: Value) -> Result<Self, DomainError> {
        let Value::Object(map) = value else {
            return Err(DomainError::invalid("", "must be a JSON object"));
        };
        if map.len() > MAX_KEYS {
            return Err(DomainError::invalid(
                "",
                format!("must have at most {MAX_KEYS} keys"),
            ));
        }
        let size = serde_json::to_vec(&map).map_or(usize::MAX, |bytes| bytes.len());
        if size > MAX_BYTES {
            return Err(DomainError::invalid(
                "",
                format!("must be at most {} KiB serialized", MAX_BYTES / 1024),
            ));
        }
        Ok(Self(map))
    }

    /// Wraps a value read back from our own storage; anything but an object is empty.
    pub fn from_trusted(value: Value) -> Self {
        match value {
            Value::Object(map) => Self(map),
            _ => Self::default(),
        }
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_refuses_non_objects_too_many_keys_and_too_many_bytes() {
        assert!(Metadata::parse(json!({"a": 1})).is_ok());
        assert!(Metadata::parse(json!([1])).is_err());
        let many: Map<String, Value> = (0..65).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(Metadata::parse(Value::Object(many)).is_err());
        assert!(Metadata::parse(json!({"big": "x".repeat(16 * 1024)})).is_err());
        assert!(Memory::parse(json!({"big": "x".repeat(40 * 1024)})).is_ok());
        assert!(Memory::parse(json!({"big": "x".repeat(64 * 1024)})).is_err());
    }
}
