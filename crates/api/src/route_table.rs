//! Which methods each documented path answers, read from the OpenAPI document once at
//! start-up, so that another method on a known path is a 405 naming them (RFC 9110) and
//! only an unknown path is a 404.

use utoipa::openapi::{OpenApi, PathItem};

/// The documented paths as segment patterns, each with the methods it answers.
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<&'static str>)>,
}

enum Segment {
    Literal(String),
    /// `{id}`: any one non-empty segment.
    Parameter,
}

impl RouteTable {
    pub fn from_document(document: &OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(template, item)| (pattern(template), methods(item)))
            .collect();
        Self { routes }
    }

    /// `Allow` for `path` ("GET, PATCH"), or `None` when no documented path matches it.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut allowed: Vec<&str> = Vec::new();
        for (pattern, methods) in &self.routes {
            if matches(pattern, &segments) {
                allowed.extend(methods);
            }
        }
        if allowed.is_empty() {
            return None;
        }
        allowed.sort_unstable();
        allowed.dedup();
        Some(allowed.join(", "))
    }
}

fn pattern(template: &str) -> Vec<Segment> {
    template
        .trim_end_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

fn matches(pattern: &[Segment], segments: &[&str]) -> bool {
    pattern.len() == segments.len()
        && pattern.iter().zip(segments).all(|(p, s)| match p {
            Segment::Literal(literal) => literal == s,
            Segment::Parameter => !s.is_empty(),
        })
}

fn methods(item: &PathItem) -> Vec<&'static str> {
    [
        ("DELETE", item.delete.is_some()),
        ("GET", item.get.is_some()),
        ("HEAD", item.head.is_some()),
        ("OPTIONS", item.options.is_some()),
        ("PATCH", item.patch.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("TRACE", item.trace.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::from_document(&crate::openapi::document())
    }

    #[test]
    fn a_known_path_names_its_methods() {
        assert_eq!(table().allowed("/health").as_deref(), Some("GET"));
        assert_eq!(
            table().allowed("/api/v1/threads/thr_1").as_deref(),
            Some("DELETE, GET, PATCH, PUT")
        );
        assert_eq!(
            table().allowed("/api/v1/files/fil_1/content").as_deref(),
            Some("GET, HEAD")
        );
    }

    #[test]
    fn an_unknown_path_or_an_empty_parameter_matches_nothing() {
        assert_eq!(table().allowed("/api/v1/nothing-here"), None);
        assert_eq!(table().allowed("/api/v1/threads/thr_1/nothing"), None);
        assert_eq!(table().allowed("/api/v1/threads//members"), None);
    }
}
