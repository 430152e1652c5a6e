//! The head of an incoming request, as every handler sees it before any body byte is read.
//!
//! Adapters build a [`RequestHead`] first, let the core decide from it alone whether the
//! request is admitted (route, method, credentials) and how many body bytes it may send, and
//! only then read the body. An unauthenticated client therefore never makes an instance
//! buffer anything.

/// Method, path (with its query, if any) and headers (names in any case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn new(method: &str, path: &str, headers: Vec<(String, String)>) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
        }
    }

    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The path without its query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The query string, empty when there is none.
    pub fn query(&self) -> &str {
        self.path.split_once('?').map_or("", |(_, q)| q)
    }

    /// `Content-Length` as declared by the client, if it parses.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
    }
}

/// First value of a header in a list, by case-insensitive name.
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or ""
/// when there is none.
pub fn bearer_token(authorization: Option<&str>) -> &str {
    authorization
        .map(str::trim)
        .and_then(|h| {
            let (scheme, rest) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .unwrap_or("")
}

/// Why an outbound exchange failed below HTTP (adapters classify their host's errors so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    Timeout,
    Connect,
    TooLarge,
    Other,
}

/// A URL split the way wasi-http wants it: scheme, authority, path-with-query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub https: bool,
    pub authority: &'a str,
    pub path_and_query: &'a str,
}

/// Splits an `http(s)://authority/path` URL; `None` for anything else.
pub fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let (authority, path_and_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (!authority.is_empty()).then_some(UrlParts {
        https,
        authority,
        path_and_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_splits_route_and_query_and_finds_headers_in_any_case() {
        let h = RequestHead::new(
            "PUT",
            "/admin/models/x?offset=5",
            vec![("Content-Length".into(), " 12 ".into())],
        );
        assert_eq!(h.route(), "/admin/models/x");
        assert_eq!(h.query(), "offset=5");
        assert_eq!(h.content_length(), Some(12));
        assert_eq!(h.header("content-length"), Some(" 12 "));
        assert_eq!(RequestHead::new("GET", "/a", vec![]).query(), "");
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token(Some("Bearer abc")), "abc");
        assert_eq!(bearer_token(Some("  bearer   abc  ")), "abc");
        assert_eq!(bearer_token(Some("Basic abc")), "");
        assert_eq!(bearer_token(Some("Bearer")), "");
        assert_eq!(bearer_token(None), "");
    }
}

/// `%XX` escapes decoded (a path segment, an RFC 5987 value); `None` for a bad escape or bytes
/// that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A request as an adapter received it, for the cores that take a whole body. `headers`
/// names may be in any case.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Path, optionally with a query (ignored).
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Request<'_> {
    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(self.headers, name)
    }
}
