//! Merging two people into one, and undoing it.
