//! Proof Key for Code Exchange (RFC 7636) with the one method OB 3.0 §7.2.1 allows, `S256`:
//! `code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only `code_challenge_method` accepted.
pub const S256: &str = "S256";

/// A code verifier of RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn is_valid_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 code challenge: the unpadded base64url encoding of 32 bytes (43 characters, the
/// last one canonical).
pub fn is_valid_code_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
pub fn code_challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well formed and its S256 challenge is `challenge` (RFC 7636 §4.6),
/// compared in constant time.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    if !is_valid_code_verifier(verifier) {
        return false;
    }
    let computed = code_challenge_s256(verifier);
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B: the octets of the verifier, the verifier, the SHA-256 octets and the
    /// challenge, as the RFC prints them.
    const APPENDIX_B_OCTETS: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const APPENDIX_B_HASH: [u8; 32] = [
        19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173,
        109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
    ];
    const APPENDIX_B_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const APPENDIX_B_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            URL_SAFE_NO_PAD.encode(APPENDIX_B_OCTETS),
            APPENDIX_B_VERIFIER
        );
        assert!(is_valid_code_verifier(APPENDIX_B_VERIFIER));
        assert_eq!(
            Sha256::digest(APPENDIX_B_VERIFIER.as_bytes())[..],
            APPENDIX_B_HASH
        );
        assert_eq!(
            URL_SAFE_NO_PAD.encode(APPENDIX_B_HASH),
            APPENDIX_B_CHALLENGE
        );
        assert_eq!(
            code_challenge_s256(APPENDIX_B_VERIFIER),
            APPENDIX_B_CHALLENGE
        );
        assert!(is_valid_code_challenge(APPENDIX_B_CHALLENGE));
        assert!(verify_s256(APPENDIX_B_VERIFIER, APPENDIX_B_CHALLENGE));
    }

    #[test]
    fn a_wrong_verifier_or_challenge_fails() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";
        assert!(!verify_s256(other, APPENDIX_B_CHALLENGE));
        // The `plain` method: the challenge is the verifier itself. Never accepted.
        assert!(!verify_s256(APPENDIX_B_VERIFIER, APPENDIX_B_VERIFIER));
        assert!(!verify_s256(APPENDIX_B_VERIFIER, ""));
        assert!(!verify_s256(
            APPENDIX_B_VERIFIER,
            &APPENDIX_B_CHALLENGE[..42]
        ));
        // A short verifier whose challenge matches is still refused (§4.1: 43 characters at least).
        assert!(!verify_s256("short", &code_challenge_s256("short")));
    }

    #[test]
    fn verifier_length_and_alphabet() {
        let cases = [
            ("a".repeat(42), false),
            ("a".repeat(43), true),
            ("a".repeat(128), true),
            ("a".repeat(129), false),
            (format!("{}-._~", "A0z".repeat(14)), true),
            (format!("{}+", "a".repeat(43)), false),
            (format!("{}/", "a".repeat(43)), false),
            (format!("{}=", "a".repeat(43)), false),
            (format!("{} ", "a".repeat(43)), false),
            (format!("{}é", "a".repeat(43)), false),
            // The spec's own token request example: standard base64 with padding is not a
            // verifier.
            (
                "mYUQfKNgI1lSbY8EqtvNHLPzu0x/cVKO3fpWnX4VE5I=".to_owned(),
                false,
            ),
        ];
        for (verifier, valid) in cases {
            assert_eq!(is_valid_code_verifier(&verifier), valid, "{verifier:?}");
        }
    }

    #[test]
    fn challenge_shape() {
        // The spec's authorization request example.
        assert!(is_valid_code_challenge(
            "XeDw66i9FLjn7XaecT_xaFyUWWfUub02Kw118n-jbEs"
        ));
        for bad in [
            "",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c+",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN", // non-canonical last character
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMx",
        ] {
            assert!(!is_valid_code_challenge(bad), "{bad:?}");
        }
    }
}
