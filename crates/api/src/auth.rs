//! Optional client authentication: when the `api_keys` variable lists keys (comma
//! separated), requests must carry one of them as `Authorization: Bearer <key>`.

use sha2::{Digest, Sha256};

use crate::http::bearer_token;
use crate::{ApiError, Env};

/// Name of the variable holding the accepted client keys.
pub const API_KEYS_VAR: &str = "api_keys";

/// `Ok` when no client keys are configured or the header carries one of them.
pub fn check_client_key(env: &dyn Env, authorization: Option<&str>) -> Result<(), ApiError> {
    let Some(keys) = env.get(API_KEYS_VAR) else {
        return Ok(());
    };
    let presented = bearer_token(authorization);
    if presented.is_empty() {
        return Err(ApiError::unauthorized(
            "missing API key: send `Authorization: Bearer <key>`",
        ));
    }
    // Compare every key in full so timing does not reveal how much of a key matched.
    let mut ok = false;
    for key in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        ok |= constant_time_eq(key.as_bytes(), presented.as_bytes());
    }
    if ok {
        Ok(())
    } else {
        Err(ApiError::unauthorized("invalid API key"))
    }
}

/// The one secret comparison (client keys, the admin token). Both sides are hashed first, so
/// the comparison always runs over 32 bytes: neither a byte position nor a length mismatch
/// shows in the timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box: keep the optimiser from turning the fold into an early-exit compare.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapEnv;

    #[test]
    fn open_when_no_keys_configured() {
        assert!(check_client_key(&MapEnv::new(), None).is_ok());
        assert!(check_client_key(&MapEnv::new().with("api_keys", ""), None).is_ok());
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn requires_a_listed_key() {
        let env = MapEnv::new().with("api_keys", "k1, k2");
        assert!(check_client_key(&env, Some("Bearer k2")).is_ok());
        let missing = check_client_key(&env, None).unwrap_err();
        assert_eq!(missing.status, 401);
        assert!(check_client_key(&env, Some("bearer k1")).is_ok());
        let wrong = check_client_key(&env, Some("Bearer k3")).unwrap_err();
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.message, "invalid API key");
        // The presented key is never echoed back.
        let body = String::from_utf8(wrong.to_response().body).unwrap();
        assert!(!body.contains("k3"));
    }
}
