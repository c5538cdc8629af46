//! Community alerts: crime-prevention messages to the residents and businesses who asked for
//! them, within an area around an incident. The rules here are pure: where an alert reaches,
//! who may subscribe and what they choose, the signed links they use without an account, what
//! an alert must say, when a subscriber's quiet hours hold a message back, and how the OASIS
//! Common Alerting Protocol (CAP) 1.2 writes priorities and times.

pub mod area;
pub mod cap;
pub mod cap_xml;
pub mod links;
pub mod message;
pub mod quiet;
pub mod reach;
pub mod subscription;
