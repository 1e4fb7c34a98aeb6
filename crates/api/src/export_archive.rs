//! The zip of `GET /users/me/export`, written while it is sent.
//!
//! A task writes the archive (`async_zip`, which writes each entry's sizes after its data,
//! so it never seeks back) into one end of a 64 KiB in-memory pipe; the response reads the
//! other end. When the client reads slowly, the pipe fills and the writer waits: memory
//! is the pipe, the deflater's window and one page of rows, whatever the account holds.
//! Rows are read page by page (`domain::account::Export`), file bytes as a stream from
//! the blob store. A failure midway ends the response with an error, so the client sees
//! a broken transfer rather than a short zip that looks whole.
//!
//! `manifest.json` is written last, when the counts are known. A new section is one call
//! in `write_archive` (`json_section` with the export's paged read and the DTO that
//! renders a row); a section that does not exist yet is one line of `PLACEHOLDERS`.

use std::{future::Future, io};

use async_zip::{tokio::write::ZipFileWriter, Compression, ZipEntryBuilder};
use bytes::{Bytes, BytesMut};
use domain::{account::Export, DomainResult};
use futures_util::{io::AsyncWriteExt, Stream, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, DuplexStream};

use crate::dto::{
    api_key::ApiKeyResponse, audit::AuditEntryResponse, auth::SessionResponse, file::FileResponse,
    message::MessageResponse, message::RevisionResponse, user::UserResponse,
};

/// The pipe between the archive's writer and the response.
const PIPE_BYTES: usize = 64 * 1024;

/// Sections the product does not hold yet: an empty list, and why, in the manifest.
const PLACEHOLDERS: &[(&str, &str)] = &[(
    "artifacts.json",
    "artifacts are not built yet; this list is always empty",
)];

/// The archive's bytes as they are written.
pub fn stream(export: Export) -> impl Stream<Item = io::Result<Bytes>> {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let task = tokio::spawn(async move {
        let user = export.user.id.clone();
        let written = write_archive(export, writer).await;
        if let Err(err) = &written {
            // A client that went away is the common case; anything else is logged too.
            tracing::warn!(user = %user, error = %format!("{err:#}"), "export ended early");
        }
        written.map_err(|err| io::Error::other(format!("{err:#}")))
    });
    futures_util::stream::unfold((reader, Some(task)), |(mut reader, mut task)| async move {
        let mut buf = BytesMut::with_capacity(PIPE_BYTES);
        match reader.read_buf(&mut buf).await {
            Ok(0) => {
                // The writer is done: end the body, or fail it if the archive is not whole.
                let outcome = task.take()?.await;
                match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some((Err(err), (reader, task))),
                    Err(join) => Some((Err(io::Error::other(join)), (reader, task))),
                }
            }
            Ok(_) => Some((Ok(buf.freeze()), (reader, task))),
            Err(err) => Some((Err(err), (reader, task))),
        }
    })
}

type Zip = ZipFileWriter<DuplexStream>;

/// One manifest line: an entry (or a folder of them) and how many records it holds.
#[derive(Serialize)]
struct ManifestEntry {
    name: String,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

impl ManifestEntry {
    fn new(name: &str, count: u64) -> Self {
        Self {
            name: name.to_owned(),
            count,
            bytes: None,
            note: None,
        }
    }
}

async fn write_archive(export: Export, sink: DuplexStream) -> anyhow::Result<()> {
    let mut zip = ZipFileWriter::with_tokio(sink);
    let mut entries = Vec::new();

    let profile = serde_json::to_vec_pretty(&UserResponse::from(export.user.clone()))?;
    write_whole(&mut zip, "profile.json", &profile).await?;
    entries.push(ManifestEntry::new("profile.json", 1));

    let count = json_section(
        &mut zip,
        "sessions.json",
        |after| export.sessions(after),
        |s| s.id.to_string(),
        |s| SessionResponse::new(s, false),
    )
    .await?;
    entries.push(ManifestEntry::new("sessions.json", count));

    let count = json_section(
        &mut zip,
        "api_keys.json",
        |after| export.api_keys(after),
        |k| k.id.to_string(),
        ApiKeyResponse::from,
    )
    .await?;
    entries.push(ManifestEntry::new("api_keys.json", count));

    let (threads, messages) = threads_section(&mut zip, &export).await?;
    entries.push(ManifestEntry::new("threads/", threads));
    entries.push(ManifestEntry::new("threads/*/messages.json", messages));

    let count = json_section(
        &mut zip,
        "reactions.json",
        |after| export.reactions(after),
        |r| r.id.to_string(),
        |r| {
            json!({
                "id": r.id, "message_id": r.message_id, "thread_id": r.thread_id,
                "emoji": r.emoji, "created_at": crate::dto::rfc3339(r.created_at),
            })
        },
    )
    .await?;
    entries.push(ManifestEntry::new("reactions.json", count));

    let count = json_section(
        &mut zip,
        "files.json",
        |after| export.files(after),
        |f| f.id.to_string(),
        FileResponse::from,
    )
    .await?;
    entries.push(ManifestEntry::new("files.json", count));
    let (count, bytes) = file_bytes(&mut zip, &export).await?;
    entries.push(ManifestEntry {
        bytes: Some(bytes),
        ..ManifestEntry::new("files/", count)
    });

    // Entries by the user or on their account, oldest first; this export's own
    // `account.exported` is among them (it was appended before the archive started).
    let count = json_section(
        &mut zip,
        "audit.json",
        |after| export.audit(after),
        |e| e.seq.to_string(),
        AuditEntryResponse::from,
    )
    .await?;
    entries.push(ManifestEntry::new("audit.json", count));

    for (name, note) in PLACEHOLDERS {
        write_whole(&mut zip, name, b"[]").await?;
        entries.push(ManifestEntry {
            note: Some(note),
            ..ManifestEntry::new(name, 0)
        });
    }

    let manifest = json!({
        "format_version": domain::account::EXPORT_FORMAT_VERSION,
        "generated_at": crate::dto::rfc3339(export.generated_at),
        "user_id": export.user.id,
        "entries": entries,
    });
    write_whole(
        &mut zip,
        "manifest.json",
        &serde_json::to_vec_pretty(&manifest)?,
    )
    .await?;
    zip.close().await?;
    Ok(())
}

/// One small entry, written at once.
async fn write_whole(zip: &mut Zip, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut entry = zip
        .write_entry_stream(ZipEntryBuilder::new(name.into(), Compression::Deflate))
        .await?;
    entry.write_all(bytes).await?;
    entry.close().await?;
    Ok(())
}

/// A JSON array written page by page: `page(after)` gives the rows after the key of the
/// last row of the page before, until a page is empty. Returns how many rows it held.
async fn json_section<T, R, F, Fut>(
    zip: &mut Zip,
    name: &str,
    mut page: F,
    key: impl Fn(&T) -> String,
    render: impl Fn(T) -> R,
) -> anyhow::Result<u64>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = DomainResult<Vec<T>>>,
    R: Serialize,
{
    let mut entry = zip
        .write_entry_stream(ZipEntryBuilder::new(name.into(), Compression::Deflate))
        .await?;
    entry.write_all(b"[").await?;
    let mut after = None;
    let mut count = 0_u64;
    loop {
        let rows = page(after.take()).await?;
        let Some(last) = rows.last() else { break };
        after = Some(key(last));
        for row in rows {
            if count > 0 {
                entry.write_all(b",\n").await?;
            }
            entry.write_all(&serde_json::to_vec(&render(row))?).await?;
            count += 1;
        }
    }
    entry.write_all(b"]").await?;
    entry.close().await?;
    Ok(count)
}

/// `threads/<id>/thread.json` (the thread and the user's role in it) and
/// `threads/<id>/messages.json` (the messages the user wrote there, with their earlier
/// versions) for each thread the user belongs to. Returns (threads, messages).
async fn threads_section(zip: &mut Zip, export: &Export) -> anyhow::Result<(u64, u64)> {
    let (mut threads, mut messages) = (0_u64, 0_u64);
    let mut after = None;
    loop {
        let page = export.threads(after.take()).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.thread.id.to_string());
        for exported in page {
            let id = exported.thread.id.clone();
            let view = domain::thread::ThreadView {
                thread: exported.thread,
                my_role: Some(exported.role),
            };
            let thread =
                serde_json::to_vec_pretty(&crate::dto::thread::ThreadResponse::from(view))?;
            write_whole(zip, &format!("threads/{id}/thread.json"), &thread).await?;
            messages += json_section(
                zip,
                &format!("threads/{id}/messages.json"),
                |after| export.messages(&id, after),
                |m| m.message.id.to_string(),
                |m| {
                    let revisions: Vec<RevisionResponse> = m
                        .revisions
                        .into_iter()
                        .map(RevisionResponse::from)
                        .collect();
                    let mut message = serde_json::to_value(MessageResponse::from(m.message))
                        .unwrap_or(Value::Null);
                    if let Value::Object(fields) = &mut message {
                        fields.insert("revisions".to_owned(), json!(revisions));
                    }
                    message
                },
            )
            .await?;
            threads += 1;
        }
    }
    Ok((threads, messages))
}

/// `files/<id>/<name>`: the bytes of each stored file, streamed from the blob store and
/// stored as they are (files are mostly compressed already). Returns (files, bytes).
async fn file_bytes(zip: &mut Zip, export: &Export) -> anyhow::Result<(u64, u64)> {
    let (mut files, mut total) = (0_u64, 0_u64);
    let mut after = None;
    loop {
        let page = export.files(after.take()).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        for file in page {
            let Some(mut bytes) = export.file_bytes(&file).await? else {
                continue;
            };
            let name = format!("files/{}/{}", file.id, safe_name(file.filename.as_str()));
            let mut entry = zip
                .write_entry_stream(ZipEntryBuilder::new(name.into(), Compression::Stored))
                .await?;
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk?;
                total += chunk.len() as u64;
                entry.write_all(&chunk).await?;
            }
            entry.close().await?;
            files += 1;
        }
    }
    Ok((files, total))
}

/// A file name as one path segment: no separators, no `.` or `..`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "file".to_owned(),
        _ => cleaned,
    }
}
