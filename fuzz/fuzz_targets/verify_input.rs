//! Fuzzes the verification entry point with untrusted bytes: recognise (JSON credential or
//! presentation, compact JWS, enveloped credential, baked image, QR image or text), work out what would be fetched, and check with nothing fetched.
//! Any panic is a bug: every malformed input must come back as an error or a failed check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched};

fuzz_target!(|data: &[u8]| {
    let presented = match verify::recognise(data, &Default::default()) {
        Ok(verify::Recognised::Document(recovered)) => recovered.presented,
        // A link's body goes through the same recognition once more (one hop).
        Ok(verify::Recognised::Link { url, .. }) => {
            match verify::recognise_fetched(&url, data, &Default::default()) {
                Ok(recovered) => recovered.presented,
                Err(_) => return,
            }
        }
        _ => return,
    };
    let fetched = Fetched::default();
    let _ = verify::needs(&presented, &fetched);
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("a fixed, valid timestamp");
    let report = verify::check(&presented, &fetched, now, &CheckOptions::default());
    // Nothing unsigned can pass: a verified report has a proof check that passed (a warning is
    // a pass with a caveat, e.g. a pre-standard suite), and no failed check.
    if report.is_verified() {
        assert!(report.check(CheckId::Proof).is_some_and(|c| matches!(
            c.outcome,
            verify::Outcome::Pass | verify::Outcome::Warning
        )));
        assert!(report
            .checks()
            .iter()
            .all(|c| c.outcome != verify::Outcome::Fail));
    }
});
