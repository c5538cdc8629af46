//! A value read from the database and reused for a while: reference data read on every request
//! (area codes, service profiles). A change made through this process forgets it at once; one
//! made by another process is seen when the value is older than its caller allows.

use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

pub(crate) struct Cached<T>(RwLock<Option<(Instant, T)>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached(RwLock::new(None))
    }
}

impl<T: Clone> Cached<T> {
    /// The value, if it was kept less than `max_age` ago.
    pub(crate) fn fresh(&self, max_age: Duration) -> Option<T> {
        let kept = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let (at, value) = kept.as_ref()?;
        (at.elapsed() < max_age).then(|| value.clone())
    }

    pub(crate) fn keep(&self, value: T) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), value));
    }

    pub(crate) fn forget(&self) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_reused_until_it_is_too_old_or_forgotten() {
        let c = Cached::default();
        assert_eq!(c.fresh(Duration::from_secs(60)), None);
        c.keep(vec![1, 2]);
        assert_eq!(c.fresh(Duration::from_secs(60)), Some(vec![1, 2]));
        assert_eq!(c.fresh(Duration::ZERO), None, "older than allowed");
        c.forget();
        assert_eq!(c.fresh(Duration::from_secs(60)), None);
    }
}
