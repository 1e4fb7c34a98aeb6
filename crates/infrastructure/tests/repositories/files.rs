//! `SeaFileRepository` against the `FileRepository` contract: records, blob rows and the
//! locking protocol between storing a file and collecting its bytes.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::{
    event::EventKind,
    file::{
        ContentTypeFilter, ExternalUrl, File, FileChanges, FileFilter, FileName, FileRepository,
        FileSource, MediaType, PreviewState, Sha256Digest, StorageStep,
    },
    id::{FileId, ThreadId, UserId},
    json_object::Metadata,
    message::MessageRepository,
    pagination::{Cursor, Limit, PageRequest},
    thread::{MemberRole, ThreadRepository},
    time,
    user::UserRepository,
    DomainError, DomainResult,
};
use infrastructure::{
    backend_test, database::Db, repositories::SeaFileRepository, testing::TestDatabase,
};
use serde_json::json;
use tokio::sync::Notify;

use crate::{
    count, create_thread, digest, event, file_repository, insert_file, insert_user,
    message_attaching, message_repository, stored_file, thread_repository, user_repository,
    CountingStep,
};

/// An external file of `owner`, in `thread` when given.
fn external_file(
    owner: &UserId,
    thread: Option<&ThreadId>,
    name: &str,
    content_type: &str,
) -> File {
    let now = time::now();
    File {
        id: FileId::generate(),
        owner_id: owner.clone(),
        thread_id: thread.cloned(),
        filename: FileName::parse(name).unwrap(),
        declared_type: MediaType::parse(content_type).unwrap(),
        detected_type: None,
        size_bytes: 99,
        source: FileSource::External(ExternalUrl::parse("https://cdn.example.com/a.pdf").unwrap()),
        preview: PreviewState::Unavailable,
        metadata: Metadata::default(),
        created_at: now,
        updated_at: now,
    }
}

async fn add_member(conn: &Db, thread: &ThreadId, user: &UserId, by: &UserId) {
    thread_repository(conn)
        .add_member(
            thread,
            user,
            MemberRole::Viewer,
            time::now(),
            &event(EventKind::MemberAdded, thread, by),
        )
        .await
        .unwrap();
}

/// Posts a message in `thread` attaching `attached`.
async fn attach(conn: &Db, thread: &ThreadId, author: &UserId, attached: &[&File]) {
    let message = message_attaching(thread, author, "see attached", attached);
    message_repository(conn)
        .insert(&message, &event(EventKind::MessageCreated, thread, author))
        .await
        .unwrap();
}

/// Every page of what `user` sees with `filter`, `limit` at a time.
async fn all_visible(
    files: &SeaFileRepository,
    user: &UserId,
    filter: &FileFilter,
    limit: i64,
) -> Vec<Vec<FileId>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = files
            .list_visible(
                user,
                filter,
                &PageRequest {
                    limit: Limit::parse(Some(limit)).unwrap(),
                    after,
                },
            )
            .await
            .unwrap();
        pages.push(page.items.into_iter().map(|f| f.id).collect());
        after = page.next;
        if after.is_none() || pages.len() > 50 {
            return pages;
        }
    }
}

async fn visible(files: &SeaFileRepository, user: &UserId, filter: &FileFilter) -> Vec<FileId> {
    all_visible(files, user, filter, 100).await.concat()
}

fn newest_first(files: &[&File]) -> Vec<FileId> {
    let mut ids: Vec<FileId> = files.iter().map(|f| f.id.clone()).collect();
    ids.sort();
    ids.reverse();
    ids
}

backend_test!(
    stored_and_external_files_round_trip_with_their_blobs_preview_state,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Pictures").await;
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

        let stored = files.insert(&photo, Some(place.boxed())).await.unwrap();

        assert_eq!(place.runs(), 1);
        assert_eq!(stored, photo);
        assert_eq!(stored.preview, PreviewState::Pending);
        assert_eq!(stored.content_type().as_str(), "image/png");
        assert!(stored.has_preview());
        assert_eq!(files.find(&photo.id).await.unwrap(), Some(photo.clone()));
        assert_eq!(files.find(&FileId::generate()).await.unwrap(), None);

        files
            .set_preview(&bytes, PreviewState::Ready)
            .await
            .unwrap();
        let found = files.find(&photo.id).await.unwrap().unwrap();
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
        let stored_again = files.insert(&again, Some(place.boxed())).await.unwrap();
        assert_eq!(place.runs(), 2);
        assert_eq!(stored_again.preview, PreviewState::Ready);
        assert_eq!(count(&conn, "blobs").await, 1);

        files
            .set_preview(&bytes, PreviewState::Unavailable)
            .await
            .unwrap();
        let found = files.find(&again.id).await.unwrap().unwrap();
        assert_eq!(found.preview, PreviewState::Unavailable);
        assert!(!found.has_preview());

        let link = external_file(&ada.id, Some(&thread.id), "spec.pdf", "application/pdf");
        let stored_link = files.insert(&link, None).await.unwrap();
        assert_eq!(stored_link, link);
        let found = files.find(&link.id).await.unwrap().unwrap();
        assert_eq!(found, link);
        assert_eq!(found.preview, PreviewState::Unavailable);
        assert_eq!(found.sha256(), None);
        assert_eq!(count(&conn, "blobs").await, 1);

        // Marking a blob nobody knows is not an error.
        files
            .set_preview(&digest('f'), PreviewState::Ready)
            .await
            .unwrap();
    }
);

backend_test!(
    an_insert_whose_bytes_cannot_be_placed_stores_nothing,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let fresh = stored_file(
            &ada.id,
            None,
            "a.bin",
            &digest('b'),
            "application/octet-stream",
            None,
        );
        let place = CountingStep::failing();

        let err = files.insert(&fresh, Some(place.boxed())).await.unwrap_err();

        assert!(matches!(err, DomainError::Unexpected(_)), "{err:?}");
        assert_eq!(place.runs(), 1);
        assert_eq!(files.find(&fresh.id).await.unwrap(), None);
        assert_eq!(count(&conn, "files").await, 0);
        assert_eq!(count(&conn, "blobs").await, 0);

        // Bytes already known keep their row and its state.
        let kept = insert_file(
            &files,
            &stored_file(
                &ada.id,
                None,
                "b.png",
                &digest('c'),
                "image/png",
                Some("image/png"),
            ),
        )
        .await;
        files
            .set_preview(&digest('c'), PreviewState::Ready)
            .await
            .unwrap();
        let twin = stored_file(&ada.id, None, "twin.png", &digest('c'), "image/png", None);
        assert!(files.insert(&twin, Some(place.boxed())).await.is_err());
        assert_eq!(files.find(&twin.id).await.unwrap(), None);
        assert_eq!(
            files.known_blobs(&[digest('c')]).await.unwrap(),
            vec![digest('c')]
        );
        let found = files.find(&kept.id).await.unwrap().unwrap();
        assert_eq!(found.preview, PreviewState::Ready);
    }
);

backend_test!(
    inserting_into_a_missing_thread_is_thread_not_found_and_places_no_bytes,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
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
        let err = files
            .insert(&stored, Some(place.boxed()))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
        assert_eq!(place.runs(), 0);

        let link = external_file(&ada.id, Some(&missing), "b.pdf", "application/pdf");
        let err = files.insert(&link, None).await.unwrap_err();
        assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");

        assert_eq!(count(&conn, "files").await, 0);
        assert_eq!(count(&conn, "blobs").await, 0);
    }
);

backend_test!(
    a_file_is_readable_through_its_thread_and_threads_that_attach_it,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let cyd = insert_user(&users, "cyd@example.com", "Cyd").await;
        let eve = insert_user(&users, "eve@example.com", "Eve").await;
        let home = create_thread(&threads, &ada.id, "Home").await;
        let elsewhere = create_thread(&threads, &ada.id, "Elsewhere").await;
        add_member(&conn, &home.id, &bob.id, &ada.id).await;
        add_member(&conn, &elsewhere.id, &cyd.id, &ada.id).await;
        let file = insert_file(
            &files,
            &stored_file(
                &ada.id,
                Some(&home.id),
                "a.png",
                &digest('a'),
                "image/png",
                None,
            ),
        )
        .await;
        let private = insert_file(
            &files,
            &stored_file(&ada.id, None, "p.png", &digest('b'), "image/png", None),
        )
        .await;

        let readable = |id: FileId, user: UserId| {
            let files = &files;
            async move { files.readable_through_threads(&id, &user).await.unwrap() }
        };
        assert!(readable(file.id.clone(), bob.id.clone()).await);
        assert!(!readable(file.id.clone(), cyd.id.clone()).await);
        assert!(!readable(file.id.clone(), eve.id.clone()).await);
        // The owner's own access is the access check's business, not this query's.
        assert!(!readable(private.id.clone(), ada.id.clone()).await);

        attach(&conn, &elsewhere.id, &ada.id, &[&file, &private]).await;
        assert!(readable(file.id.clone(), cyd.id.clone()).await);
        assert!(readable(private.id.clone(), cyd.id.clone()).await);
        assert!(!readable(private.id.clone(), bob.id.clone()).await);
        assert!(!readable(file.id.clone(), eve.id.clone()).await);
        assert!(!readable(FileId::generate(), ada.id.clone()).await);
    }
);

backend_test!(
    list_visible_shows_owned_thread_and_attached_files_once_newest_first,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let shared = create_thread(&threads, &bob.id, "Shared").await;
        let bobs = create_thread(&threads, &bob.id, "Bob's").await;
        add_member(&conn, &shared.id, &ada.id, &bob.id).await;

        let owned = insert_file(
            &files,
            &stored_file(
                &ada.id,
                None,
                "mine.png",
                &digest('1'),
                "image/png",
                Some("image/png"),
            ),
        )
        .await;
        let in_thread = insert_file(
            &files,
            &stored_file(
                &bob.id,
                Some(&shared.id),
                "notes.txt",
                &digest('2'),
                "text/plain; charset=utf-8",
                None,
            ),
        )
        .await;
        let attached = insert_file(
            &files,
            &stored_file(
                &bob.id,
                Some(&bobs.id),
                "photo.jpg",
                &digest('3'),
                "image/jpeg",
                Some("image/jpeg"),
            ),
        )
        .await;
        let hidden = insert_file(
            &files,
            &stored_file(
                &bob.id,
                Some(&bobs.id),
                "secret.png",
                &digest('4'),
                "image/png",
                None,
            ),
        )
        .await;
        let link = insert_file(
            &files,
            &external_file(&bob.id, None, "spec.pdf", "application/pdf"),
        )
        .await;
        // Owned and attached in a thread of hers: listed once.
        let owned_and_attached = insert_file(
            &files,
            &stored_file(
                &ada.id,
                Some(&bobs.id),
                "both.gif",
                &digest('5'),
                "image/gif",
                None,
            ),
        )
        .await;
        attach(
            &conn,
            &shared.id,
            &bob.id,
            &[&attached, &owned_and_attached],
        )
        .await;
        attach(&conn, &bobs.id, &bob.id, &[&hidden, &link]).await;

        let everything = FileFilter::default();
        let expected = newest_first(&[&owned, &in_thread, &attached, &owned_and_attached]);
        assert_eq!(visible(&files, &ada.id, &everything).await, expected);
        let pages = all_visible(&files, &ada.id, &everything, 3).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(pages.concat(), expected);
        let pages = all_visible(&files, &ada.id, &everything, 1).await;
        assert_eq!(pages.concat(), expected);
        assert_eq!(pages.concat().into_iter().collect::<HashSet<_>>().len(), 4);
        assert_eq!(
            visible(&files, &bob.id, &everything).await,
            newest_first(&[&in_thread, &attached, &hidden, &link, &owned_and_attached])
        );

        // A thread's files: its own and those attached in it.
        let of_shared = FileFilter {
            thread_id: Some(shared.id.clone()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&files, &ada.id, &of_shared).await,
            newest_first(&[&in_thread, &attached, &owned_and_attached])
        );
        let of_bobs = FileFilter {
            thread_id: Some(bobs.id.clone()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&files, &bob.id, &of_bobs).await,
            newest_first(&[&attached, &hidden, &link, &owned_and_attached])
        );
        // With a thread, the service has checked that the caller reads it (an ADMIN may
        // read a thread without being a member): the list is the thread's, whoever asks.
        assert_eq!(
            visible(&files, &ada.id, &of_bobs).await,
            visible(&files, &bob.id, &of_bobs).await
        );

        let typed = |raw: &str| FileFilter {
            content_type: Some(ContentTypeFilter::parse(raw).unwrap()),
            ..FileFilter::default()
        };
        assert_eq!(
            visible(&files, &ada.id, &typed("image/*")).await,
            newest_first(&[&owned, &attached, &owned_and_attached])
        );
        assert_eq!(
            visible(&files, &ada.id, &typed("IMAGE/PNG")).await,
            newest_first(&[&owned])
        );
        assert_eq!(
            visible(&files, &ada.id, &typed("text/plain")).await,
            newest_first(&[&in_thread])
        );
        assert_eq!(
            visible(&files, &bob.id, &typed("application/pdf")).await,
            newest_first(&[&link])
        );
        // The type served, not the type declared: sniffed as JPEG, declared as PNG.
        let renamed = insert_file(
            &files,
            &stored_file(
                &ada.id,
                None,
                "x.png",
                &digest('6'),
                "image/png",
                Some("image/jpeg"),
            ),
        )
        .await;
        assert_eq!(
            visible(&files, &ada.id, &typed("image/jpeg")).await,
            newest_first(&[&attached, &renamed])
        );
        // LIKE wildcards in a family match themselves only.
        assert!(visible(&files, &ada.id, &typed("i_age/*")).await.is_empty());
        let both = FileFilter {
            thread_id: Some(shared.id.clone()),
            content_type: Some(ContentTypeFilter::parse("image/*").unwrap()),
        };
        assert_eq!(
            visible(&files, &ada.id, &both).await,
            newest_first(&[&attached, &owned_and_attached])
        );

        let stranger = insert_user(&users, "eve@example.com", "Eve").await;
        assert!(visible(&files, &stranger.id, &everything).await.is_empty());

        for bad in ["nonsense", "msg_0195f0a0b1c27d3e8f9a0b1c2d3e4f50"] {
            let err = files
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

backend_test!(
    update_renames_and_changes_metadata_with_and_without_a_precondition,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let file = insert_file(
            &files,
            &stored_file(&ada.id, None, "draft.txt", &digest('a'), "text/plain", None),
        )
        .await;

        let renamed_at = time::after(file.updated_at);
        let renamed = files
            .update(
                &file.id,
                &FileChanges {
                    filename: Some(FileName::parse("final.txt").unwrap()),
                    metadata: None,
                },
                Some(file.updated_at),
                renamed_at,
            )
            .await
            .unwrap();
        assert_eq!(renamed.filename.as_str(), "final.txt");
        assert_eq!(renamed.metadata, file.metadata);
        assert_eq!(renamed.updated_at, renamed_at);
        assert_eq!(renamed.created_at, file.created_at);
        assert_eq!(files.find(&file.id).await.unwrap(), Some(renamed.clone()));

        let tagged_at = time::after(renamed_at);
        let metadata = Metadata::parse(json!({"reviewed": true})).unwrap();
        let tagged = files
            .update(
                &file.id,
                &FileChanges {
                    filename: None,
                    metadata: Some(metadata.clone()),
                },
                None,
                tagged_at,
            )
            .await
            .unwrap();
        assert_eq!(tagged.filename.as_str(), "final.txt");
        assert_eq!(tagged.metadata, metadata);
        assert_eq!(tagged.updated_at, tagged_at);

        let stale = files
            .update(
                &file.id,
                &FileChanges {
                    filename: Some(FileName::parse("lost.txt").unwrap()),
                    metadata: None,
                },
                Some(renamed_at),
                time::after(tagged_at),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(stale, DomainError::PreconditionFailed),
            "{stale:?}"
        );
        assert_eq!(files.find(&file.id).await.unwrap(), Some(tagged));

        for expected in [None, Some(file.updated_at)] {
            let err = files
                .update(
                    &FileId::generate(),
                    &FileChanges::default(),
                    expected,
                    time::now(),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("file")), "{err:?}");
        }
    }
);

backend_test!(
    deleting_a_file_removes_it_from_the_messages_that_attach_it,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Drafts").await;
        let doomed = insert_file(
            &files,
            &stored_file(
                &ada.id,
                Some(&thread.id),
                "a.png",
                &digest('a'),
                "image/png",
                None,
            ),
        )
        .await;
        let kept = insert_file(
            &files,
            &external_file(&ada.id, None, "b.pdf", "application/pdf"),
        )
        .await;
        let message = message_attaching(&thread.id, &ada.id, "two files", &[&doomed, &kept]);
        messages
            .insert(
                &message,
                &event(EventKind::MessageCreated, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(count(&conn, "message_attachments").await, 2);

        let err = files
            .delete(&doomed.id, Some(time::after(doomed.updated_at)))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert_eq!(count(&conn, "message_attachments").await, 2);

        files
            .delete(&doomed.id, Some(doomed.updated_at))
            .await
            .unwrap();

        assert_eq!(files.find(&doomed.id).await.unwrap(), None);
        let found = messages.find(&message.id).await.unwrap().unwrap();
        assert_eq!(found.attachments, vec![kept.summary()]);
        assert_eq!(count(&conn, "message_attachments").await, 1);
        // The bytes' row stays until the blob is collected.
        assert_eq!(
            files.known_blobs(&[digest('a')]).await.unwrap(),
            vec![digest('a')]
        );

        files.delete(&kept.id, None).await.unwrap();
        let found = messages.find(&message.id).await.unwrap().unwrap();
        assert!(found.attachments.is_empty());
        for gone in [&doomed.id, &kept.id, &FileId::generate()] {
            let err = files.delete(gone, None).await.unwrap_err();
            assert!(matches!(err, DomainError::NotFound("file")), "{err:?}");
        }
    }
);

backend_test!(a_file_outlives_its_thread, |db: TestDatabase| async move {
    let conn = db.connect().await;
    let users = user_repository(&conn);
    let threads = thread_repository(&conn);
    let files = file_repository(&conn);
    let ada = insert_user(&users, "ada@example.com", "Ada").await;
    let thread = create_thread(&threads, &ada.id, "Short-lived").await;
    let file = insert_file(
        &files,
        &stored_file(
            &ada.id,
            Some(&thread.id),
            "a.png",
            &digest('a'),
            "image/png",
            None,
        ),
    )
    .await;
    attach(&conn, &thread.id, &ada.id, &[&file]).await;

    threads
        .delete(
            &thread.id,
            None,
            &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
        )
        .await
        .unwrap();

    let found = files.find(&file.id).await.unwrap().unwrap();
    assert_eq!(found.thread_id, None);
    assert_eq!(count(&conn, "message_attachments").await, 0);
    assert_eq!(
        visible(&files, &ada.id, &FileFilter::default()).await,
        vec![file.id]
    );
});

backend_test!(
    collect_blob_removes_bytes_only_when_no_record_references_them,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bytes = digest('a');
        let first = insert_file(
            &files,
            &stored_file(&ada.id, None, "a.png", &bytes, "image/png", None),
        )
        .await;
        let second = insert_file(
            &files,
            &stored_file(&ada.id, None, "b.png", &bytes, "image/png", None),
        )
        .await;
        let remove = CountingStep::default();

        files.delete(&first.id, None).await.unwrap();
        assert!(!files.collect_blob(&bytes, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 0);
        assert_eq!(
            files
                .known_blobs(std::slice::from_ref(&bytes))
                .await
                .unwrap(),
            vec![bytes.clone()]
        );
        assert!(files.unreferenced_blobs(10).await.unwrap().is_empty());

        files.delete(&second.id, None).await.unwrap();
        assert_eq!(
            files.unreferenced_blobs(10).await.unwrap(),
            vec![bytes.clone()]
        );
        // A step that fails keeps the row, for a later try.
        let failing = CountingStep::failing();
        assert!(files.collect_blob(&bytes, failing.boxed()).await.is_err());
        assert_eq!(failing.runs(), 1);
        assert_eq!(
            files
                .known_blobs(std::slice::from_ref(&bytes))
                .await
                .unwrap(),
            vec![bytes.clone()]
        );

        assert!(files.collect_blob(&bytes, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 1);
        assert!(files
            .known_blobs(std::slice::from_ref(&bytes))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(count(&conn, "blobs").await, 0);

        // Bytes the store has and the records never knew (an upload that never became a
        // file) are collected too, leaving no row behind.
        let stray = digest('e');
        assert!(files.collect_blob(&stray, remove.boxed()).await.unwrap());
        assert_eq!(remove.runs(), 2);
        assert_eq!(count(&conn, "blobs").await, 0);
    }
);

backend_test!(
    blobs_of_a_deleted_owner_become_unreferenced,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&threads, &bob.id, "Bob's").await;
        let adas = insert_file(
            &files,
            &stored_file(&ada.id, None, "a.png", &digest('a'), "image/png", None),
        )
        .await;
        insert_file(
            &files,
            &stored_file(&ada.id, None, "b.png", &digest('b'), "image/png", None),
        )
        .await;
        // Bob keeps his own record of the same bytes as one of Ada's.
        insert_file(
            &files,
            &stored_file(&bob.id, None, "b.png", &digest('b'), "image/png", None),
        )
        .await;
        insert_file(
            &files,
            &stored_file(&bob.id, None, "c.png", &digest('c'), "image/png", None),
        )
        .await;
        let message = message_attaching(&thread.id, &bob.id, "Ada's file", &[&adas]);
        messages
            .insert(
                &message,
                &event(EventKind::MessageCreated, &thread.id, &bob.id),
            )
            .await
            .unwrap();
        assert!(files.unreferenced_blobs(10).await.unwrap().is_empty());

        users.delete(&ada.id, None).await.unwrap();

        assert_eq!(
            files.unreferenced_blobs(10).await.unwrap(),
            vec![digest('a')]
        );
        assert_eq!(count(&conn, "files").await, 2);
        let found = messages.find(&message.id).await.unwrap().unwrap();
        assert!(found.attachments.is_empty());
        assert_eq!(
            files.unreferenced_blobs(0).await.unwrap(),
            Vec::<Sha256Digest>::new()
        );
    }
);

backend_test!(
    known_blobs_names_the_digests_with_a_row,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = file_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        for seed in ['a', 'c'] {
            insert_file(
                &files,
                &stored_file(
                    &ada.id,
                    None,
                    "x.bin",
                    &digest(seed),
                    "application/octet-stream",
                    None,
                ),
            )
            .await;
        }

        let mut known = files
            .known_blobs(&[digest('a'), digest('b'), digest('c'), digest('d')])
            .await
            .unwrap();
        known.sort();
        assert_eq!(known, vec![digest('a'), digest('c')]);
        assert!(files.known_blobs(&[]).await.unwrap().is_empty());
    }
);

/// A storage step that says when it started and then waits to be let go, recording its
/// name in a shared log when it finishes.
struct GatedStep {
    name: &'static str,
    started: Arc<Notify>,
    release: Arc<Notify>,
    log: Arc<Mutex<Vec<&'static str>>>,
}

#[async_trait::async_trait]
impl StorageStep for GatedStep {
    async fn run(&self) -> DomainResult<()> {
        self.started.notify_one();
        self.release.notified().await;
        self.log.lock().unwrap().push(self.name);
        Ok(())
    }
}

/// A step that records its name at once.
struct LoggedStep {
    name: &'static str,
    log: Arc<Mutex<Vec<&'static str>>>,
}

#[async_trait::async_trait]
impl StorageStep for LoggedStep {
    async fn run(&self) -> DomainResult<()> {
        self.log.lock().unwrap().push(self.name);
        Ok(())
    }
}

backend_test!(
    a_collection_waits_for_an_insert_of_the_same_bytes_and_keeps_them,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = Arc::new(file_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bytes = digest('a');
        let log = Arc::new(Mutex::new(Vec::new()));
        let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let file = stored_file(&ada.id, None, "a.png", &bytes, "image/png", None);
        let place = GatedStep {
            name: "place",
            started: started.clone(),
            release: release.clone(),
            log: log.clone(),
        };
        let inserting = tokio::spawn({
            let (files, file) = (files.clone(), file.clone());
            async move { files.insert(&file, Some(Box::new(place))).await }
        });
        started.notified().await;

        let collecting = tokio::spawn({
            let (files, bytes, log) = (files.clone(), bytes.clone(), log.clone());
            async move {
                let remove = LoggedStep {
                    name: "remove",
                    log,
                };
                files.collect_blob(&bytes, Box::new(remove)).await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !collecting.is_finished(),
            "the collection must wait for the blob row"
        );
        release.notify_one();

        inserting.await.unwrap().unwrap();
        assert!(!collecting.await.unwrap().unwrap());
        assert_eq!(*log.lock().unwrap(), vec!["place"]);
        assert!(files.find(&file.id).await.unwrap().is_some());
        assert_eq!(
            files
                .known_blobs(std::slice::from_ref(&bytes))
                .await
                .unwrap(),
            vec![bytes]
        );
    }
);

backend_test!(
    an_insert_waits_for_a_collection_of_the_same_bytes_and_places_them_again,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let files = Arc::new(file_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bytes = digest('a');
        let old = insert_file(
            &files,
            &stored_file(&ada.id, None, "old.png", &bytes, "image/png", None),
        )
        .await;
        files.delete(&old.id, None).await.unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let remove = GatedStep {
            name: "remove",
            started: started.clone(),
            release: release.clone(),
            log: log.clone(),
        };
        let collecting = tokio::spawn({
            let (files, bytes) = (files.clone(), bytes.clone());
            async move { files.collect_blob(&bytes, Box::new(remove)).await }
        });
        started.notified().await;

        let file = stored_file(&ada.id, None, "new.png", &bytes, "image/png", None);
        let inserting = tokio::spawn({
            let (files, file, log) = (files.clone(), file.clone(), log.clone());
            async move {
                let place = LoggedStep { name: "place", log };
                files.insert(&file, Some(Box::new(place))).await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !inserting.is_finished(),
            "the insert must wait for the blob row"
        );
        release.notify_one();

        assert!(collecting.await.unwrap().unwrap());
        let stored = inserting.await.unwrap().unwrap();
        assert_eq!(*log.lock().unwrap(), vec!["remove", "place"]);
        assert_eq!(stored.preview, PreviewState::Pending);
        assert_eq!(files.find(&file.id).await.unwrap(), Some(stored));
        assert_eq!(
            files
                .known_blobs(std::slice::from_ref(&bytes))
                .await
                .unwrap(),
            vec![bytes]
        );
    }
);
