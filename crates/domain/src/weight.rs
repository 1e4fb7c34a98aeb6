//! What each paged item weighs ([`Weigh`]): the bytes of its variable-length text and
//! JSON, plus a fixed allowance for ids, times and field names. Pages are cut by these
//! weights (`pagination`) and the read caches are bounded by them, so a field that can be
//! large must be counted here or neither bound holds.

use crate::{
    auth::Session,
    file::{File, FileSource, FileSummary},
    message::{Message, Revision},
    pagination::Weigh,
    reaction::ReactionGroup,
    search::MessageHit,
    thread::{Member, Thread, ThreadView},
    user::User,
};

/// What a record's fixed fields (ids, times, enums, field names) add, roughly.
const FIXED_FIELDS: usize = 512;

/// The length of a value serialized as JSON, counted without keeping the bytes.
pub fn serialized_len(value: &(impl serde::Serialize + ?Sized)) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        // Counting cannot fail; should it, weigh the value as too big to keep.
        Err(_) => usize::MAX / 2,
    }
}

impl Weigh for Message {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.content.as_ref().map_or(0, |c| c.as_str().len())
            + serialized_len(self.blocks.as_slice())
            + serialized_len(self.metadata.as_map())
            + self.attachments.iter().map(Weigh::weight).sum::<usize>()
            + self
                .reaction_counts
                .keys()
                .map(|e| e.len() + 16)
                .sum::<usize>()
    }
}

impl Weigh for FileSummary {
    fn weight(&self) -> usize {
        128 + self.id.as_str().len()
            + self.filename.as_str().len()
            + self.content_type.as_str().len()
            + self
                .external_url
                .as_ref()
                .map_or(0, |url| url.as_str().len())
    }
}

impl Weigh for Revision {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.content.as_ref().map_or(0, |c| c.as_str().len())
            + serialized_len(self.blocks.as_slice())
    }
}

impl Weigh for Session {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.user_agent.as_ref().map_or(0, String::len)
            + self.ip.as_ref().map_or(0, String::len)
    }
}

impl Weigh for ReactionGroup {
    fn weight(&self) -> usize {
        FIXED_FIELDS + self.emoji.as_str().len() + self.users.len() * 48
    }
}

impl Weigh for Thread {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.title.as_str().len()
            + self.description.as_str().len()
            + serialized_len(self.metadata.as_map())
            + serialized_len(self.memory.as_map())
    }
}

impl Weigh for ThreadView {
    fn weight(&self) -> usize {
        self.thread.weight()
    }
}

impl Weigh for Member {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.name.as_str().len()
            + self.avatar_url.as_ref().map_or(0, |url| url.as_str().len())
    }
}

impl Weigh for User {
    fn weight(&self) -> usize {
        FIXED_FIELDS
            + self.email.as_str().len()
            + self.name.as_str().len()
            + self.avatar_url.as_ref().map_or(0, |url| url.as_str().len())
            + serialized_len(self.preferences.as_map())
    }
}

impl Weigh for File {
    fn weight(&self) -> usize {
        let source = match &self.source {
            FileSource::Stored(digest) => digest.as_str().len(),
            FileSource::External(url) => url.as_str().len(),
        };
        FIXED_FIELDS
            + self.filename.as_str().len()
            + self.declared_type.as_str().len()
            + self.detected_type.as_ref().map_or(0, |t| t.as_str().len())
            + source
            + serialized_len(self.metadata.as_map())
    }
}

impl Weigh for MessageHit {
    fn weight(&self) -> usize {
        FIXED_FIELDS + self.snippet.as_str().len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn serialized_len_counts_what_serde_json_writes() {
        let value = json!({"a": [1, 2, "three"], "b": "x".repeat(1_000)});
        let written = serde_json::to_vec(&value).map(|v| v.len()).unwrap_or(0);
        assert_eq!(serialized_len(&value), written);
    }
}
