//! Reading a file's record, the list of files and a stored file's bytes.

use super::*;
use crate::test_fixtures::assert_not_found;

// ---------------------------------------------------------------------------------------
// get

#[tokio::test]
async fn a_stranger_cannot_see_a_file_and_learns_only_that_it_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();

    assert_not_found(
        Ports {
            files: holding_for(&file, &caller, false),
            ..Ports::default()
        }
        .service()
        .get(&caller, &file.id)
        .await,
        "file",
    );
}

// ---------------------------------------------------------------------------------------
// list and read_bytes

#[tokio::test]
async fn listing_the_files_of_a_thread_you_cannot_read_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_list_visible().never();
    let filter = FileFilter {
        thread_id: Some(thread.id.clone()),
        content_type: None,
    };

    assert_not_found(
        Ports {
            threads: where_caller_is(&caller, &thread, None),
            files,
            ..Ports::default()
        }
        .service()
        .list(&caller, &filter, &first_page())
        .await,
        "thread",
    );
}

#[tokio::test]
async fn listing_shows_what_the_caller_may_see() {
    let caller = principal(Role::User);
    let mine = png_of(&caller.user.id);
    let mut files = MockFileRepository::new();
    files
        .expect_list_visible()
        .withf({
            let me = caller.user.id.clone();
            move |user, filter, _| user == &me && filter == &FileFilter::default()
        })
        .times(1)
        .returning({
            let mine = mine.clone();
            move |_, _, _| {
                Ok(Page {
                    items: vec![mine.clone()],
                    next: None,
                })
            }
        });

    let page = with_files(files)
        .list(&caller, &FileFilter::default(), &first_page())
        .await
        .unwrap();

    assert_eq!(page.items, vec![mine]);
}

#[tokio::test]
async fn the_bytes_of_a_stored_file_are_read_by_digest_and_range() {
    let file = png_of(&UserId::generate());
    let range = ByteRange { start: 2, end: 5 };
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read()
        .withf({
            let digest = digest(&file);
            move |asked, asked_range| asked == &digest && *asked_range == Some(range)
        })
        .times(1)
        .returning(|_, _| Ok(body(chunks(&[b"ABCD"]))));

    let mut bytes = with_blobs(blobs)
        .read_bytes(&file, Some(range))
        .await
        .unwrap();

    assert_eq!(
        bytes.next().await.unwrap().unwrap(),
        Bytes::from_static(b"ABCD")
    );
}

#[tokio::test]
async fn an_external_file_has_no_bytes_here() {
    let file = external_of(&UserId::generate());

    let Err(err) = Ports::default().service().read_bytes(&file, None).await else {
        panic!("an external file has no bytes to read");
    };

    assert!(is_not_found(&err, "file content"), "{err:?}");
}
