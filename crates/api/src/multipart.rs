//! A strict `multipart/form-data` parser (RFC 7578 over RFC 2046) for OpenAI-style uploads.
//!
//! The whole body is already in memory (a Spin handler reads it under a size limit), so parts
//! borrow their bytes from it: the only allocations are the part list and the header values,
//! both bounded by [`Limits`]. Anything the official SDKs, curl and browsers never send —
//! a missing boundary, bare-LF line breaks, a part without `Content-Disposition: form-data`,
//! a body that ends before the closing delimiter — is an error, never a guess.

use crate::ApiError;

/// Bounds on what one form may make the parser allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Parts in the form (the OpenAI audio endpoints need fewer than 10).
    pub max_parts: usize,
    /// Bytes of one part's header block.
    pub max_header_bytes: usize,
    /// Bytes of one text field (a part without a filename).
    pub max_field_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_parts: 64,
            max_header_bytes: 8 * 1024,
            max_field_bytes: 64 * 1024,
        }
    }
}

/// Why a body is not an acceptable form. Messages are safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("Content-Type must be multipart/form-data, got {0:?}")]
    NotMultipart(String),
    #[error("Content-Type multipart/form-data needs a valid boundary parameter")]
    BadBoundary,
    #[error("malformed multipart body: {0}")]
    Malformed(&'static str),
    #[error("the form has more than {0} parts")]
    TooManyParts(usize),
    #[error("a part's headers are over {0} bytes")]
    HeadersTooLarge(usize),
    #[error("form field `{name}` is over {max} bytes")]
    FieldTooLarge { name: String, max: usize },
    #[error("form field `{0}` is not valid UTF-8")]
    NotUtf8(String),
}

impl MultipartError {
    /// 415 when the request is not a form at all, 400 for a broken form, 413 for a field
    /// over its limit; `param` names the offending field where there is one.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Self::NotMultipart(_) => ApiError::new(415, self.to_string())
                .with_type(crate::ErrorType::InvalidRequestError)
                .with_code("unsupported_media_type"),
            Self::FieldTooLarge { name, .. } => {
                ApiError::payload_too_large(self.to_string()).with_param(name.clone())
            }
            Self::NotUtf8(name) => ApiError::bad_request(self.to_string()).with_param(name.clone()),
            _ => ApiError::bad_request(self.to_string()).with_code("invalid_multipart"),
        }
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> Self {
        e.to_api_error()
    }
}

/// One part of a form; `data` borrows from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    /// Present for file parts (`filename=` or `filename*=`), possibly empty.
    pub filename: Option<String>,
    /// The part's own `Content-Type`, lower-cased, without parameters.
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

impl Part<'_> {
    /// The value as text: UTF-8 is required for fields, checked when the form is parsed.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.data).ok()
    }
}

/// A parsed form, parts in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form<'a> {
    pub parts: Vec<Part<'a>>,
}

impl<'a> Form<'a> {
    /// The first part named `name`.
    pub fn part(&self, name: &str) -> Option<&Part<'a>> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// Every part named `name` (repeated fields such as `timestamp_granularities[]`).
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Part<'a>> + 's {
        self.parts.iter().filter(move |p| p.name == name)
    }

    /// The first text field named `name` (a part without a filename).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.part(name)
            .filter(|p| p.filename.is_none())
            .and_then(Part::text)
    }
}

/// The boundary of a `multipart/form-data` Content-Type, quoted or not.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        let shown: String = essence.chars().take(100).collect();
        return Err(MultipartError::NotMultipart(shown));
    }
    let raw = split_params(&content_type[content_type.find(';').unwrap_or(content_type.len())..])
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .ok_or(MultipartError::BadBoundary)?;
    // RFC 2046 §5.1.1: 1–70 characters from bchars, not ending in a space.
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if raw.is_empty() || raw.len() > 70 || raw.ends_with(' ') || !raw.chars().all(ok_char) {
        return Err(MultipartError::BadBoundary);
    }
    Ok(raw)
}

/// Parses `body` as the form `content_type` announces.
pub fn parse<'a>(
    content_type: &str,
    body: &'a [u8],
    limits: &Limits,
) -> Result<Form<'a>, MultipartError> {
    let boundary = boundary(content_type)?;
    // Every delimiter after the first is CRLF + "--" + boundary; the first may open the body.
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let first = &delimiter[2..];
    let mut pos = if body.starts_with(first) {
        first.len()
    } else {
        // A preamble is allowed before the first delimiter (nobody sends one, but it is legal).
        find(body, &delimiter)
            .map(|i| i + delimiter.len())
            .ok_or(MultipartError::Malformed(
                "no boundary delimiter in the body",
            ))?
    };
    let mut form = Form::default();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            // The close delimiter; only an epilogue may follow, which is ignored.
            return Ok(form);
        }
        // Transport padding (spaces/tabs) may follow a delimiter before its CRLF.
        let pad = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !rest[pad..].starts_with(b"\r\n") {
            return Err(MultipartError::Malformed(
                "a boundary delimiter is not followed by CRLF",
            ));
        }
        pos += pad + 2;
        if form.parts.len() >= limits.max_parts {
            return Err(MultipartError::TooManyParts(limits.max_parts));
        }
        let rest = &body[pos..];
        // An empty header block (no headers at all) ends right away.
        if rest.starts_with(b"\r\n") {
            return Err(MultipartError::Malformed(
                "a part has no Content-Disposition header",
            ));
        }
        let head_end = match find(
            &rest[..rest.len().min(limits.max_header_bytes + 4)],
            b"\r\n\r\n",
        ) {
            Some(i) => i,
            None if rest.len() > limits.max_header_bytes => {
                return Err(MultipartError::HeadersTooLarge(limits.max_header_bytes))
            }
            None => return Err(MultipartError::Malformed("a part's headers never end")),
        };
        let headers = parse_headers(&rest[..head_end])?;
        let data_start = pos + head_end + 4;
        let data_len = find(&body[data_start..], &delimiter).ok_or(MultipartError::Malformed(
            "the body ends before the closing boundary",
        ))?;
        let data = &body[data_start..data_start + data_len];
        pos = data_start + data_len + delimiter.len();
        if headers.filename.is_none() {
            if data.len() > limits.max_field_bytes {
                return Err(MultipartError::FieldTooLarge {
                    name: headers.name,
                    max: limits.max_field_bytes,
                });
            }
            if std::str::from_utf8(data).is_err() {
                return Err(MultipartError::NotUtf8(headers.name));
            }
        }
        form.parts.push(Part {
            name: headers.name,
            filename: headers.filename,
            content_type: headers.content_type,
            data,
        });
    }
}

struct PartHeaders {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
}

fn parse_headers(block: &[u8]) -> Result<PartHeaders, MultipartError> {
    let text = std::str::from_utf8(block)
        .map_err(|_| MultipartError::Malformed("part headers are not UTF-8"))?;
    let mut disposition = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        // Obsolete line folding and bare LFs are not produced by any client we serve.
        if line.starts_with([' ', '\t']) || line.contains('\n') || line.contains('\r') {
            return Err(MultipartError::Malformed("folded or malformed part header"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(MultipartError::Malformed("a part header has no colon"))?;
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-disposition") {
            if disposition.is_some() {
                return Err(MultipartError::Malformed(
                    "a part has two Content-Disposition headers",
                ));
            }
            disposition = Some(value.trim());
        } else if name.eq_ignore_ascii_case("content-type") {
            let essence = value.split(';').next().unwrap_or("").trim();
            content_type = Some(essence.to_ascii_lowercase());
        }
        // Other headers (Content-Transfer-Encoding, Content-Length …) carry nothing we use.
    }
    let disposition = disposition.ok_or(MultipartError::Malformed(
        "a part has no Content-Disposition header",
    ))?;
    let kind_end = disposition.find(';').unwrap_or(disposition.len());
    if !disposition[..kind_end]
        .trim()
        .eq_ignore_ascii_case("form-data")
    {
        return Err(MultipartError::Malformed(
            "a part's Content-Disposition is not form-data",
        ));
    }
    let params = split_params(&disposition[kind_end..]);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let name = get("name").ok_or(MultipartError::Malformed("a part has no name"))?;
    // RFC 7578 §4.2 says senders should not use filename*, but some do; it wins when valid.
    let filename = get("filename*")
        .and_then(|v| decode_ext_value(&v))
        .or_else(|| get("filename"));
    Ok(PartHeaders {
        name,
        filename,
        content_type,
    })
}

/// `; key=value; key="quoted \" value"` → pairs, keys lower-cased. Malformed pieces are
/// dropped rather than failing: callers check for the keys they need.
fn split_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        // Skip separators and whitespace.
        while let Some(&(_, c)) = chars.peek() {
            if c == ';' || c.is_ascii_whitespace() {
                chars.next();
            } else {
                break;
            }
        }
        let Some(&(key_start, _)) = chars.peek() else {
            break;
        };
        let mut key_end = key_start;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key_end = i + c.len_utf8();
            chars.next();
        }
        let key = s[key_start..key_end].trim().to_ascii_lowercase();
        if chars.peek().map(|&(_, c)| c) != Some('=') {
            continue;
        }
        chars.next();
        while chars.peek().is_some_and(|&(_, c)| c == ' ' || c == '\t') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek().map(|&(_, c)| c) == Some('"') {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    // Browsers percent-encode quotes instead; a backslash escape is RFC 2616's.
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                break;
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                if c == ';' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_owned();
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// RFC 8187 `UTF-8''percent%20encoded` → text; `None` for another charset or bad escapes.
fn decode_ext_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let charset = it.next()?;
    let _lang = it.next()?;
    let encoded = it.next()?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    crate::http::percent_decode(encoded)
}

/// First index of `needle` in `haystack`. The needle (a delimiter) starts with CR, which is
/// rare in text and audio alike, so scanning for it and comparing the rest is linear in
/// practice.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut start = 0;
    while start + needle.len() <= haystack.len() {
        let i = start
            + haystack[start..=haystack.len() - needle.len()]
                .iter()
                .position(|&b| b == first)?;
        if &haystack[i + 1..i + needle.len()] == rest {
            return Some(i);
        }
        start = i + 1;
    }
    None
}

/// A field of a form to send.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Text(&'a str, &'a str),
    /// name, filename, content type, bytes.
    File(&'a str, &'a str, &'a str, &'a [u8]),
}

/// Encodes a form as httpx (the openai SDK's transport) does: `Content-Disposition` then
/// `Content-Type` for files, CRLF everywhere. Returns the request's Content-Type and body.
/// `boundary` must not occur in any value (callers use a long random-looking one).
pub fn encode(fields: &[Field], boundary: &str) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for f in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match f {
            Field::Text(name, value) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            ),
            Field::File(name, filename, ct, data) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; \
                         filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[&str]) -> Vec<u8> {
        let mut b = Vec::new();
        for p in parts {
            b.extend_from_slice(b"--XyZ\r\n");
            b.extend_from_slice(p.as_bytes());
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"--XyZ--\r\n");
        b
    }

    #[test]
    fn boundary_quoted_or_not() {
        assert_eq!(boundary(CT).unwrap(), "XyZ");
        assert_eq!(
            boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b'c\"").unwrap(),
            "a b'c"
        );
        assert_eq!(
            boundary("application/json"),
            Err(MultipartError::NotMultipart("application/json".into()))
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::BadBoundary)
        );
        assert_eq!(
            boundary("multipart/form-data; boundary="),
            Err(MultipartError::BadBoundary)
        );
        let long = format!("multipart/form-data; boundary={}", "a".repeat(71));
        assert_eq!(boundary(&long), Err(MultipartError::BadBoundary));
        assert_eq!(
            boundary("multipart/form-data; boundary=a<b"),
            Err(MultipartError::BadBoundary)
        );
    }

    #[test]
    fn fields_and_a_file_in_order() {
        let b = body(&[
            "Content-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1",
            "content-disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".wav\"\r\nContent-Type: Audio/WAV; rate=16000\r\n\r\nRIFF\r\n-XyZ\r\n--Xy-Z\r\n",
            "Content-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\nsegment",
            "Content-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\n",
        ]);
        let form = parse(CT, &b, &Limits::default()).unwrap();
        assert_eq!(form.parts.len(), 4);
        assert_eq!(form.text("model"), Some("whisper-1"));
        let file = form.part("file").unwrap();
        assert_eq!(file.filename.as_deref(), Some("a \"q\".wav"));
        assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
        assert_eq!(file.data, b"RIFF\r\n-XyZ\r\n--Xy-Z\r\n");
        // A file part is not a text field.
        assert_eq!(form.text("file"), None);
        let grans: Vec<_> = form
            .all("timestamp_granularities[]")
            .map(|p| p.text().unwrap())
            .collect();
        assert_eq!(grans, ["segment", ""]);
    }

    #[test]
    fn binary_data_with_crlf_and_dashes_survives() {
        let data: Vec<u8> = (0..=255u8).chain(*b"\r\n--Xy\r\n--XyZ!").collect();
        let mut b =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n"
                .to_vec();
        b.extend_from_slice(&data);
        // The delimiter inside `data` is "\r\n--XyZ!" — followed by '!', not CRLF or "--":
        // it is a delimiter by the RFC, so the parser must reject the body rather than split
        // the file silently.
        b.extend_from_slice(b"\r\n--XyZ--");
        assert_eq!(
            parse(CT, &b, &Limits::default()),
            Err(MultipartError::Malformed(
                "a boundary delimiter is not followed by CRLF"
            ))
        );
        let clean: Vec<u8> = (0..=255u8).chain(*b"\r\n--Xy\r\n-").collect();
        let mut b =
            b"preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=file; filename=x\r\n\r\n"
                .to_vec();
        b.extend_from_slice(&clean);
        b.extend_from_slice(b"\r\n--XyZ--");
        let form = parse(CT, &b, &Limits::default()).unwrap();
        assert_eq!(form.part("file").unwrap().data, clean.as_slice());
    }

    #[test]
    fn filename_star_wins_and_decodes() {
        let b = body(&[
            "Content-Disposition: form-data; name=\"file\"; filename=\"fallback.wav\"; filename*=UTF-8''%D8%B5%D9%88%D8%AA.wav\r\n\r\nx",
        ]);
        let form = parse(CT, &b, &Limits::default()).unwrap();
        assert_eq!(
            form.part("file").unwrap().filename.as_deref(),
            Some("صوت.wav")
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let lim = Limits::default();
        let cases: Vec<(Vec<u8>, MultipartError)> = vec![
            (
                b"no delimiter here".to_vec(),
                MultipartError::Malformed("no boundary delimiter in the body"),
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue".to_vec(),
                MultipartError::Malformed("the body ends before the closing boundary"),
            ),
            (
                b"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--".to_vec(),
                MultipartError::Malformed("a part has no Content-Disposition header"),
            ),
            (
                b"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--"
                    .to_vec(),
                MultipartError::Malformed("a part's Content-Disposition is not form-data"),
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--".to_vec(),
                MultipartError::Malformed("a part has no name"),
            ),
            (
                b"--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--".to_vec(),
                MultipartError::Malformed("a boundary delimiter is not followed by CRLF"),
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\xff\r\n--XyZ--".to_vec(),
                MultipartError::NotUtf8("a".into()),
            ),
            (
                b"--XyZ\r\n\r\nv\r\n--XyZ--".to_vec(),
                MultipartError::Malformed("a part has no Content-Disposition header"),
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=a".to_vec(),
                MultipartError::Malformed("a part's headers never end"),
            ),
        ];
        for (b, want) in cases {
            assert_eq!(
                parse(CT, &b, &lim),
                Err(want),
                "{}",
                String::from_utf8_lossy(&b)
            );
        }
    }

    #[test]
    fn limits_bound_allocation() {
        let lim = Limits {
            max_parts: 2,
            max_header_bytes: 64,
            max_field_bytes: 4,
        };
        let three = body(&[
            "Content-Disposition: form-data; name=a\r\n\r\n1",
            "Content-Disposition: form-data; name=b\r\n\r\n2",
            "Content-Disposition: form-data; name=c\r\n\r\n3",
        ]);
        assert_eq!(
            parse(CT, &three, &lim),
            Err(MultipartError::TooManyParts(2))
        );
        let big_field = body(&["Content-Disposition: form-data; name=a\r\n\r\n12345"]);
        let e = parse(CT, &big_field, &lim).unwrap_err();
        assert_eq!(
            e,
            MultipartError::FieldTooLarge {
                name: "a".into(),
                max: 4
            }
        );
        assert_eq!(e.to_api_error().status, 413);
        // Files are not bounded by the field limit.
        let big_file =
            body(&["Content-Disposition: form-data; name=f; filename=x\r\n\r\n123456789"]);
        assert_eq!(
            parse(CT, &big_file, &lim).unwrap().parts[0].data,
            b"123456789"
        );
        let long_header = format!(
            "Content-Disposition: form-data; name=a\r\nX-Pad: {}\r\n\r\n1",
            "p".repeat(100)
        );
        assert_eq!(
            parse(CT, &body(&[&long_header]), &lim),
            Err(MultipartError::HeadersTooLarge(64))
        );
    }

    #[test]
    fn errors_map_to_statuses_with_params() {
        let e = MultipartError::NotMultipart("application/json".into()).to_api_error();
        assert_eq!(e.status, 415);
        let e = MultipartError::BadBoundary.to_api_error();
        assert_eq!(
            (e.status, e.code.as_deref()),
            (400, Some("invalid_multipart"))
        );
        let e = MultipartError::NotUtf8("language".into()).to_api_error();
        assert_eq!((e.status, e.param.as_deref()), (400, Some("language")));
    }

    #[test]
    fn empty_form_is_valid() {
        let form = parse(CT, b"--XyZ--\r\n", &Limits::default()).unwrap();
        assert!(form.parts.is_empty());
    }

    #[test]
    fn find_handles_edges() {
        assert_eq!(find(b"abc", b""), None);
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"xxabc", b"abc"), Some(2));
        assert_eq!(find(b"aab", b"ab"), Some(1));
    }

    #[test]
    fn encoded_forms_parse_back() {
        let (ct, body) = encode(
            &[
                Field::Text("name", "أميرة"),
                Field::File("file", "clip.wav", "audio/wav", b"RIFF\r\n--x"),
            ],
            "b0undary0123456789",
        );
        assert_eq!(ct, "multipart/form-data; boundary=b0undary0123456789");
        let form = parse(&ct, &body, &Limits::default()).unwrap();
        assert_eq!(form.text("name"), Some("أميرة"));
        let file = form.part("file").unwrap();
        assert_eq!(file.filename.as_deref(), Some("clip.wav"));
        assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
        assert_eq!(file.data, b"RIFF\r\n--x");
    }
}
