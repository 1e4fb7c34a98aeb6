//! `SeaFileRepository` against the `FileRepository` contract: records, blob rows and the
//! locking protocol between storing a file and collecting its bytes.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::{
    file::{
        ContentTypeFilter, ExternalUrl, File, FileChanges, FileFilter, FileName, FileSource,
        PreviewState, Sha256Digest, StorageStep,
    },
    id::{FileId, ThreadId, UserId},
    json_object::Metadata,
    pagination::{Cursor, Limit, PageRequest},
    thread::MemberRole,
    time::{self, Timestamp},
    DomainError, DomainResult,
};
use serde_json::json;
use tokio::{sync::Notify, task::JoinHandle};

use crate::support::{all_pages, digest, message_attaching, stored_file, CountingStep, Fixture};

/// Whether the blob row of `bytes` is there: `[bytes]` or nothing.
async fn known(f: &Fixture, bytes: &Sha256Digest) -> Vec<Sha256Digest> {
    let known = f.files.known_blobs(std::slice::from_ref(bytes)).await;
    known.unwrap()
}

/// An external file of `owner`, in `thread` when given.
fn external_file(
    owner: &UserId,
    thread: Option<&ThreadId>,
    name: &str,
    content_type: &str,
) -> File {
    File {
        size_bytes: 99,
        source: FileSource::External(ExternalUrl::parse("https://cdn.example.com/a.pdf").unwrap()),
        preview: PreviewState::Unavailable,
        ..stored_file(owner, thread, name, &digest('0'), content_type, None)
    }
}

/// Posts a message in `thread` attaching `attached`.
async fn attach(f: &Fixture, thread: &ThreadId, author: &UserId, attached: &[&File]) {
    let message = message_attaching(thread, author, "see attached", attached);
    f.insert_message(&message).await;
}

/// The ids on every page of what `user` sees with `filter`, `limit` at a time.
async fn all_visible(
    f: &Fixture,
    user: &UserId,
    filter: &FileFilter,
    limit: i64,
) -> Vec<Vec<FileId>> {
    let list = |page| async move { f.files.list_visible(user, filter, &page).await };
    all_pages(limit, list, |file| file.id).await
}

async fn visible(f: &Fixture, user: &UserId, filter: &FileFilter) -> Vec<FileId> {
    all_visible(f, user, filter, 100).await.concat()
}

/// Applies `changes` to `file` at `now`, provided it is still at `expected` when given.
async fn update(
    f: &Fixture,
    file: &FileId,
    changes: &FileChanges,
    expected: Option<Timestamp>,
    now: Timestamp,
) -> DomainResult<File> {
    f.files.update(file, changes, expected, now).await
}

/// The change that renames a file to `name`, and nothing else.
fn renaming(name: &str) -> FileChanges {
    FileChanges {
        filename: Some(FileName::parse(name).unwrap()),
        metadata: None,
    }
}

fn newest_first(files: &[&File]) -> Vec<FileId> {
    let mut ids: Vec<FileId> = files.iter().map(|f| f.id.clone()).collect();
    ids.sort();
    ids.reverse();
    ids
}

repo_test!(
    stored_and_external_files_round_trip_with_their_blobs_preview_state,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Pictures").await;
        let bytes = digest('a');
        let mut photo = stored_file(
            &ada.id,
            Some(&thread.id),
            "photo.png",
            &bytes,
            "application/octet-stream",
            Some("image/png"),
        );
        photo.metadata = Metadata::parse(json!({"album": "summer"})).unwrap();
        let place = CountingStep::default();

        let stored = f.files.insert(&photo, Some(place.boxed())).await.unwrap();

        assert_eq!(place.runs(), 1);
        assert_eq!(stored, photo);
        assert_eq!(stored.preview, PreviewState::Pending);
        assert_eq!(stored.content_type().as_str(), "image/png");
        assert!(stored.has_preview());
        assert_eq!(f.files.find(&photo.id).await.unwrap(), Some(photo.clone()));
        assert_eq!(f.files.find(&FileId::generate()).await.unwrap(), None);

        f.files
            .set_preview(&bytes, PreviewState::Ready)
            .await
            .unwrap();
        let found = f.files.find(&photo.id).await.unwrap().unwrap();
        assert_eq!(found.preview, PreviewState::Ready);

        // The same bytes again: one blob, whose state the new record shows at once.
        let again = stored_file(
            &ada.id,
            None,
            "copy.png",
            &bytes,
            "image/png",
            Some("image/png"),
        );
        let stored_again = f.files.insert(&again, Some(place.boxed())).await.unwrap();
        assert_eq!(place.runs(), 2);
        assert_eq!(stored_again.preview, PreviewState::Ready);
        assert_eq!(f.count("blobs").await, 1);

        f.files
            .set_preview(&bytes, PreviewState::Unavailable)
            .await
            .unwrap();
        let found = f.files.find(&again.id).await.unwrap().unwrap();
        assert_eq!(found.preview, PreviewState::Unavailable);
        assert!(!found.has_preview());

        let link = external_file(&ada.id, Some(&thread.id), "spec.pdf", "application/pdf");
        let stored_link = f.files.insert(&link, None).await.unwrap();
        assert_eq!(stored_link, link);
        let found = f.files.find(&link.id).await.unwrap().unwrap();
        assert_eq!(found, link);
        assert_eq!(found.preview, PreviewState::Unavailable);
        assert_eq!(found.sha256(), None);
        assert_eq!(f.count("blobs").await, 1);

        // Marking a blob nobody knows is not an error.
        f.files
            .set_preview(&digest('f'), PreviewState::Ready)
            .await
            .unwrap();
    }
);

repo_test!(an_insert_whose_bytes_cannot_be_placed_stores_nothing, |f| {
    let ada = f.user("Ada").await;
    let fresh = stored_file(
        &ada.id,
        None,
        "a.bin",
        &digest('b'),
        "application/octet-stream",
        None,
    );
    let place = CountingStep::failing();

    let err = f
        .files
        .insert(&fresh, Some(place.boxed()))
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unexpected(_)), "{err:?}");
    assert_eq!(place.runs(), 1);
    assert_eq!(f.files.find(&fresh.id).await.unwrap(), None);
    assert_eq!(f.count("files").await, 0);
    assert_eq!(f.count("blobs").await, 0);

    // Bytes already known keep their row and its state.
    let kept = f
        .file(&ada.id, None, "b.png", 'c', "image/png", Some("image/png"))
        .await;
    f.files
        .set_preview(&digest('c'), PreviewState::Ready)
        .await
        .unwrap();
    let twin = stored_file(&ada.id, None, "twin.png", &digest('c'), "image/png", None);
    assert!(f.files.insert(&twin, Some(place.boxed())).await.is_err());
    assert_eq!(f.files.find(&twin.id).await.unwrap(), None);
    assert_eq!(known(&f, &digest('c')).await, vec![digest('c')]);
    let found = f.files.find(&kept.id).await.unwrap().unwrap();
    assert_eq!(found.preview, PreviewState::Ready);
});

repo_test!(
    inserting_into_a_missing_thread_is_thread_not_found_and_places_no_bytes,
    |f| {
        let ada = f.user("Ada").await;
        let missing = ThreadId::generate();
        let place = CountingStep::default();

        let stored = stored_file(
            &ada.id,
            Some(&missing),
            "a.txt",
            &digest('d'),
            "text/plain",
            None,
        );
        let err = f
            .files
            .insert(&stored, Some(place.boxed()))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
        assert_eq!(place.runs(), 0);

        let link = external_file(&ada.id, Some(&missing), "b.pdf", "application/pdf");
        let err = f.files.insert(&link, None).await.unwrap_err();
        assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");

        assert_eq!(f.count("files").await, 0);
        assert_eq!(f.count("blobs").await, 0);
    }
);

repo_test!(
    a_file_is_readable_through_its_thread_and_threads_that_attach_it,
    |f| {
        let [ada, bob, cyd, eve] = f.users_called(["Ada", "Bob", "Cyd", "Eve"]).await;
        let home = f.thread(&ada.id, "Home").await;
        let elsewhere = f.thread(&ada.id, "Elsewhere").await;
        f.add_member(&home.id, &bob.id, MemberRole::Viewer, &ada.id)
            .await;
        f.add_member(&elsewhere.id, &cyd.id, MemberRole::Viewer, &ada.id)
            .await;
        let file = f
            .file(&ada.id, Some(&home.id), "a.png", 'a', "image/png", None)
            .await;
        let private = f.file(&ada.id, None, "p.png", 'b', "image/png", None).await;

        let readable = |id: FileId, user: UserId| {
            let f = &f;
            async move { f.files.readable_through_threads(&id, &user).await.unwrap() }
        };
        assert!(readable(file.id.clone(), bob.id.clone()).await);
        assert!(!readable(file.id.clone(), cyd.id.clone()).await);
        assert!(!readable(file.id.clone(), eve.id.clone()).await);
        // The owner's own access is the access check's business, not this query's.
        assert!(!readable(private.id.clone(), ada.id.clone()).await);

        attach(&f, &elsewhere.id, &ada.id, &[&file, &private]).await;
        assert!(readable(file.id.clone(), cyd.id.clone()).await);
        assert!(readable(private.id.clone(), cyd.id.clone()).await);
        assert!(!readable(private.id.clone(), bob.id.clone()).await);
        assert!(!readable(file.id.clone(), eve.id.clone()).await);
        assert!(!readable(FileId::generate(), ada.id.clone()).await);
    }
);

repo_test!(
    list_visible_shows_owned_thread_and_attached_files_once_newest_first,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let shared = f.thread(&bob.id, "Shared").await;
        let bobs = f.thread(&bob.id, "Bob's").await;
        f.add_member(&shared.id, &ada.id, MemberRole::Viewer, &bob.id)
            .await;

        let owned = f
            .file(
                &ada.id,
                None,
                "mine.png",
                '1',
                "image/png",
                Some("image/png"),
            )
            .await;
        let in_thread = f
            .file(
                &bob.id,
                Some(&shared.id),
                "notes.txt",
                '2',
                "text/plain; charset=utf-8",
                None,
            )
            .await;
        let attached = f
            .file(
                &bob.id,
                Some(&bobs.id),
                "photo.jpg",
                '3',
                "image/jpeg",
                Some("image/jpeg"),
            )
            .await;
        let hidden = f
            .file(
                &bob.id,
                Some(&bobs.id),
                "secret.png",
                '4',
                "image/png",
                None,
            )
            .await;
        let link = f
            .insert_file(&external_file(&bob.id, None, "spec.pdf", "application/pdf"))
            .await;
        // Owned and attached in a thread of hers: listed once.
        let owned_and_attached = f
            .file(&ada.id, Some(&bobs.id), "both.gif", '5', "image/gif", None)
            .await;
        attach(&f, &shared.id, &bob.id, &[&attached, &owned_and_attached]).await;
        attach(&f, &bobs.id, &bob.id, &[&hidden, &link]).await;

        let everything = FileFilter::default();
        let expected = newest_first(&[&owned, &in_thread, &attached, &owned_and_attached]);
        assert_eq!(visible(&f, &ada.id, &everything).await, expected);
        let pages = all_visible(&f, &ada.id, &everything, 3).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(pages.concat(), expected);
        let pages = all_visible(&f, &ada.id, &everything, 1).await;
        assert_eq!(pages.concat(), expected);
        assert_eq!(pages.concat().into_iter().collect::<HashSet<_>>().len(), 4);
        assert_eq!(
            visible(&f, &bob.id, &everything).await,
            newest_first(&[&in_thread, &attached, &hidden, &link, &owned_and_attached])
        );

        // A thread's files: its own and those attached in it.
        let of_shared = FileFilter {
            thread_id: Some(shared.id.clone()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&f, &ada.id, &of_shared).await,
            newest_first(&[&in_thread, &attached, &owned_and_attached])
        );
        let of_bobs = FileFilter {
            thread_id: Some(bobs.id.clone()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&f, &bob.id, &of_bobs).await,
            newest_first(&[&attached, &hidden, &link, &owned_and_attached])
        );
        // With a thread, the service has checked that the caller reads it (an ADMIN may
        // read a thread without being a member): the list is the thread's, whoever asks.
        assert_eq!(
            visible(&f, &ada.id, &of_bobs).await,
            visible(&f, &bob.id, &of_bobs).await
        );

        let typed = |raw: &str| FileFilter {
            content_type: Some(ContentTypeFilter::parse(raw).unwrap()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&f, &ada.id, &typed("image/*")).await,
            newest_first(&[&owned, &attached, &owned_and_attached])
        );
        assert_eq!(
            visible(&f, &ada.id, &typed("IMAGE/PNG")).await,
            newest_first(&[&owned])
        );
        assert_eq!(
            visible(&f, &ada.id, &typed("text/plain")).await,
            newest_first(&[&in_thread])
        );
        assert_eq!(
            visible(&f, &bob.id, &typed("application/pdf")).await,
            newest_first(&[&link])
        );
        // The type served, not the type declared: sniffed as JPEG, declared as PNG.
        let renamed = f
            .file(&ada.id, None, "x.png", '6', "image/png", Some("image/jpeg"))
            .await;
        assert_eq!(
            visible(&f, &ada.id, &typed("image/jpeg")).await,
            newest_first(&[&attached, &renamed])
        );
        // LIKE wildcards in a family match themselves only.
        assert!(visible(&f, &ada.id, &typed("i_age/*")).await.is_empty());
        let both = FileFilter {
            thread_id: Some(shared.id.clone()),
            content_type: Some(ContentTypeFilter::parse("image/*").unwrap()),
        };
        assert_eq!(
            visible(&f, &ada.id, &both).await,
            newest_first(&[&attached, &owned_and_attached])
        );

        let stranger = f.user("Eve").await;
        assert!(visible(&f, &stranger.id, &everything).await.is_empty());

        for bad in ["nonsense", "msg_0195f0a0b1c27d3e8f9a0b1c2d3e4f50"] {
            let err = f
                .files
                .list_visible(
                    &ada.id,
                    &everything,
                    &PageRequest {
                        limit: Limit::DEFAULT,
                        after: Some(Cursor::after(bad)),
                    },
                )
                .await
                .unwrap_err();
            assert!(
                matches!(&err, DomainError::Validation(errors) if errors.contains_key("cursor")),
                "{err:?}"
            );
        }
    }
);

repo_test!(
    update_renames_and_changes_metadata_with_and_without_a_precondition,
    |f| {
        let ada = f.user("Ada").await;
        let file = f
            .file(&ada.id, None, "draft.txt", 'a', "text/plain", None)
            .await;

        let (read, renamed_at) = (Some(file.updated_at), time::after(file.updated_at));
        let renamed = update(&f, &file.id, &renaming("final.txt"), read, renamed_at).await;
        let renamed = renamed.unwrap();
        assert_eq!(renamed.filename.as_str(), "final.txt");
        assert_eq!(renamed.metadata, file.metadata);
        assert_eq!(renamed.updated_at, renamed_at);
        assert_eq!(renamed.created_at, file.created_at);
        assert_eq!(f.files.find(&file.id).await.unwrap(), Some(renamed.clone()));

        let tagged_at = time::after(renamed_at);
        let metadata = Metadata::parse(json!({"reviewed": true})).unwrap();
        let retagging = FileChanges {
            filename: None,
            metadata: Some(metadata.clone()),
        };
        let tagged = update(&f, &file.id, &retagging, None, tagged_at).await;
        let tagged = tagged.unwrap();
        assert_eq!(tagged.filename.as_str(), "final.txt");
        assert_eq!(tagged.metadata, metadata);
        assert_eq!(tagged.updated_at, tagged_at);

        let (lost, stale_at) = (renaming("lost.txt"), time::after(tagged_at));
        let stale = update(&f, &file.id, &lost, Some(renamed_at), stale_at).await;
        let stale = stale.unwrap_err();
        assert!(
            matches!(stale, DomainError::PreconditionFailed),
            "{stale:?}"
        );
        assert_eq!(f.files.find(&file.id).await.unwrap(), Some(tagged));

        for expected in [None, Some(file.updated_at)] {
            let nothing = FileChanges::default();
            let err = update(&f, &FileId::generate(), &nothing, expected, time::now()).await;
            let err = err.unwrap_err();
            assert!(matches!(err, DomainError::NotFound("file")), "{err:?}");
        }
    }
);

repo_test!(
    deleting_a_file_removes_it_from_the_messages_that_attach_it,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Drafts").await;
        let doomed = f
            .file(&ada.id, Some(&thread.id), "a.png", 'a', "image/png", None)
            .await;
        let kept = f
            .insert_file(&external_file(&ada.id, None, "b.pdf", "application/pdf"))
            .await;
        let message = message_attaching(&thread.id, &ada.id, "two files", &[&doomed, &kept]);
        f.insert_message(&message).await;
        assert_eq!(f.count("message_attachments").await, 2);

        let err = f
            .files
            .delete(&doomed.id, Some(time::after(doomed.updated_at)))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert_eq!(f.count("message_attachments").await, 2);

        f.files
            .delete(&doomed.id, Some(doomed.updated_at))
            .await
            .unwrap();

        assert_eq!(f.files.find(&doomed.id).await.unwrap(), None);
        let found = f.messages.find(&message.id).await.unwrap().unwrap();
        assert_eq!(found.attachments, vec![kept.summary()]);
        assert_eq!(f.count("message_attachments").await, 1);
        // The bytes' row stays until the blob is collected.
        assert_eq!(known(&f, &digest('a')).await, vec![digest('a')]);

        f.files.delete(&kept.id, None).await.unwrap();
        let found = f.messages.find(&message.id).await.unwrap().unwrap();
        assert!(found.attachments.is_empty());
        for gone in [&doomed.id, &kept.id, &FileId::generate()] {
            let err = f.files.delete(gone, None).await.unwrap_err();
            assert!(matches!(err, DomainError::NotFound("file")), "{err:?}");
        }
    }
);

repo_test!(a_file_outlives_its_thread, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Short-lived").await;
    let file = f
        .file(&ada.id, Some(&thread.id), "a.png", 'a', "image/png", None)
        .await;
    attach(&f, &thread.id, &ada.id, &[&file]).await;

    f.delete_thread(&thread.id, None, &ada.id).await.unwrap();

    let found = f.files.find(&file.id).await.unwrap().unwrap();
    assert_eq!(found.thread_id, None);
    assert_eq!(f.count("message_attachments").await, 0);
    assert_eq!(
        visible(&f, &ada.id, &FileFilter::default()).await,
        vec![file.id]
    );
});

repo_test!(
    collect_blob_removes_bytes_only_when_no_record_references_them,
    |f| {
        let ada = f.user("Ada").await;
        let bytes = digest('a');
        let first = f.file(&ada.id, None, "a.png", 'a', "image/png", None).await;
        let second = f.file(&ada.id, None, "b.png", 'a', "image/png", None).await;
        let remove = CountingStep::default();

        f.files.delete(&first.id, None).await.unwrap();
        assert!(!f.files.collect_blob(&bytes, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 0);
        assert_eq!(known(&f, &bytes).await, vec![bytes.clone()]);
        assert!(f.files.unreferenced_blobs(10).await.unwrap().is_empty());

        f.files.delete(&second.id, None).await.unwrap();
        assert_eq!(
            f.files.unreferenced_blobs(10).await.unwrap(),
            vec![bytes.clone()]
        );
        // A step that fails keeps the row, for a later try.
        let failing = CountingStep::failing();
        assert!(f.files.collect_blob(&bytes, failing.boxed()).await.is_err());
        assert_eq!(failing.runs(), 1);
        assert_eq!(known(&f, &bytes).await, vec![bytes.clone()]);

        assert!(f.files.collect_blob(&bytes, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 1);
        assert!(known(&f, &bytes).await.is_empty());
        assert_eq!(f.count("blobs").await, 0);

        // Bytes the store has and the records never knew (an upload that never became a
        // file) are collected too, leaving no row behind.
        let stray = digest('e');
        assert!(f.files.collect_blob(&stray, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 2);
        assert_eq!(f.count("blobs").await, 0);
    }
);

repo_test!(known_blobs_names_the_digests_with_a_row, |f| {
    let ada = f.user("Ada").await;
    for seed in ['a', 'c'] {
        f.insert_file(&stored_file(
            &ada.id,
            None,
            "x.bin",
            &digest(seed),
            "application/octet-stream",
            None,
        ))
        .await;
    }

    let mut known = f
        .files
        .known_blobs(&[digest('a'), digest('b'), digest('c'), digest('d')])
        .await
        .unwrap();
    known.sort();
    assert_eq!(known, vec![digest('a'), digest('c')]);
    assert!(f.files.known_blobs(&[]).await.unwrap().is_empty());
});

/// The names of the storage steps that finished, in the order they finished.
type Log = Arc<Mutex<Vec<&'static str>>>;

/// Holds a storage step at its start until the test lets it go.
#[derive(Clone, Default)]
struct Gate {
    started: Arc<Notify>,
    release: Arc<Notify>,
}

/// A storage step that records its name in `log` when it finishes, after waiting at its
/// gate when it has one.
struct LoggedStep {
    name: &'static str,
    log: Log,
    gate: Option<Gate>,
}

impl LoggedStep {
    fn boxed(name: &'static str, log: &Log, gate: Option<&Gate>) -> Box<dyn StorageStep> {
        let (log, gate) = (log.clone(), gate.cloned());
        Box::new(Self { name, log, gate })
    }
}

#[async_trait::async_trait]
impl StorageStep for LoggedStep {
    async fn run(&self) -> DomainResult<()> {
        if let Some(gate) = &self.gate {
            gate.started.notify_one();
            gate.release.notified().await;
        }
        self.log.lock().unwrap().push(self.name);
        Ok(())
    }
}

/// Inserts `file` on a task of its own, placing its bytes with `place`.
fn spawn_insert(
    f: &Fixture,
    file: &File,
    place: Box<dyn StorageStep>,
) -> JoinHandle<DomainResult<File>> {
    let (files, file) = (f.files.clone(), file.clone());
    tokio::spawn(async move { files.insert(&file, Some(place)).await })
}

/// Collects the blob of `bytes` on a task of its own, removing them with `remove`.
fn spawn_collect(
    f: &Fixture,
    bytes: &Sha256Digest,
    remove: Box<dyn StorageStep>,
) -> JoinHandle<DomainResult<bool>> {
    let (files, bytes) = (f.files.clone(), bytes.clone());
    tokio::spawn(async move { files.collect_blob(&bytes, remove).await })
}

/// Asserts that `task` is still waiting a while after it began, for `why`.
async fn assert_waits<T>(task: &JoinHandle<T>, why: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!task.is_finished(), "{why}");
}

repo_test!(
    a_collection_waits_for_an_insert_of_the_same_bytes_and_keeps_them,
    |f| {
        let ada = f.user("Ada").await;
        let bytes = digest('a');
        let (log, gate) = (Log::default(), Gate::default());
        let file = stored_file(&ada.id, None, "a.png", &bytes, "image/png", None);
        let place = LoggedStep::boxed("place", &log, Some(&gate));
        let inserting = spawn_insert(&f, &file, place);
        gate.started.notified().await;

        let remove = LoggedStep::boxed("remove", &log, None);
        let collecting = spawn_collect(&f, &bytes, remove);
        assert_waits(&collecting, "the collection must wait for the blob row").await;
        gate.release.notify_one();

        inserting.await.unwrap().unwrap();
        assert!(!collecting.await.unwrap().unwrap());
        assert_eq!(*log.lock().unwrap(), vec!["place"]);
        assert!(f.files.find(&file.id).await.unwrap().is_some());
        assert_eq!(known(&f, &bytes).await, vec![bytes]);
    }
);

repo_test!(
    an_insert_waits_for_a_collection_of_the_same_bytes_and_places_them_again,
    |f| {
        let ada = f.user("Ada").await;
        let bytes = digest('a');
        let old = f
            .file(&ada.id, None, "old.png", 'a', "image/png", None)
            .await;
        f.files.delete(&old.id, None).await.unwrap();
        let (log, gate) = (Log::default(), Gate::default());
        let remove = LoggedStep::boxed("remove", &log, Some(&gate));
        let collecting = spawn_collect(&f, &bytes, remove);
        gate.started.notified().await;

        let file = stored_file(&ada.id, None, "new.png", &bytes, "image/png", None);
        let place = LoggedStep::boxed("place", &log, None);
        let inserting = spawn_insert(&f, &file, place);
        assert_waits(&inserting, "the insert must wait for the blob row").await;
        gate.release.notify_one();

        assert!(collecting.await.unwrap().unwrap());
        let stored = inserting.await.unwrap().unwrap();
        assert_eq!(*log.lock().unwrap(), vec!["remove", "place"]);
        assert_eq!(stored.preview, PreviewState::Pending);
        assert_eq!(f.files.find(&file.id).await.unwrap(), Some(stored));
        assert_eq!(known(&f, &bytes).await, vec![bytes]);
    }
);
