//! `ImagePreviewRenderer` on images made here: every supported format, GIF frames, small
//! images, and images that must not be decoded.

use std::{
    io::Cursor,
    time::{Duration, Instant},
};

use bytes::Bytes;
use domain::file::{PreviewRenderer, Thumbnail};
use futures_util::FutureExt;
use image::{
    codecs::{gif::GifEncoder, jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder},
    Delay, DynamicImage, Frame, GenericImageView, ImageEncoder, ImageFormat, Rgb, RgbImage, Rgba,
    RgbaImage,
};
use infrastructure::storage::{ImagePreviewRenderer, DEFAULT_MAX_PIXELS, MAX_DECODER_ALLOC};

const MAX_SIDE: u32 = 512;

/// A gradient, so that a scaled thumbnail is not one colour.
fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

/// Opaque on the left half, transparent on the right.
fn with_transparency(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, _| {
        Rgba([200, 30, 30, if x < width / 2 { 255 } else { 0 }])
    })
}

fn jpeg(image: &RgbImage) -> Bytes {
    let mut out = Vec::new();
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    out.into()
}

fn png(image: &DynamicImage) -> Bytes {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    out.into()
}

fn webp(image: &RgbaImage) -> Bytes {
    let mut out = Vec::new();
    image
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .unwrap();
    out.into()
}

/// An animated GIF whose first frame is red and second blue.
fn two_frame_gif(width: u32, height: u32) -> Bytes {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
        let frame = |colour: [u8; 4]| {
            Frame::from_parts(
                RgbaImage::from_pixel(width, height, Rgba(colour)),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            )
        };
        encoder
            .encode_frames([frame([255, 0, 0, 255]), frame([0, 0, 255, 255])])
            .unwrap();
    }
    out.into()
}

/// Waits for a turn, as the file service does, and renders.
async fn render(renderer: &ImagePreviewRenderer, image: Bytes) -> Option<Thumbnail> {
    let turn = renderer.turn().await.unwrap();
    renderer.render(&turn, image, MAX_SIDE).await.unwrap()
}

/// The thumbnail the default renderer makes of `image`, which must get one.
async fn thumbnail_of(image: Bytes) -> Thumbnail {
    let rendered = render(&ImagePreviewRenderer::default(), image).await;
    rendered.expect("a preview")
}

/// The thumbnail of `image`, checked to be a `content_type` image of `dimensions`, decoded
/// for the test's own checks.
async fn thumbnail_as(image: Bytes, content_type: &str, dimensions: (u32, u32)) -> DynamicImage {
    let thumbnail = thumbnail_of(image).await;
    assert_eq!(thumbnail.content_type, content_type);
    let decoded = decode(&thumbnail);
    assert_eq!(decoded.dimensions(), dimensions);
    decoded
}

/// Asserts that what began at `started` took less than `seconds`.
fn assert_within(started: Instant, seconds: u64) {
    let took = started.elapsed();
    assert!(took < Duration::from_secs(seconds), "{took:?}");
}

/// Decodes a thumbnail, checking that its bytes are what its type says.
fn decode(thumbnail: &Thumbnail) -> DynamicImage {
    let expected = match thumbnail.content_type {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        other => panic!("unexpected thumbnail type {other}"),
    };
    assert_eq!(image::guess_format(&thumbnail.bytes).unwrap(), expected);
    image::load_from_memory_with_format(&thumbnail.bytes, expected).unwrap()
}

#[tokio::test]
async fn a_jpeg_photo_gets_a_jpeg_thumbnail_that_fits_and_keeps_its_shape() {
    let decoded = thumbnail_as(jpeg(&photo(1200, 600)), "image/jpeg", (512, 256)).await;
    // Still a left-to-right gradient: the thumbnail is the picture, scaled.
    let (left, right) = (decoded.get_pixel(5, 128), decoded.get_pixel(506, 128));
    assert!(left[0] < 30 && right[0] > 225, "{left:?} {right:?}");
}

/// An Exif block (a little-endian TIFF structure) with one tag: Orientation.
fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes()); // the first IFD follows
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]); // the value field is four bytes
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff
}

/// A JPEG as phone cameras write it: the pixels as the sensor saw them, and an EXIF tag
/// saying how to turn them.
fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Bytes {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
    encoder
        .set_exif_metadata(exif_orientation(orientation))
        .unwrap();
    image.write_with_encoder(encoder).unwrap();
    out.into()
}

#[tokio::test]
async fn a_photo_is_turned_upright_as_its_exif_orientation_says() {
    // 6: the stored pixels must be turned 90° clockwise to be upright.
    let bytes = jpeg_with_orientation(&photo(1200, 600), 6);
    let stored = image::load_from_memory(&bytes).unwrap();
    assert_eq!(stored.dimensions(), (1200, 600), "stored sideways");

    let thumbnail = thumbnail_of(bytes).await;
    let decoded = decode(&thumbnail);
    assert_eq!(decoded.dimensions(), (256, 512));
    // Turned clockwise, the stored left edge (no red) is at the top.
    let (top, bottom) = (decoded.get_pixel(128, 5), decoded.get_pixel(128, 506));
    assert!(top[0] < 30 && bottom[0] > 225, "{top:?} {bottom:?}");
}

#[tokio::test]
async fn a_photo_whose_exif_says_upright_is_left_as_it_is() {
    let bytes = jpeg_with_orientation(&photo(1200, 600), 1);
    let thumbnail = thumbnail_of(bytes).await;
    assert_eq!(decode(&thumbnail).dimensions(), (512, 256));
}

#[tokio::test]
async fn a_png_gets_a_png_thumbnail_that_keeps_transparency() {
    let source = DynamicImage::ImageRgba8(with_transparency(1200, 600));
    let decoded = thumbnail_as(png(&source), "image/png", (512, 256)).await;
    assert!(decoded.color().has_alpha());
    assert_eq!(decoded.get_pixel(10, 10)[3], 255);
    assert_eq!(decoded.get_pixel(500, 10)[3], 0);
}

#[tokio::test]
async fn a_webp_gets_a_png_thumbnail() {
    let decoded = thumbnail_as(webp(&with_transparency(1200, 600)), "image/png", (512, 256)).await;
    assert_eq!(decoded.get_pixel(500, 10)[3], 0, "transparency survives");
}

#[tokio::test]
async fn a_gif_gets_a_png_thumbnail_of_its_first_frame() {
    let decoded = thumbnail_as(two_frame_gif(800, 200), "image/png", (512, 128)).await;
    let pixel = decoded.get_pixel(256, 64);
    assert!(
        pixel[0] > 200 && pixel[2] < 50,
        "the first (red) frame, got {pixel:?}"
    );
}

#[tokio::test]
async fn a_portrait_image_is_bounded_by_its_height() {
    let source = DynamicImage::ImageRgb8(photo(300, 900));
    let thumbnail = thumbnail_of(png(&source)).await;
    let (width, height) = decode(&thumbnail).dimensions();
    assert_eq!(height, 512);
    // 300 / 900 * 512 = 170.7
    assert!((170..=171).contains(&width), "{width}x{height}");
}

#[tokio::test]
async fn small_images_are_not_enlarged() {
    let source = DynamicImage::ImageRgb8(photo(100, 50));
    let thumbnail = thumbnail_of(png(&source)).await;
    assert_eq!(decode(&thumbnail).dimensions(), (100, 50));
}

#[tokio::test]
async fn images_with_more_pixels_than_allowed_get_no_preview() {
    let renderer = ImagePreviewRenderer::new(1, 10_000);
    let too_many = DynamicImage::ImageRgb8(photo(101, 100));
    assert_eq!(render(&renderer, png(&too_many)).await, None);
    let just_enough = DynamicImage::ImageRgb8(photo(100, 100));
    assert!(render(&renderer, png(&just_enough)).await.is_some());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG of `width` x `height` pixels of `bit_depth` and `colour_type`, not interlaced,
/// whose one data chunk is `idat`.
fn png_file(width: u32, height: u32, bit_depth: u8, colour_type: u8, idat: &[u8]) -> Bytes {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out.into()
}

/// A well-formed PNG of a few dozen bytes whose header claims `width` x `height` RGB
/// pixels.
fn png_claiming(width: u32, height: u32) -> Bytes {
    // 8-bit RGB, and a zlib stream of a few zero bytes.
    let zeros = [0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01];
    png_file(width, height, 8, 2, &zeros)
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100);
    // The header is what the guard reads: it really claims that many pixels.
    let claimed = image::ImageReader::new(Cursor::new(&bomb[..]))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    assert_eq!(claimed, (100_000, 100_000));

    let started = Instant::now();
    assert_eq!(render(&ImagePreviewRenderer::default(), bomb).await, None);
    assert_within(started, 2);
}

#[tokio::test]
async fn the_decoder_limits_refuse_a_bomb_even_without_a_pixel_limit() {
    let renderer = ImagePreviewRenderer::new(1, u64::MAX);
    let started = Instant::now();
    // Wider than any side the decoder accepts.
    assert_eq!(render(&renderer, png_claiming(100_000, 10)).await, None);
    // Sides it accepts, but 10.8 GB of pixels: more than the decoder may allocate.
    assert_eq!(render(&renderer, png_claiming(60_000, 60_000)).await, None);
    assert_within(started, 2);
    // A real image of only 70,000 pixels, but wider than the decoders' side limit.
    let strip = DynamicImage::ImageRgb8(photo(70_000, 1));
    assert_eq!(render(&renderer, png(&strip)).await, None);
}

/// Deflate data of `len` zero bytes in one block with the fixed codes: a zero, then
/// copies of 258 bytes from one back, so that it takes about 13 bits per 258 bytes.
fn deflate_zeros(len: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        count: u32,
    }
    impl Bits {
        /// `n` bits of `value`, least significant first (as deflate packs them).
        fn put(&mut self, value: u32, n: u32) {
            self.acc |= u64::from(value) << self.count;
            self.count += n;
            while self.count >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.count -= 8;
            }
        }
        /// A Huffman code, which deflate packs most significant bit first.
        fn code(&mut self, code: u32, n: u32) {
            self.put(code.reverse_bits() >> (32 - n), n);
        }
    }
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        count: 0,
    };
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed codes
    let literal_zero = |bits: &mut Bits| bits.code(0x30, 8);
    literal_zero(&mut bits);
    let rest = len - 1;
    for _ in 0..rest / 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285, no extra bits)
        bits.code(0, 5); // distance 1 (code 0, no extra bits)
    }
    for _ in 0..rest % 258 {
        literal_zero(&mut bits);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // to the byte boundary
    bits.out
}

/// A valid 16-bit RGBA PNG, all transparent black, of only about 1/150 of its decoded
/// size.
fn rgba16_png_of_zeros(width: u32, height: u32) -> Bytes {
    // Each row: filter type 0, then 8 bytes a pixel.
    let raw_len = u64::from(height) * (1 + u64::from(width) * 8);
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(deflate_zeros(raw_len));
    // Adler-32 of zeros: a stays 1, b adds it once a byte.
    let adler = ((raw_len % 65_521) as u32) << 16 | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());
    png_file(width, height, 16, 6, &zlib) // 16-bit RGBA
}

#[tokio::test]
async fn a_16_bit_image_too_big_to_decode_gets_no_preview() {
    // Within the pixel limit, but 288 MB decoded: more than a decoder may allocate.
    let (width, height) = (6000, 6000);
    assert!(u64::from(width) * u64::from(height) <= DEFAULT_MAX_PIXELS);
    assert!(u64::from(width) * u64::from(height) * 8 > MAX_DECODER_ALLOC);
    let renderer = ImagePreviewRenderer::default();

    // The same kind of image, small, is a good one.
    let small = render(&renderer, rgba16_png_of_zeros(64, 48))
        .await
        .expect("a preview");
    assert_eq!(decode(&small).dimensions(), (64, 48));

    let started = Instant::now();
    let thumbnail = render(&renderer, rgba16_png_of_zeros(width, height)).await;
    assert!(
        thumbnail.is_none(),
        "rendered, to a {:?}",
        thumbnail.map(|t| decode(&t).dimensions())
    );
    assert_within(started, 5);
}

#[tokio::test]
async fn garbage_and_unsupported_bytes_get_no_preview() {
    let renderer = ImagePreviewRenderer::default();
    let full = jpeg(&photo(64, 64));
    let cases: Vec<(&str, Bytes)> = vec![
        ("empty", Bytes::new()),
        ("text", Bytes::from_static(b"this is not an image at all")),
        (
            "random",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
        ),
        (
            "a PNG signature and nothing else",
            Bytes::from_static(b"\x89PNG\r\n\x1a\n"),
        ),
        (
            "a JPEG cut after its header",
            full.slice(..full.len().min(200)),
        ),
        (
            "a BMP (not enabled)",
            Bytes::from_static(b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0"),
        ),
        (
            "an SVG",
            Bytes::from_static(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ),
    ];
    for (what, bytes) in cases {
        assert_eq!(render(&renderer, bytes).await, None, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_renders_than_the_limit_all_complete_in_turn() {
    let renderer = ImagePreviewRenderer::new(1, 40_000_000);
    let image = jpeg(&photo(600, 300));
    let renders = (0..6).map(|_| render(&renderer, image.clone()));
    for thumbnail in futures_util::future::join_all(renders).await {
        assert_eq!(decode(&thumbnail.unwrap()).dimensions(), (512, 256));
    }
}

#[tokio::test]
async fn renders_take_turns_one_at_a_time_by_default() {
    let renderer = ImagePreviewRenderer::default();
    let first = renderer.turn().await.unwrap();
    assert!(
        renderer.turn().now_or_never().is_none(),
        "a second render was let in beside the first"
    );
    drop(first);
    assert!(renderer.turn().now_or_never().is_some());
}

#[tokio::test]
async fn how_many_renders_run_at_once_is_the_renderers_to_size_and_at_least_one() {
    let renderer = ImagePreviewRenderer::new(2, DEFAULT_MAX_PIXELS);
    let two = [
        renderer.turn().await.unwrap(),
        renderer.turn().await.unwrap(),
    ];
    assert!(renderer.turn().now_or_never().is_none());
    drop(two);

    let renderer = ImagePreviewRenderer::new(0, DEFAULT_MAX_PIXELS);
    let one = renderer.turn().await.unwrap();
    assert!(renderer.turn().now_or_never().is_none());
    drop(one);
}

#[tokio::test]
async fn a_render_whose_caller_gives_up_keeps_its_turn_until_the_decode_ends() {
    let renderer = ImagePreviewRenderer::default();
    let turn = renderer.turn().await.unwrap();
    {
        let mut rendering =
            std::pin::pin!(renderer.render(&turn, rgba16_png_of_zeros(1000, 1000), MAX_SIDE));
        // Polled once: the decode is handed to the blocking pool. Then the caller leaves.
        assert!(rendering.as_mut().now_or_never().is_none());
    }
    drop(turn);
    assert!(
        renderer.turn().now_or_never().is_none(),
        "a new render was let in while the abandoned one still decodes"
    );
    let next = tokio::time::timeout(Duration::from_secs(30), renderer.turn()).await;
    assert!(next.is_ok(), "the turn never came back");
}
