//! One line for an error and its causes, as a command line prints it. Many errors here carry
//! their cause both in their own message (so an API answer that shows only the message is
//! complete) and as their `source()` (so programs can inspect it): printing the chain naively
//! says every cause twice. [`error_chain`] says each once.

use std::error::Error;

/// `error` then each cause not already said, joined with ": ".
///
/// ```
/// # use passerelle_core::error_text::error_chain;
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot read the badge: {source}")]
/// struct Outer { #[source] source: std::io::Error }
/// let e = Outer { source: std::io::Error::other("disk on fire") };
/// assert_eq!(error_chain(&e), "cannot read the badge: disk on fire");
/// ```
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !said.is_empty() && !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{what}")]
    struct Layer {
        what: String,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn layer(what: &str, source: Option<Layer>) -> Layer {
        Layer {
            what: what.into(),
            source: source.map(Box::new),
        }
    }

    #[test]
    fn says_each_cause_once_and_keeps_causes_not_yet_said() {
        let inner = layer("input is neither JSON nor a compact JWS", None);
        let middle = layer(
            "the document is not a readable credential: input is neither JSON nor a compact JWS",
            Some(inner),
        );
        let outer = layer("cannot read junk.txt as a credential", Some(middle));
        assert_eq!(
            error_chain(&outer),
            "cannot read junk.txt as a credential: the document is not a readable credential: \
             input is neither JSON nor a compact JWS"
        );
        let plain = layer("top", Some(layer("cause", Some(layer("root", None)))));
        assert_eq!(error_chain(&plain), "top: cause: root");
    }
}
