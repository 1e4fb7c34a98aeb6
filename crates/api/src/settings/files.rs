//! Where uploaded bytes go, how large they may be, and when leftovers are swept.

use std::time::Duration;

use super::reader::Reader;

#[derive(Clone, Debug)]
pub struct FileSettings {
    /// A directory, `memory://`, or `s3://bucket/prefix`.
    pub storage_url: String,
    pub max_upload_bytes: u64,
    /// How often orphaned bytes and abandoned uploads are swept; zero turns it off.
    pub sweep_interval: Duration,
    /// Bytes and partial uploads younger than this are never swept.
    pub sweep_grace: Duration,
    /// An upload that sends nothing for this long is given up (408) and its bytes go.
    pub upload_idle_timeout: Duration,
}

pub(super) fn read(r: &mut Reader<'_>) -> FileSettings {
    FileSettings {
        storage_url: r.text("FILE_STORAGE_URL", "./data/files"),
        max_upload_bytes: r.parse("MAX_UPLOAD_BYTES", 100 * 1024 * 1024),
        sweep_interval: Duration::from_secs(r.parse("FILE_SWEEP_INTERVAL_SECONDS", 3_600)),
        sweep_grace: r.seconds("FILE_SWEEP_GRACE_SECONDS", 3_600, 60..=604_800),
        upload_idle_timeout: r.seconds("UPLOAD_IDLE_TIMEOUT_SECONDS", 60, 1..=3_600),
    }
}
