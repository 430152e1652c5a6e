//! Just enough HTTP/1.1 over std::net for test servers and the dev proxy: read a request,
//! write a response head and a chunked body, and a small client that streams the answer.
//! Every connection serves one exchange (`connection: close`), which keeps it simple.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest request/response head we accept.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// Reads lines up to the blank line; returns the start line and the headers.
fn read_head(r: &mut impl BufRead) -> io::Result<(String, Vec<(String, String)>)> {
    let mut start = String::new();
    let mut total = 0;
    loop {
        start.clear();
        if r.read_line(&mut start)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        // Tolerate stray CRLFs between messages (RFC 9112 §2.2).
        if !start.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line)?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Err(invalid("bad header block"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| invalid("bad header line"))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    Ok((start.trim_end().to_owned(), headers))
}

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    Close,
}

fn framing(headers: &[(String, String)], is_request: bool) -> io::Result<Framing> {
    if header(headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(Framing::Chunked);
    }
    match header(headers, "content-length") {
        Some(n) => n
            .trim()
            .parse()
            .map(Framing::Length)
            .map_err(|_| invalid("bad content-length")),
        None if is_request => Ok(Framing::Length(0)),
        None => Ok(Framing::Close),
    }
}

/// A body reader that undoes the framing; yields the bytes as they arrive.
pub struct Body<R> {
    inner: R,
    framing: Framing,
    /// Bytes left in the current chunk (chunked) or message (length).
    left: u64,
    done: bool,
}

impl<R: BufRead> Body<R> {
    fn new(inner: R, framing: Framing) -> Self {
        let left = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        Self {
            inner,
            framing,
            left,
            done: framing == Framing::Length(0),
        }
    }
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::Close => {
                let n = self.inner.read(buf)?;
                self.done = n == 0;
                Ok(n)
            }
            Framing::Length(_) => {
                let max = buf.len().min(self.left as usize);
                let n = self.inner.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "body cut short",
                    ));
                }
                self.left -= n as u64;
                self.done = self.left == 0;
                Ok(n)
            }
            Framing::Chunked => {
                if self.left == 0 {
                    let mut line = String::new();
                    self.inner.read_line(&mut line)?;
                    let size = line.trim().split(';').next().unwrap_or("");
                    let size =
                        u64::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
                    if size == 0 {
                        // Trailers, then the final CRLF.
                        loop {
                            let mut t = String::new();
                            if self.inner.read_line(&mut t)? == 0 || t.trim().is_empty() {
                                break;
                            }
                        }
                        self.done = true;
                        return Ok(0);
                    }
                    self.left = size;
                }
                let max = buf.len().min(self.left as usize);
                let n = self.inner.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "chunk cut short",
                    ));
                }
                self.left -= n as u64;
                if self.left == 0 {
                    let mut crlf = [0u8; 2];
                    self.inner.read_exact(&mut crlf)?;
                }
                Ok(n)
            }
        }
    }
}

/// Reads one request (head and whole body) from a server-side connection.
pub fn read_request(stream: &TcpStream, max_body: u64) -> io::Result<Request> {
    let mut r = BufReader::new(stream);
    let (start, headers) = read_head(&mut r)?;
    let mut parts = start.split_whitespace();
    let method = parts.next().ok_or_else(|| invalid("no method"))?.to_owned();
    let path = parts.next().ok_or_else(|| invalid("no path"))?.to_owned();
    let mut body = Vec::new();
    Body::new(&mut r, framing(&headers, true)?)
        .take(max_body)
        .read_to_end(&mut body)?;
    Ok(Request {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes a response head. With `content_length: None` the body must be sent with
/// [`write_chunk`] and ended with [`end_chunks`].
pub fn write_head(
    w: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    content_length: Option<usize>,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match content_length {
        Some(n) => head.push_str(&format!("content-length: {n}\r\n")),
        None => head.push_str("transfer-encoding: chunked\r\n"),
    }
    head.push_str("connection: close\r\n\r\n");
    w.write_all(head.as_bytes())?;
    w.flush()
}

/// Writes one chunk and flushes it, so it leaves now.
pub fn write_chunk(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    // One write per chunk: with TCP_NODELAY every write is a segment.
    let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    w.write_all(&framed)?;
    w.flush()
}

pub fn end_chunks(w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"0\r\n\r\n")?;
    w.flush()
}

/// A complete response with a known length.
pub fn write_response(
    w: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    write_head(w, status, headers, Some(body.len()))?;
    w.write_all(body)?;
    w.flush()
}

/// A response being received: head now, body as it arrives.
pub struct ClientResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body<BufReader<TcpStream>>,
}

impl ClientResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// Sends a request to an `http://` URL and returns once the response head is in.
/// `timeout` bounds connecting and every read (so a silent upstream fails with
/// `ErrorKind::TimedOut`/`WouldBlock`).
pub fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> io::Result<ClientResponse> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "only http:// URLs are supported",
        )
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;

    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {authority}\r\n");
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("host") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut w = &stream;
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()?;

    let mut r = BufReader::new(stream);
    let (start, headers) = read_head(&mut r)?;
    let status = start
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let framing = framing(&headers, false)?;
    Ok(ClientResponse {
        status,
        headers,
        body: Body::new(r, framing),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_across_reads() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nx-trailer: 1\r\n\r\n";
        let mut body = Body::new(&wire[..], Framing::Chunked);
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = body.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, b"hello world!");
    }
}
