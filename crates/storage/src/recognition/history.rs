//! A person's history across agencies.
