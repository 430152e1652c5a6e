//! `allowed_outbound_hosts` with Spin's grammar (`<scheme>://<host>[:<port>]`, `*` wildcards,
//! `*.domain`, port ranges `a..b`, CIDR blocks, default ports for http/https), and the
//! wasi-http hook that enforces it and records every attempt.

use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    /// `None` means any scheme (`*://`).
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com` is stored as `.example.com`.
    Subdomain(String),
    Exact(String),
    Cidr(IpAddr, u8),
    /// `self` / `self.alt`: requests to the app itself; the harness does not route those.
    ToSelf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Port(u16),
    /// Half-open, as Spin parses `a..b`.
    Range(u16, u16),
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<Self, String> {
        let url = entry.trim();
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            format!("{url:?} does not contain a scheme (e.g. 'http://' or '*://')")
        })?;
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match port.split_once('/') {
            Some((_, path)) if !path.is_empty() => {
                return Err(format!("{url:?} has a path but is not allowed to"))
            }
            Some((port, _)) => port,
            None => port,
        };
        // A host with a path and no port (`https://example.com/v1`) is also a path.
        let host = host.trim().trim_end_matches('/');
        if host.contains('/') && parse_cidr(host).is_none() {
            return Err(format!("{url:?} has a path but is not allowed to"));
        }

        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => Some(s.to_owned()),
            s => return Err(format!("scheme {s:?} in {url:?} is not valid")),
        };
        let host = if host == "*" {
            HostPattern::Any
        } else if host == "self" || host == "self.alt" {
            HostPattern::ToSelf
        } else if let Some((ip, bits)) = parse_cidr(host) {
            HostPattern::Cidr(ip, bits)
        } else if let Some(domain) = host.strip_prefix("*.") {
            if domain.contains('*') {
                return Err(format!("{url:?}: wildcards are allowed only as prefixes"));
            }
            HostPattern::Subdomain(format!(".{}", domain.to_ascii_lowercase()))
        } else if host.contains('*') {
            return Err(format!("{url:?}: wildcards are allowed only as subdomains"));
        } else {
            HostPattern::Exact(host.to_ascii_lowercase())
        };
        let port = if port.is_empty() {
            let scheme = scheme.as_deref().unwrap_or("*");
            PortPattern::Port(well_known_port(scheme).ok_or_else(|| {
                format!("{url:?}: no port was given and scheme {scheme:?} has no default port")
            })?)
        } else if port == "*" {
            PortPattern::Any
        } else if let Some((a, b)) = port.split_once("..") {
            let a = a.parse().map_err(|_| format!("{url:?}: bad port range"))?;
            let b = b.parse().map_err(|_| format!("{url:?}: bad port range"))?;
            PortPattern::Range(a, b)
        } else {
            PortPattern::Port(
                port.parse()
                    .map_err(|_| format!("{url:?}: port {port:?} is not a number"))?,
            )
        };
        Ok(Self {
            original: entry.to_owned(),
            scheme,
            host,
            port,
        })
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Exact(h) => *h == host,
            HostPattern::Cidr(net, bits) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| cidr_contains(*net, *bits, ip)),
            HostPattern::ToSelf => false,
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            _ => match port.or_else(|| well_known_port(scheme)) {
                None => false,
                Some(p) => match self.port {
                    PortPattern::Port(allowed) => p == allowed,
                    PortPattern::Range(a, b) => (a..b).contains(&p),
                    PortPattern::Any => true,
                },
            },
        };
        scheme_ok && host_ok && port_ok
    }
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.original)
    }
}

/// `10.0.0.0/8`, or a bare IP address (a single-host block, as Spin treats it).
fn parse_cidr(host: &str) -> Option<(IpAddr, u8)> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some((ip, if ip.is_ipv4() { 32 } else { 128 }));
    }
    let (ip, bits) = host.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    (bits <= if ip.is_ipv4() { 32 } else { 128 }).then_some((ip, bits))
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// One outbound request a component tried to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundAttempt {
    pub component: String,
    pub method: String,
    pub url: String,
    pub allowed: bool,
}

/// Shared log of outbound attempts, so tests can assert nothing undeclared was contacted.
#[derive(Debug, Clone, Default)]
pub struct OutboundLog(Arc<Mutex<Vec<OutboundAttempt>>>);

impl OutboundLog {
    pub fn push(&self, attempt: OutboundAttempt) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(attempt);
    }

    pub fn snapshot(&self) -> Vec<OutboundAttempt> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The wasi-http hooks of one instance: Spin's outbound policy for that component.
pub struct OutboundHooks {
    pub component: String,
    pub allowed: Arc<Vec<AllowedHost>>,
    pub log: OutboundLog,
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
                )>,
            > + Send,
    > {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_owned();
        let host = uri.host().unwrap_or_default().to_owned();
        let allowed = !host.is_empty()
            && self
                .allowed
                .iter()
                .any(|a| a.allows(&scheme, &host, uri.port_u16()));
        self.log.push(OutboundAttempt {
            component: self.component.clone(),
            method: request.method().to_string(),
            url: uri.to_string(),
            allowed,
        });
        if !allowed {
            // What Spin answers for a host the component did not declare.
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        wasmtime_wasi_http::default_hooks().send_request(request, options, fut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, scheme: &str, host: &str, port: Option<u16>) -> bool {
        AllowedHost::parse(entry)
            .unwrap()
            .allows(scheme, host, port)
    }

    #[test]
    fn spin_grammar() {
        assert!(allows(
            "https://openrouter.ai",
            "https",
            "openrouter.ai",
            None
        ));
        assert!(allows(
            "https://openrouter.ai",
            "https",
            "OpenRouter.ai",
            Some(443)
        ));
        assert!(!allows(
            "https://openrouter.ai",
            "http",
            "openrouter.ai",
            None
        ));
        assert!(!allows(
            "https://openrouter.ai",
            "https",
            "openrouter.ai",
            Some(8443)
        ));
        assert!(!allows(
            "https://openrouter.ai",
            "https",
            "evil.openrouter.ai",
            None
        ));
        assert!(allows(
            "http://127.0.0.1:*",
            "http",
            "127.0.0.1",
            Some(38211)
        ));
        assert!(!allows(
            "http://127.0.0.1:*",
            "http",
            "localhost",
            Some(38211)
        ));
        assert!(!allows(
            "http://127.0.0.1:*",
            "http",
            "127.0.0.2",
            Some(38211)
        ));
        assert!(allows(
            "*://*.example.com:8000..8010",
            "http",
            "a.example.com",
            Some(8009)
        ));
        assert!(!allows(
            "*://*.example.com:8000..8010",
            "http",
            "a.example.com",
            Some(8010)
        ));
        assert!(allows("http://10.0.0.0/8:80", "http", "10.2.3.4", None));
        assert!(!allows("http://10.0.0.0/8:80", "http", "11.2.3.4", None));
        assert!(allows("https://example.com/", "https", "example.com", None));
        assert!(!allows("http://self", "http", "self", None));
    }

    #[test]
    fn rejects_what_spin_rejects() {
        for bad in [
            "openrouter.ai",
            "https://openrouter.ai/api/v1",
            "https://openrouter.ai:443/api",
            "*://example.com",
            "https://ex*ample.com",
            "https://*.ex*ample.com",
            "http://example.com:port",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
