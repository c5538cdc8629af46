//! The possible matches the hub decides.
