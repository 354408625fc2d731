//! # passerelle-verifier
//!
//! The verifier an employer uses: a web page and an API over the core's sans-I/O
//! verification ([`passerelle_core::verify`]), plus the `verify` command line. Every front end
//! renders the same core report.
//!
//! - [`batch`]: JSON Lines of credentials verified offline on every core, answers in order;
//! - [`challenge`]: signed single-use challenges and their replay set (memory or PostgreSQL);
//! - [`fetch`]: safe fetching (https only, non-public addresses refused, redirects re-checked,
//!   timeout, size cap) with a TTL cache;
//! - [`service`]: input recovery (baked images, QR photos and texts, links) and verification;
//! - [`i18n`]: message catalogues and language negotiation;
//! - [`page`]: the server-rendered HTML;
//! - [`server`]: the HTTP routes; [`openapi`]: their description.
#![forbid(unsafe_code)]

pub mod batch;
pub mod challenge;
pub mod error;
pub mod fetch;
pub mod i18n;
pub mod openapi;
pub mod page;
pub mod server;
pub mod service;
