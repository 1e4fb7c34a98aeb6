//! Thumbnails: which files have one, when they are rendered and how they are kept.

use super::*;
use crate::test_fixtures::assert_not_found;

// ---------------------------------------------------------------------------------------
// preview

/// A caller and their PNG, changed by `edit`.
fn owner_and(edit: impl FnOnce(&mut File)) -> (Principal, File) {
    let caller = principal(Role::User);
    let mut file = png_of(&caller.user.id);
    edit(&mut file);
    (caller, file)
}

fn thumbnail() -> Thumbnail {
    Thumbnail {
        bytes: Bytes::from_static(b"small png"),
        content_type: "image/png",
    }
}

/// A renderer that gives one turn (its budget is its own, tested with the adapter).
fn renderer_with_a_turn() -> MockPreviewRenderer {
    let mut previews = MockPreviewRenderer::new();
    previews
        .expect_turn()
        .times(1)
        .returning(|| Ok(RenderTurn::holding(())));
    previews
}

/// A renderer that gives one turn and renders once, answering `rendered` (`None`: the
/// image cannot be previewed).
fn renderer_answering(rendered: Option<Thumbnail>) -> MockPreviewRenderer {
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .times(1)
        .returning(move |_, _, _| Ok(rendered.clone()));
    previews
}

impl Ports {
    /// Asks the service built from these ports for `file`'s preview, as `caller`.
    async fn preview(self, caller: &Principal, file: &File) -> DomainResult<Thumbnail> {
        self.service().preview(caller, &file.id).await
    }
}

#[tokio::test]
async fn files_without_a_previewable_image_have_no_preview_and_nothing_is_rendered() {
    type Edit = fn(&mut File);
    let cases: [(&str, Edit); 4] = [
        // Declared image/png, but the bytes did not say so.
        ("bytes that are not an image", |file| {
            file.detected_type = None
        }),
        ("a PDF", |file| {
            file.detected_type = Some(media("application/pdf"))
        }),
        ("an external image", |file| {
            file.source =
                FileSource::External(ExternalUrl::parse("https://cdn.example.com/a.png").unwrap());
        }),
        ("an image already marked unavailable", |file| {
            file.preview = PreviewState::Unavailable
        }),
    ];
    for (case, edit) in cases {
        let (caller, file) = owner_and(edit);
        let mut files = holding(&file);
        files.expect_set_preview().never();

        // Blob store and renderer have no expectations: touching them panics.
        let err = with_files(files)
            .preview(&caller, &file.id)
            .await
            .unwrap_err();

        assert!(is_not_found(&err, "preview"), "{case}: {err:?}");
    }
}

/// A blob store holding the stored preview of `file`.
fn with_stored_preview(file: &File) -> MockBlobStore {
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read_preview()
        .withf({
            let digest = digest(file);
            move |asked| asked == &digest
        })
        .times(1)
        .returning(|_| Ok(Some(Bytes::from_static(b"kept"))));
    blobs.expect_read().never();
    blobs.expect_write_preview().never();
    blobs
}

#[tokio::test]
async fn a_ready_preview_is_served_from_storage_without_rendering() {
    let (caller, file) = owner_and(|file| file.preview = PreviewState::Ready);
    let mut files = holding(&file);
    files.expect_set_preview().never();
    let mut previews = MockPreviewRenderer::new();
    previews.expect_render().never();

    let got = Ports {
        files,
        blobs: with_stored_preview(&file),
        previews,
        ..Ports::default()
    }
    .preview(&caller, &file)
    .await
    .unwrap();

    assert_eq!(
        got,
        Thumbnail {
            bytes: Bytes::from_static(b"kept"),
            content_type: "image/png",
        }
    );
}

#[tokio::test]
async fn the_stored_preview_of_a_jpeg_is_served_as_jpeg_and_of_other_images_as_png() {
    for (detected, served_as) in [
        ("image/jpeg", "image/jpeg"),
        ("image/gif", "image/png"),
        ("image/webp", "image/png"),
    ] {
        let (caller, file) = owner_and(|file| {
            file.detected_type = Some(media(detected));
            file.preview = PreviewState::Ready;
        });

        let got = Ports {
            files: holding(&file),
            blobs: with_stored_preview(&file),
            ..Ports::default()
        }
        .preview(&caller, &file)
        .await
        .unwrap();

        assert_eq!(got.content_type, served_as, "{detected}");
    }
}

/// A blob store whose `file` reads as two chunks and that expects a thumbnail written.
fn rendering_source(file: &File, written: Option<Bytes>) -> MockBlobStore {
    let mut blobs = MockBlobStore::new();
    // Looked for once more after the render turn: nobody made it meanwhile.
    blobs.expect_read_preview().times(1).returning(|_| Ok(None));
    blobs
        .expect_read()
        .withf({
            let digest = digest(file);
            move |asked, range| asked == &digest && range.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(body(chunks(&[b"full ", b"image"]))));
    match written {
        Some(bytes) => {
            blobs
                .expect_write_preview()
                .withf({
                    let digest = digest(file);
                    move |asked, image| asked == &digest && image == &bytes
                })
                .times(1)
                .returning(|_, _| Ok(()));
        }
        None => {
            blobs.expect_write_preview().never();
        }
    }
    blobs
}

/// A file repository holding `file` that expects its preview marked `state` once.
fn marking(file: &File, state: PreviewState) -> MockFileRepository {
    let mut files = holding(file);
    let digest = digest(file);
    files
        .expect_set_preview()
        .withf(move |asked, set| asked == &digest && *set == state)
        .times(1)
        .returning(|_, _| Ok(()));
    files
}

/// Ports in which `file` is read and rendered, with `rendered` as the result: a thumbnail
/// is kept and the preview marked ready, or (`None`) the preview is marked unavailable.
fn rendering(file: &File, rendered: Option<Thumbnail>) -> Ports {
    let state = match rendered {
        Some(_) => PreviewState::Ready,
        None => PreviewState::Unavailable,
    };
    Ports {
        files: marking(file, state),
        blobs: rendering_source(file, rendered.as_ref().map(|made| made.bytes.clone())),
        previews: renderer_answering(rendered),
        ..Ports::default()
    }
}

#[tokio::test]
async fn a_pending_preview_is_rendered_at_512_px_kept_and_marked_ready() {
    let (caller, file) = owner_and(|_| ());
    let files = marking(&file, PreviewState::Ready);
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .withf(|_, image, max_side| image == &Bytes::from_static(b"full image") && *max_side == 512)
        .times(1)
        .returning(|_, _, _| Ok(Some(thumbnail())));

    let got = Ports {
        files,
        blobs: rendering_source(&file, Some(thumbnail().bytes)),
        previews,
        ..Ports::default()
    }
    .preview(&caller, &file)
    .await
    .unwrap();

    assert_eq!(got, thumbnail());
    assert_eq!(PREVIEW_MAX_SIDE, 512);
}

/// Records when the render turn it is held by is given back.
struct TurnWatch(Arc<AtomicBool>);

impl Drop for TurnWatch {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_image_is_read_after_the_render_turn_comes_and_the_turn_is_kept_until_stored() {
    let (caller, file) = owner_and(|_| ());
    let given_back = Arc::new(AtomicBool::new(false));
    let still_held = {
        let given_back = given_back.clone();
        move || !given_back.load(Ordering::SeqCst)
    };
    let mut order = Sequence::new();
    let mut previews = MockPreviewRenderer::new();
    let mut blobs = MockBlobStore::new();
    let mut files = holding(&file);
    previews
        .expect_turn()
        .times(1)
        .in_sequence(&mut order)
        .returning({
            let given_back = given_back.clone();
            move || Ok(RenderTurn::holding(TurnWatch(given_back.clone())))
        });
    blobs
        .expect_read_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(None));
    blobs
        .expect_read()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(body(chunks(&[b"image"]))));
    previews
        .expect_render()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(Some(thumbnail())));
    blobs
        .expect_write_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning({
            let still_held = still_held.clone();
            move |_, _| {
                assert!(
                    still_held(),
                    "the turn was given back before the thumbnail was kept"
                );
                Ok(())
            }
        });
    files
        .expect_set_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning(move |_, _| {
            assert!(
                still_held(),
                "the turn was given back before the preview was marked"
            );
            Ok(())
        });

    Ports {
        files,
        blobs,
        previews,
        ..Ports::default()
    }
    .preview(&caller, &file)
    .await
    .unwrap();

    assert!(
        given_back.load(Ordering::SeqCst),
        "the turn was never given back"
    );
}

#[tokio::test]
async fn a_preview_made_while_waiting_for_the_render_turn_is_served_without_rendering() {
    let (caller, file) = owner_and(|_| ());
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read_preview()
        .times(1)
        .returning(|_| Ok(Some(Bytes::from_static(b"made by another request"))));
    blobs.expect_read().never();
    let mut previews = renderer_with_a_turn();
    previews.expect_render().never();

    let got = Ports {
        files: holding(&file),
        blobs,
        previews,
        ..Ports::default()
    }
    .preview(&caller, &file)
    .await
    .unwrap();

    assert_eq!(got.bytes, Bytes::from_static(b"made by another request"));
}

#[tokio::test]
async fn a_ready_preview_whose_bytes_are_missing_is_rendered_again() {
    let (caller, file) = owner_and(|file| file.preview = PreviewState::Ready);
    let mut ports = rendering(&file, Some(thumbnail()));
    ports
        .blobs
        .expect_read_preview()
        .times(1)
        .returning(|_| Ok(None));

    let got = ports.preview(&caller, &file).await.unwrap();

    assert_eq!(got, thumbnail());
}

#[tokio::test]
async fn an_image_the_renderer_cannot_preview_is_marked_unavailable_and_not_found() {
    let (caller, file) = owner_and(|_| ());

    assert_not_found(
        rendering(&file, None).preview(&caller, &file).await,
        "preview",
    );
}

#[tokio::test]
async fn an_image_above_the_preview_source_limit_is_marked_unavailable_without_being_read() {
    let (caller, file) = owner_and(|file| file.size_bytes = LIMITS.max_preview_source_bytes + 1);
    let files = marking(&file, PreviewState::Unavailable);
    let mut blobs = MockBlobStore::new();
    blobs.expect_read_preview().returning(|_| Ok(None));
    blobs.expect_read().never();
    blobs.expect_write_preview().never();
    let mut previews = renderer_with_a_turn();
    previews.expect_render().never();

    assert_not_found(
        Ports {
            files,
            blobs,
            previews,
            ..Ports::default()
        }
        .preview(&caller, &file)
        .await,
        "preview",
    );
}

#[tokio::test]
async fn an_image_of_exactly_the_preview_source_limit_is_rendered() {
    let (caller, file) = owner_and(|file| file.size_bytes = LIMITS.max_preview_source_bytes);

    rendering(&file, Some(thumbnail()))
        .preview(&caller, &file)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stranger_cannot_see_a_files_preview_and_learns_only_that_the_file_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();

    assert_not_found(
        Ports {
            files: holding_for(&file, &caller, false),
            ..Ports::default()
        }
        .preview(&caller, &file)
        .await,
        "file",
    );
}
