//! Spin variables as the cores' [`Env`].

use std::cell::RefCell;
use std::collections::HashMap;

use sawt_api::Env;

/// Spin variables, each looked up at most once per request (every lookup is a host call).
/// An undeclared or unresolvable variable reads as unset.
#[derive(Default)]
pub struct SpinEnv(RefCell<HashMap<String, Option<String>>>);

impl Env for SpinEnv {
    fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.0.borrow().get(name) {
            return v.clone();
        }
        let value = spin_sdk::variables::get(name).ok();
        self.0.borrow_mut().insert(name.to_owned(), value.clone());
        value
    }
}
