//! Renaming and deleting files: only the owner changes, the owner or an ADMIN deletes.

use super::*;
use crate::test_fixtures::{assert_forbidden, assert_not_found, assert_precondition_failed};

fn rename() -> FileChanges {
    FileChanges {
        filename: Some(FileName::parse("dog.png").unwrap()),
        metadata: None,
    }
}

/// What the repository returns after `changes` at `now`.
fn changed(file: &File, changes: &FileChanges, now: time::Timestamp) -> File {
    File {
        filename: changes
            .filename
            .clone()
            .unwrap_or_else(|| file.filename.clone()),
        metadata: changes
            .metadata
            .clone()
            .unwrap_or_else(|| file.metadata.clone()),
        updated_at: now,
        ..file.clone()
    }
}

/// A caller, a PNG of their own and a file repository in which it can be found.
fn own_png() -> (Principal, File, MockFileRepository) {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let files = holding(&file);
    (caller, file, files)
}

/// Expects one update of `file` whose arguments pass `check`, answered with the change
/// applied.
fn expect_update(
    files: &mut MockFileRepository,
    file: &File,
    check: impl Fn(&FileId, &FileChanges, &Option<time::Timestamp>, &time::Timestamp) -> bool
        + Send
        + 'static,
) {
    let file = file.clone();
    files
        .expect_update()
        .withf(check)
        .times(1)
        .returning(move |_, changes, _, now| Ok(changed(&file, changes, now)));
}

#[tokio::test]
async fn a_reader_through_threads_may_not_change_the_file() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, true);
    files.expect_update().never();

    assert_forbidden(
        with_files(files)
            .update(&caller, &file.id, rename(), &Precondition::None)
            .await,
    );
}

#[tokio::test]
async fn a_reader_through_threads_may_not_delete_the_file() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, true);
    files.expect_delete().never();
    files.expect_collect_blob().never();

    assert_forbidden(
        with_files(files)
            .delete(&caller, &file.id, &Precondition::None)
            .await,
    );
}

// ---------------------------------------------------------------------------------------
// update

#[tokio::test]
async fn a_stale_if_match_fails_the_update_and_writes_nothing() {
    let (caller, file, mut files) = own_png();
    files.expect_update().never();

    assert_precondition_failed(
        with_files(files)
            .update(&caller, &file.id, rename(), &stale())
            .await,
    );
}

#[tokio::test]
async fn an_update_without_changes_writes_nothing_and_returns_the_file() {
    let (caller, file, mut files) = own_png();
    files.expect_update().never();

    let got = with_files(files)
        .update(
            &caller,
            &file.id,
            FileChanges::default(),
            &if_match(file.etag()),
        )
        .await
        .unwrap();

    assert_eq!(got, file);
}

#[tokio::test]
async fn an_update_without_if_match_moves_the_version_forward_unconditionally() {
    let (caller, file, mut files) = own_png();
    expect_update(&mut files, &file, {
        let (id, old) = (file.id.clone(), file.updated_at);
        move |asked, changes, expected, now| {
            asked == &id && changes == &rename() && expected.is_none() && *now > old
        }
    });

    let updated = with_files(files)
        .update(&caller, &file.id, rename(), &Precondition::None)
        .await
        .unwrap();

    assert_eq!(updated.filename.as_str(), "dog.png");
    assert_ne!(updated.etag(), file.etag());
}

#[tokio::test]
async fn an_update_with_a_matching_if_match_is_conditional_on_the_version_read() {
    let (caller, file, mut files) = own_png();
    expect_update(&mut files, &file, {
        let old = file.updated_at;
        move |_, _, expected, now| *expected == Some(old) && *now > old
    });

    with_files(files)
        .update(&caller, &file.id, rename(), &if_match(file.etag()))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_update_moves_the_version_forward_even_when_the_stored_one_is_ahead_of_the_clock() {
    let caller = principal(Role::User);
    // Written by a server whose clock runs an hour fast.
    let file = File {
        updated_at: time::now() + ChronoDuration::hours(1),
        ..png_of(&caller.user.id)
    };
    let mut files = holding(&file);
    expect_update(&mut files, &file, {
        let old = file.updated_at;
        move |_, _, _, now| *now > old
    });

    with_files(files)
        .update(&caller, &file.id, rename(), &Precondition::None)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// delete

#[tokio::test]
async fn deleting_a_stored_file_removes_the_record_then_collects_its_bytes() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let step: CapturedStep = Arc::default();
    let mut seq = Sequence::new();
    let mut files = holding(&file);
    files
        .expect_delete()
        .withf({
            let id = file.id.clone();
            move |asked, expected| asked == &id && expected.is_none()
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .withf({
            let digest = digest(&file);
            move |asked, _| asked == &digest
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning({
            let step = step.clone();
            move |_, remove| {
                *step.lock().unwrap() = Some(remove);
                Ok(true)
            }
        });
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_delete()
        .withf({
            let digest = digest(&file);
            move |asked| asked == &digest
        })
        .times(1)
        .returning(|_| Ok(()));

    Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap();

    // The step handed to the repository removes exactly this file's bytes.
    run(&step).await.unwrap();
}

#[tokio::test]
async fn a_delete_with_a_matching_if_match_is_conditional_on_the_version_read() {
    let (caller, file, mut files) = own_png();
    files
        .expect_delete()
        .withf({
            let old = file.updated_at;
            move |_, expected| *expected == Some(old)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .times(1)
        .returning(|_, _| Ok(false));

    with_files(files)
        .delete(&caller, &file.id, &if_match(file.etag()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_if_match_fails_the_delete_and_removes_nothing() {
    let (caller, file, mut files) = own_png();
    files.expect_delete().never();
    files.expect_collect_blob().never();

    assert_precondition_failed(with_files(files).delete(&caller, &file.id, &stale()).await);
}

#[tokio::test]
async fn a_failure_to_collect_the_bytes_does_not_fail_the_delete() {
    let (caller, file, mut files) = own_png();
    files.expect_delete().times(1).returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .times(1)
        .returning(|_, _| Err(DomainError::Conflict("blob store down")));

    let deleted = with_files(files)
        .delete(&caller, &file.id, &Precondition::None)
        .await;

    assert!(deleted.is_ok(), "{deleted:?}");
}

#[tokio::test]
async fn a_failure_to_delete_the_record_is_returned_and_collects_nothing() {
    let (caller, file, mut files) = own_png();
    files
        .expect_delete()
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("file")));
    files.expect_collect_blob().never();

    assert_not_found(
        with_files(files)
            .delete(&caller, &file.id, &Precondition::None)
            .await,
        "file",
    );
}

#[tokio::test]
async fn deleting_an_external_file_never_collects_bytes() {
    let caller = principal(Role::User);
    let file = external_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_delete().times(1).returning(|_, _| Ok(()));
    files.expect_collect_blob().never();

    with_files(files)
        .delete(&caller, &file.id, &Precondition::None)
        .await
        .unwrap();
}
