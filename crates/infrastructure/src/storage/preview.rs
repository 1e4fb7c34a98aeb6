//! [`ImagePreviewRenderer`]: thumbnails of JPEG, PNG, GIF and WebP images with the `image`
//! crate.
//!
//! Decoding is the dangerous part: a small file can claim billions of pixels. So the
//! renderer reads the dimensions from the header first and refuses images with more
//! pixels than allowed, refuses images whose decoded pixels would take more than
//! [`MAX_DECODER_ALLOC`] (a 16-bit image takes twice the bytes of an 8-bit one), sets the
//! decoder's own limits as a further guard, decodes on the blocking pool, and renders
//! only a few images at a time (one by default).
//!
//! That budget is this adapter's: a semaphore whose permits are the
//! [`RenderTurn`]s callers wait for before reading an image, so the bytes of images
//! waiting for their turn are not in memory either.
//!
//! Thumbnails are turned upright as the image's EXIF orientation says (phone cameras
//! store photos sideways and say so there).

use std::{io::Cursor, sync::Arc};

use async_trait::async_trait;
use bytes::Bytes;
use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    metadata::Orientation,
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
};
use tokio::sync::Semaphore;

use domain::{
    file::{PreviewRenderer, RenderTurn, Thumbnail},
    DomainError, DomainResult,
};

/// Images with more pixels than this get no preview by default (40 megapixels: a large
/// photo; decoded as RGBA it takes 160 MB).
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

/// Renders at the same time by default. Renders are rare (once per image blob) and each
/// may hold the image's bytes and a decoded image of up to [`MAX_DECODER_ALLOC`] bytes,
/// so one at a time.
pub const DEFAULT_CONCURRENT_RENDERS: usize = 1;

/// The most the pixels of one decoded image may take, and the most any one decoder may
/// allocate: a 40-megapixel RGBA image fits, a 16-bit RGBA one of 34 megapixels or more
/// does not.
pub const MAX_DECODER_ALLOC: u64 = 256 * 1024 * 1024;

/// No format we decode allows a side longer than this (PNG allows more, but then the
/// pixel limit refuses it anyway).
const MAX_IMAGE_SIDE: u32 = 65_535;

const JPEG_QUALITY: u8 = 80;

/// Thumbnails are JPEG for JPEG sources and PNG (which keeps transparency) for the rest;
/// GIFs show their first frame.
#[derive(Clone, Debug)]
pub struct ImagePreviewRenderer {
    renders: Arc<Semaphore>,
    max_pixels: u64,
}

impl ImagePreviewRenderer {
    /// At most `concurrent_renders` images read and decoded at once (at least one; see
    /// [`DEFAULT_CONCURRENT_RENDERS`]), none with more than `max_pixels` pixels.
    pub fn new(concurrent_renders: usize, max_pixels: u64) -> Self {
        Self {
            renders: Arc::new(Semaphore::new(concurrent_renders.max(1))),
            max_pixels,
        }
    }
}

impl Default for ImagePreviewRenderer {
    fn default() -> Self {
        Self::new(DEFAULT_CONCURRENT_RENDERS, DEFAULT_MAX_PIXELS)
    }
}

#[async_trait]
impl PreviewRenderer for ImagePreviewRenderer {
    async fn turn(&self) -> DomainResult<RenderTurn> {
        let permit = self.renders.clone().acquire_owned().await.map_err(|err| {
            DomainError::Unexpected(anyhow::Error::new(err).context("the renderer was closed"))
        })?;
        Ok(RenderTurn::holding(permit))
    }

    #[tracing::instrument(skip(self, turn, image), fields(bytes = image.len()))]
    async fn render(
        &self,
        turn: &RenderTurn,
        image: Bytes,
        max_side: u32,
    ) -> DomainResult<Option<Thumbnail>> {
        let max_pixels = self.max_pixels;
        let turn = turn.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            // A share of the turn held by the blocking task, so a cancelled request does
            // not let more renders run than allowed while this one finishes.
            let _turn = turn;
            render(&image, max_side, max_pixels)
        })
        .await;
        match rendered {
            Ok(Ok(thumbnail)) => Ok(thumbnail),
            Ok(Err(reason)) => {
                tracing::debug!(%reason, "no preview");
                Ok(None)
            }
            Err(err) => {
                // A decoder that panics on hostile input is still just "no preview".
                tracing::warn!(error = %err, "the image decoder failed");
                Ok(None)
            }
        }
    }
}

/// Why an image got no preview, for the logs.
type NoPreview = String;

fn render(image: &[u8], max_side: u32, max_pixels: u64) -> Result<Option<Thumbnail>, NoPreview> {
    let header = ImageReader::new(Cursor::new(image))
        .with_guessed_format()
        .map_err(|err| err.to_string())?;
    let Some(format) = header.format() else {
        return Err("not an image format we know".into());
    };
    let (width, height) = header.into_dimensions().map_err(|err| err.to_string())?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(format!("{width}x{height} is more than {max_pixels} pixels"));
    }

    let mut reader = ImageReader::with_format(Cursor::new(image), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(|err| err.to_string())?;
    // What `ImageReader::decode` does and `into_decoder` does not: count the decoded
    // pixels against the allowance, leaving the decoder only what remains of it.
    let pixel_bytes = decoder.total_bytes();
    limits.reserve(pixel_bytes).map_err(|_| {
        format!("{width}x{height} takes {pixel_bytes} bytes decoded, more than {MAX_DECODER_ALLOC}")
    })?;
    decoder.set_limits(limits).map_err(|err| err.to_string())?;
    // Unreadable EXIF is no reason to refuse a preview: show the image as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(|err| err.to_string())?;

    let mut thumbnail = shrink(decoded, max_side.max(1));
    // Turned after shrinking: the bound is a square, so the result is the same as
    // turning first, without a copy of the full-size image.
    thumbnail.apply_orientation(orientation);
    let mut bytes = Vec::new();
    let content_type = if format == ImageFormat::Jpeg {
        let encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        // JPEG has no alpha: `write_with_encoder` converts to what the encoder takes.
        thumbnail
            .write_with_encoder(encoder)
            .map_err(|err| err.to_string())?;
        "image/jpeg"
    } else {
        thumbnail
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(|err| err.to_string())?;
        "image/png"
    };
    Ok(Some(Thumbnail {
        bytes: Bytes::from(bytes),
        content_type,
    }))
}

/// Fits the image in a `max_side` square keeping its aspect ratio; never enlarges.
fn shrink(image: DynamicImage, max_side: u32) -> DynamicImage {
    if image.width() <= max_side && image.height() <= max_side {
        return image;
    }
    // Area averaging: good for large reductions and far cheaper than a windowed filter
    // on a 40-megapixel source.
    image.thumbnail(max_side, max_side)
}
