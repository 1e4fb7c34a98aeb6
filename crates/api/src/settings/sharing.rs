//! Share links: where readers reach this server.

use url::Url;

use super::reader::Reader;

#[derive(Clone, Debug, Default)]
pub struct SharingSettings {
    /// `PUBLIC_BASE_URL`: the scheme, host and optional path prefix clients use, for the
    /// `url` of a new share link. `None`: taken from the request that makes the link.
    pub public_base_url: Option<Url>,
}

pub(super) fn read(r: &mut Reader<'_>) -> SharingSettings {
    let public_base_url = r
        .optional("PUBLIC_BASE_URL")
        .and_then(|raw| match Url::parse(&raw) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.query().is_none()
                    && url.fragment().is_none() =>
            {
                Some(url)
            }
            _ => {
                r.fail(
                    "PUBLIC_BASE_URL",
                    format!("{raw:?} is not an http(s) URL without query or fragment"),
                );
                None
            }
        });
    SharingSettings { public_base_url }
}

impl SharingSettings {
    /// The absolute URL of `path` (which starts with `/api/v1`) under the public base URL,
    /// keeping the base's own path prefix.
    pub fn public_url(&self, path: &str) -> Option<String> {
        self.public_base_url
            .as_ref()
            .map(|base| format!("{}{path}", base.as_str().trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::settings::Settings;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<String>, Vec<String>> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(&vars)
            .map(|s| s.sharing.public_url("/api/v1/shared/xs_t"))
            .map_err(|e| e.0)
    }

    #[test]
    fn without_a_base_url_links_are_built_from_the_request() {
        assert_eq!(read(&[]), Ok(None));
    }

    #[test]
    fn a_base_url_keeps_its_path_prefix() {
        assert_eq!(
            read(&[("PUBLIC_BASE_URL", "https://chat.example.com/xl/")]),
            Ok(Some(
                "https://chat.example.com/xl/api/v1/shared/xs_t".to_owned()
            ))
        );
    }

    #[test]
    fn a_base_url_must_be_http_without_query() {
        for bad in [
            "chat.example.com",
            "ftp://x.example",
            "https://x.example/?a=1",
        ] {
            let result = read(&[("PUBLIC_BASE_URL", bad)]);
            assert!(
                result
                    .as_ref()
                    .is_err_and(|errors| errors.iter().any(|e| e.starts_with("PUBLIC_BASE_URL:"))),
                "{bad}: {result:?}"
            );
        }
    }
}
