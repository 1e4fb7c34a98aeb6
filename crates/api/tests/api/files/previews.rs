//! Previews, and a decompression bomb that must not become one.

use super::*;

// ---------------------------------------------------------------------------------------
// A decompression bomb: a valid PNG claiming 50,000 x 50,000 pixels in about 2 MB
// ---------------------------------------------------------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Deflate bits, least significant first; Huffman codes most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
        self.bits(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman block of a literal 0 followed by
/// copies of length 258 at distance 1 (13 bits per 258 bytes).
fn zlib_zeros(n: u64) -> Vec<u8> {
    const LITERAL_ZERO: u32 = 0b0011_0000; // 8 bits
    const LENGTH_258: u32 = 0b1100_0101; // code 285, 8 bits, no extra bits
    let mut bits = BitWriter::default();
    bits.bits(1, 1); // BFINAL
    bits.bits(1, 2); // BTYPE = fixed Huffman
    bits.code(LITERAL_ZERO, 8);
    let mut left = n - 1;
    while left >= 258 {
        bits.code(LENGTH_258, 8);
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(LITERAL_ZERO, 8);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    // Adler-32 of zeros: a stays 1, b adds 1 per byte.
    let adler = (((n % 65_521) as u32) << 16) | 1;
    zlib.extend(adler.to_be_bytes());
    zlib
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend(crc32(&checked).to_be_bytes());
}

/// A black 1-bit greyscale PNG of `side` x `side` pixels.
fn bomb_png(side: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]); // bit depth 1, greyscale, deflate, adaptive, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    let row = 1 + u64::from(side).div_ceil(8); // filter byte + packed pixels
    png_chunk(&mut png, b"IDAT", &zlib_zeros(row * u64::from(side)));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn the_hand_made_png_is_valid() {
    // A small one decodes, so the big one is a real PNG and not just a broken file.
    let small = bomb_png(300);
    let decoded = image::load_from_memory_with_format(&small, ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (300, 300));
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}

// ---------------------------------------------------------------------------------------
// 7. Previews
// ---------------------------------------------------------------------------------------

async fn assert_previewed(app: &TestApp, format: ImageFormat, declared: &str, thumbnail: &str) {
    let (_, user) = app.admin_and_user().await;
    let token = user.access_token.as_str();
    let bytes = picture(format);
    let data = upload(app, token, "picture", declared, &bytes).await;
    let id = str_of(&data, "id");
    assert_eq!(data["content_type"], json!(declared));
    assert_eq!(data["has_preview"], json!(true));
    assert_eq!(
        data["preview_url"],
        json!(format!("/api/v1/files/{id}/preview"))
    );

    let mut first = Vec::new();
    for attempt in 0..2 {
        let response = preview(app, token, id).await;
        assert_eq!(response.status(), StatusCode::OK, "preview {attempt}");
        assert_eq!(header_of(&response, "content-type"), thumbnail);
        let body = response.bytes().await.unwrap().to_vec();
        let decoded = image::load_from_memory(&body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (512, 256));
        if attempt == 0 {
            first = body;
        } else {
            assert_eq!(body, first, "the kept thumbnail is served again");
        }
    }
    // The thumbnail is kept beside the blob.
    assert!(files_under(&app.files_dir.path().join("previews"))
        .iter()
        .any(|p| p.ends_with(str_of(&data, "sha256"))));
    let again = file_data(app, token, id).await;
    assert_eq!(again["has_preview"], json!(true));
}

api_test!(a_jpeg_gets_a_512_px_jpeg_preview, |app| async move {
    assert_previewed(&app, ImageFormat::Jpeg, "image/jpeg", "image/jpeg").await;
});

api_test!(a_png_gets_a_512_px_png_preview, |app| async move {
    assert_previewed(&app, ImageFormat::Png, "image/png", "image/png").await;
});

api_test!(a_gif_gets_a_512_px_png_preview, |app| async move {
    assert_previewed(&app, ImageFormat::Gif, "image/gif", "image/png").await;
});

api_test!(a_webp_gets_a_512_px_png_preview, |app| async move {
    assert_previewed(&app, ImageFormat::WebP, "image/webp", "image/png").await;
});

api_test!(
    a_small_image_is_previewed_at_its_own_size,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(40, 30))
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let data = upload(&app, token, "tiny.png", "image/png", &bytes).await;
        let response = preview(&app, token, str_of(&data, "id")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (40, 30));
    }
);

api_test!(
    files_that_are_not_images_have_no_preview,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let text = upload(&app, token, "notes.txt", "text/plain", b"words").await;
        assert_eq!(text["has_preview"], json!(false));
        assert_eq!(text["preview_url"], Value::Null);
        assert_problem(preview(&app, token, str_of(&text, "id")).await, NOT_FOUND).await;

        // A declared image type is not enough: the bytes decide.
        let fake = upload(&app, token, "fake.png", "image/png", b"not really a png").await;
        assert_eq!(fake["has_preview"], json!(false));
        assert_problem(preview(&app, token, str_of(&fake, "id")).await, NOT_FOUND).await;

        // A truncated PNG: the header says PNG, the data is cut off.
        let mut broken = png();
        broken.truncate(100);
        let broken = upload(&app, token, "broken.png", "image/png", &broken).await;
        assert_problem(preview(&app, token, str_of(&broken, "id")).await, NOT_FOUND).await;
        assert_eq!(
            file_data(&app, token, str_of(&broken, "id")).await["has_preview"],
            json!(false)
        );

        assert_problem(preview(&app, token, UNKNOWN_FILE).await, NOT_FOUND).await;
    }
);

api_test!(
    a_decompression_bomb_gets_no_preview_and_the_server_keeps_answering,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let bomb = bomb_png(50_000);
        assert!(bomb.len() < 3 * MIB as usize, "{} bytes", bomb.len());
        let data = upload(&app, token, "bomb.png", "image/png", &bomb).await;
        let id = str_of(&data, "id");
        assert_eq!(data["content_type"], json!("image/png"));

        let started = Instant::now();
        let response = preview(&app, token, id).await;
        assert_problem(response, NOT_FOUND).await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "refusing took {:?}",
            started.elapsed()
        );
        let after = file_data(&app, token, id).await;
        assert_eq!(after["has_preview"], json!(false));
        assert_eq!(after["preview_url"], Value::Null);
        // Asking again does not try again.
        let started = Instant::now();
        assert_problem(preview(&app, token, id).await, NOT_FOUND).await;
        assert!(started.elapsed() < Duration::from_secs(2));

        let health = app.get("/health", None).await;
        assert_eq!(health.status(), StatusCode::OK);
        // The file itself is still there, byte for byte.
        let downloaded = download(&app, token, id).await;
        assert_eq!(sha256_hex(&downloaded), sha256_hex(&bomb));
    }
);
