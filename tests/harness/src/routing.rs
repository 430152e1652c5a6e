//! Spin's HTTP router: the same `routefinder` crate Spin uses, fed routes the way Spin's
//! `Router::build` feeds them (exact beats wildcard, longest wildcard prefix wins, `:name`
//! segments, a later duplicate route replaces an earlier one), plus the `spin-*` request
//! headers Spin computes from the match.
//!
//! Upstream, at spinframework/spin@94a8fc8a7804ec2519bb8d12df70ab77ad2e4f60:
//! `Router::build`, `RouteMatch` and `sanitize_with_base` in crates/routes/src/lib.rs, and
//! `compute_default_headers` / `prepare_header_key` in crates/trigger-http/src/headers.rs.

use std::collections::BTreeMap;

use crate::manifest::HttpRoute;

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route as written in the manifest.
    raw_route: String,
    /// Spin's "based route": absolutised, one trailing `/` stripped, `/...` kept.
    based_route: String,
}

#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// The outcome of routing one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    pub raw_route: String,
    /// What Spin sends as `spin-matched-route`: the route with the app base ("/", which
    /// adds nothing) prefixed, made absolute and one trailing `/` stripped. A trailing `/...`
    /// stays (Spin's own header test expects `/foo/...`), and `route = "/"` gives "".
    pub based_route: String,
    /// The part matched by a trailing `/...`, with Spin's trailing-slash rules.
    pub path_info: String,
    pub named: BTreeMap<String, String>,
}

impl Router {
    pub fn build(routes: &[HttpRoute]) -> Result<Self, String> {
        // Later duplicates win, as in Spin (which warns about the shadowed one).
        let mut by_route: Vec<(String, String)> = Vec::new();
        for r in routes {
            match by_route.iter_mut().find(|(raw, _)| *raw == r.route) {
                Some(entry) => entry.1 = r.component.clone(),
                None => by_route.push((r.route.clone(), r.component.clone())),
            }
        }
        let mut inner = routefinder::Router::new();
        for (raw_route, component) in by_route {
            // Spin absolutises the route and strips one trailing slash (base "/" adds nothing).
            let absolute = if raw_route.starts_with('/') {
                raw_route.clone()
            } else {
                format!("/{raw_route}")
            };
            let based = absolute.strip_suffix('/').unwrap_or(&absolute).to_owned();
            let spec = match based.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => based.clone(),
            };
            inner
                .add(
                    spec.as_str(),
                    Handler {
                        component: component.clone(),
                        raw_route: raw_route.clone(),
                        based_route: based,
                    },
                )
                .map_err(|e| format!("route {raw_route:?} of component {component:?}: {e}"))?;
        }
        Ok(Self { inner })
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        let path_info = match captures.wildcard() {
            None => String::new(),
            // Spin keeps the trailing slash that routefinder drops.
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
        };
        let named = captures
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw_route.clone(),
            based_route: handler.based_route.clone(),
            path_info,
            named,
        })
    }

    /// `(route, component)` pairs, for the startup listing.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.inner
            .iter()
            .map(|(_, h)| (h.raw_route.clone(), h.component.clone()))
            .collect()
    }
}

impl RouteMatch {
    /// The headers Spin adds to the request it hands a component, in Spin's order.
    /// `full_url` is `http://{Host header, else "localhost"}{path and query}`.
    pub fn spin_headers(&self, full_url: &str, client_addr: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            ("spin-path-info".to_owned(), self.path_info.clone()),
            ("spin-full-url".to_owned(), full_url.to_owned()),
            ("spin-matched-route".to_owned(), self.based_route.clone()),
            ("spin-base-path".to_owned(), "/".to_owned()),
            (
                "spin-raw-component-route".to_owned(),
                self.raw_route.clone(),
            ),
            (
                "spin-component-route".to_owned(),
                self.raw_route
                    .strip_suffix("/...")
                    .unwrap_or(&self.raw_route)
                    .to_owned(),
            ),
            ("spin-client-addr".to_owned(), client_addr.to_owned()),
        ];
        for (name, value) in &self.named {
            // Spin builds `SPIN_PATH_MATCH_{NAME}` and then turns `_` into `-` for every
            // header, so `:user_id` arrives as `spin-path-match-user-id`.
            headers.push((
                format!(
                    "spin-path-match-{}",
                    name.to_ascii_lowercase().replace('_', "-")
                ),
                value.clone(),
            ));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let routes: Vec<HttpRoute> = routes
            .iter()
            .map(|(r, c)| HttpRoute {
                route: (*r).into(),
                component: (*c).into(),
            })
            .collect();
        Router::build(&routes).unwrap()
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component)
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let r = router(&[
            ("/...", "all"),
            ("/v1/...", "v1"),
            ("/v1/models", "models"),
            ("/v1/audio/...", "audio"),
        ]);
        assert_eq!(component(&r, "/v1/models").as_deref(), Some("models"));
        assert_eq!(component(&r, "/v1/models/x").as_deref(), Some("v1"));
        assert_eq!(
            component(&r, "/v1/audio/transcriptions").as_deref(),
            Some("audio")
        );
        assert_eq!(component(&r, "/v1").as_deref(), Some("v1"));
        assert_eq!(component(&r, "/").as_deref(), Some("all"));
        assert_eq!(component(&r, "/other/deep/path").as_deref(), Some("all"));
    }

    #[test]
    fn exact_route_is_exact_and_unknown_paths_miss() {
        let r = router(&[("/health", "h"), ("/v1/...", "v1")]);
        assert_eq!(component(&r, "/health").as_deref(), Some("h"));
        assert_eq!(component(&r, "/healthz"), None);
        assert_eq!(component(&r, "/nope"), None);
    }

    #[test]
    fn path_info_and_headers_follow_spin() {
        let r = router(&[("/foo/...", "foo"), ("/users/:id/...", "users")]);
        let m = r.route("/foo/bar/").unwrap();
        assert_eq!(m.path_info, "/bar/");
        assert_eq!(r.route("/foo").unwrap().path_info, "");
        assert_eq!(r.route("/foo/").unwrap().path_info, "/");
        let m = r.route("/users/42/bar").unwrap();
        assert_eq!(m.path_info, "/bar");
        let headers = m.spin_headers("http://h/users/42/bar?q=1", "127.0.0.1:9");
        let get = |k: &str| {
            headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("spin-path-match-id"), Some("42"));
        assert_eq!(get("spin-component-route"), Some("/users/:id"));
        assert_eq!(get("spin-matched-route"), Some("/users/:id/..."));
        assert_eq!(get("spin-full-url"), Some("http://h/users/42/bar?q=1"));
    }

    /// `spin-matched-route` is Spin's based route, not the route as written; the other
    /// route headers are the raw route. Values as Spin computes them for these routes.
    #[test]
    fn matched_route_is_the_based_route() {
        let r = router(&[
            ("foo/...", "relative"),
            ("/bar/", "slashed"),
            ("/", "root"),
            ("/users/:user_id/...", "users"),
        ]);
        let headers = |path: &str| {
            let m = r.route(path).unwrap();
            m.spin_headers(&format!("http://h{path}"), "127.0.0.1:9")
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        };
        let get = |h: &BTreeMap<String, String>, k: &str| h.get(k).cloned().unwrap_or_default();

        let h = headers("/foo/x");
        assert_eq!(get(&h, "spin-matched-route"), "/foo/...");
        assert_eq!(get(&h, "spin-raw-component-route"), "foo/...");
        assert_eq!(get(&h, "spin-component-route"), "foo");
        assert_eq!(get(&h, "spin-path-info"), "/x");

        let h = headers("/bar");
        assert_eq!(get(&h, "spin-matched-route"), "/bar");
        assert_eq!(get(&h, "spin-raw-component-route"), "/bar/");
        assert_eq!(get(&h, "spin-component-route"), "/bar/");

        // Base "/" plus route "/", each with its trailing slash stripped, is empty.
        let h = headers("/");
        assert_eq!(h.get("spin-matched-route").map(String::as_str), Some(""));
        assert_eq!(get(&h, "spin-raw-component-route"), "/");
        assert_eq!(get(&h, "spin-base-path"), "/");
        assert_eq!(get(&h, "spin-client-addr"), "127.0.0.1:9");

        let h = headers("/users/7/x");
        assert_eq!(get(&h, "spin-path-match-user-id"), "7");
        assert!(!h.contains_key("spin-path-match-user_id"), "{h:?}");
    }

    #[test]
    fn later_duplicate_wins() {
        let r = router(&[("/a", "first"), ("/a", "second")]);
        assert_eq!(component(&r, "/a").as_deref(), Some("second"));
    }
}
