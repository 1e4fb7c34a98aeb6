//! `Content-Disposition` for a stored file's bytes: inline or as an attachment, under its name.

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use domain::file::File;

/// `inline` for what a browser may show, `attachment` for active content; the name in
/// ASCII for old clients and in UTF-8 (RFC 6266 / RFC 8187) for the rest.
pub(crate) fn disposition(file: &File) -> ContentDisposition {
    ContentDisposition {
        disposition: if file.is_active() {
            DispositionType::Attachment
        } else {
            DispositionType::Inline
        },
        parameters: named(file.filename.as_str()),
    }
}

/// A download to save under `name` (an account's export).
pub(crate) fn attachment(name: &str) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: named(name),
    }
}

fn named(name: &str) -> Vec<DispositionParam> {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(ascii.clone())];
    if ascii != name {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: name.as_bytes().to_vec(),
        }));
    }
    parameters
}
