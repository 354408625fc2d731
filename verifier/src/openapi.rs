//! The OpenAPI 3.1 document of the JSON API (`GET /api/v1/openapi.json`). A test checks that it
//! describes exactly the API routes the router serves.

use serde_json::{json, Value};

use passerelle_core::verify::MESSAGE_CODES;

/// The document; `domain` is the domain presentations must be bound to.
pub fn document(domain: &str) -> Value {
    let report = json!({"$ref": "#/components/schemas/Report"});
    let error = json!({"$ref": "#/components/schemas/Error"});
    let json_error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    // Image decoding is held to a memory ceiling (see `service::DecodeGate`): when every decode
    // slot is taken, an image request is refused rather than queued.
    let busy = json!({
        "description": "Every image-decoding slot is taken (decoding is held to a memory ceiling, 512 MiB by default, 128 MiB an image); retry after the seconds given",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": error}}
    });
    let vcapi_result = json!({"$ref": "#/components/schemas/VerificationResult"});
    let request_problem = json!({"$ref": "#/components/schemas/RequestProblem"});
    let lang_parameter = json!({"name": "lang", "in": "query", "required": false, "schema": {"type": "string"},
        "description": "Language of the problem details' `detail` (else Accept-Language; English by default)"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Passerelle verifier",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Verify Open Badges 3.0 and W3C Verifiable Credentials. Presentations are bound to the domain {domain}. Nothing submitted is stored."),
        },
        "paths": {
            "/api/v1/verify": {"post": {
                "summary": "Verify a credential, a presentation, a compact JWS or the text of a QR code",
                "parameters": [
                    {"name": "challenge", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The challenge a presentation must answer: one issued by /api/v1/challenges (single-use). Without it a presentation is at best `incomplete`, and one not issued here fails, unless the operator allows unchallenged presentations."},
                    {"name": "domain", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "lang", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Adds `localized` (message and details in this language, e.g. fr) to every check"}
                ],
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"type": "object", "description": "A credential or presentation"},
                        {"type": "object", "required": ["qr"], "properties": {"qr": {"type": "string", "description": "VC2:… or VC1:… compact form, a Learner Credential Wallet VP1-… code (CBOR-LD), or an https link"}}, "additionalProperties": false}
                    ]}},
                    "application/jwt": {"schema": {"type": "string", "description": "A compact JWS (vc+jwt)"}},
                    "image/png": {"schema": {"type": "string", "format": "binary", "description": "A baked badge or a photo of a QR code"}},
                    "image/svg+xml": {"schema": {"type": "string", "description": "A baked SVG badge, or a QR code drawn in SVG (rasterised to read it)"}}
                }},
                "responses": {
                    "200": {"description": "The verification report (whatever the verdict)", "content": {"application/json": {"schema": report}}},
                    "400": json_error("A malformed request; `field` names the field at fault"),
                    "413": json_error("The body is larger than the cap, or the image would take more than 128 MiB to decode"),
                    "422": json_error("The input is not a credential this service can read"),
                    "503": busy.clone()
                }
            }},
            "/credentials/verify": {"post": {
                "summary": "W3C VC-API: verify a credential",
                "description": "200 when verified; 400 with the same VerificationResult when not (as the W3C VC-API verifier test suite expects), or with problem details when the request is malformed. Status and validity-period problems are errors here, never warnings: a revoked or expired credential is never `verified: true`.",
                "parameters": [lang_parameter],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiableCredential"],
                    "properties": {
                        "verifiableCredential": {"oneOf": [
                            {"type": "object", "description": "A credential secured with Data Integrity proofs"},
                            {"type": "object", "description": "An EnvelopedVerifiableCredential whose id is data:application/vc+jwt,<JWS>", "required": ["type", "id"]},
                            {"type": "string", "description": "A compact JWS (vc+jwt)"}
                        ]},
                        "options": {"type": "object", "additionalProperties": false, "properties": {
                            "returnCredential": {"type": "boolean", "description": "Return the verified credential"}
                        }}
                    }
                }}}},
                "responses": {
                    "200": {"description": "Verified", "content": {"application/json": {"schema": vcapi_result}}},
                    "400": {"description": "Not verified (with the problems), or a malformed request (problem details; an unknown option is UNKNOWN_OPTION_PROVIDED)", "content": {
                        "application/json": {"schema": vcapi_result},
                        "application/problem+json": {"schema": request_problem}
                    }}
                }
            }},
            "/presentations/verify": {"post": {
                "summary": "W3C VC-API: verify a presentation, with its challenge and domain",
                "description": "200 whenever the verification ran, whatever its outcome (`verified` says it); 400 with problem details for a malformed request. A challenge issued by /api/v1/challenges is required and single-use: none, one not issued here, or a replay is `verified: false` with INVALID_CHALLENGE_ERROR.",
                "parameters": [lang_parameter],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiablePresentation"],
                    "properties": {
                        "verifiablePresentation": {"type": "object", "description": "A presentation signed by its holder (Data Integrity)"},
                        "options": {"type": "object", "additionalProperties": false, "properties": {
                            "challenge": {"type": "string"}, "domain": {"type": "string"},
                            "returnPresentation": {"type": "boolean", "description": "Return the verified presentation"}
                        }}
                    }
                }}}},
                "responses": {
                    "200": {"description": "The verification result, verified or not", "content": {"application/json": {"schema": vcapi_result}}},
                    "400": {"description": "A malformed request", "content": {"application/problem+json": {"schema": request_problem}}}
                }
            }},
            "/api/v1/challenges": {"post": {
                "summary": "Issue a single-use, expiring challenge and a presentation request (with a QR code of it)",
                "responses": {
                    "201": {"description": "The challenge", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["challenge", "domain", "expires", "verifiablePresentationRequest"],
                        "properties": {
                            "challenge": {"type": "string"}, "domain": {"type": "string"},
                            "expires": {"type": "string", "format": "date-time"},
                            "verifiablePresentationRequest": {"type": "object"},
                            "qrSvg": {"type": ["string", "null"], "description": "An SVG QR code of the request, when it fits"}
                        }
                    }}}},
                    "503": json_error("No challenge can be made right now")
                }
            }},
            "/api/v1/scan": {"post": {
                "summary": "Read the QR codes in an image (a camera frame, a photo or a screenshot); decodes only, verifies nothing",
                "description": "The page's camera scanner posts a frame about every 400 ms when the browser cannot read QR codes itself. Each code found says what it carries; post a `document` or `link` code's text to /api/v1/verify as {\"qr\": text}. Nothing is kept.",
                "requestBody": {"required": true, "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/webp": {"schema": {"type": "string", "format": "binary"}},
                    "image/gif": {"schema": {"type": "string", "format": "binary"}},
                    "image/svg+xml": {"schema": {"type": "string"}}
                }},
                "responses": {
                    "200": {"description": "The codes found, in the order found (empty when the image shows none)", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["codes"],
                        "properties": {"codes": {"type": "array", "items": {
                            "type": "object", "required": ["text", "kind"],
                            "properties": {
                                "text": {"type": "string", "description": "The code's text, exactly as read"},
                                "kind": {"type": "string", "enum": ["document", "link", "unusable"], "description": "A credential or presentation (VC2:…, VC1:…, VP1-…, JSON, JWS), an http(s) link, or neither"},
                                "problem": {"type": "string", "description": "Why an `unusable` code cannot be verified"}
                            }
                        }}}
                    }}}},
                    "400": json_error("An empty body"),
                    "413": json_error("The image is larger than the caps (8 MiB, 48 megapixels, 16,384 pixels a side, 128 MiB decoded)"),
                    "422": json_error("The body is not an image this service can read"),
                    "503": busy
                }
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
            }}
        },
        "components": {"schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "description": "The one error shape of /api/v1 (the issuer's admin API answers the same).",
                "properties": {"error": {
                    "type": "object",
                    "required": ["code", "message", "field"],
                    "properties": {
                        "code": {"type": "string", "enum": ["invalid_field", "unreadable_input", "too_large", "busy", "unavailable", "invalid_request", "internal"]},
                        "message": {"type": "string"},
                        "field": {"type": ["string", "null"], "description": "The request member at fault, when one is."}
                    }
                }}
            },
            "Check": {"type": "object", "required": ["id", "outcome", "message", "code", "args", "required"], "properties": {
                "id": {"type": "string", "enum": ["proof", "verification_method", "json_ld", "data_model", "open_badges", "json_schema", "validity_period", "status", "challenge", "credentials", "holder_binding", "issuer_recognised"]},
                "outcome": {"type": "string", "enum": ["pass", "fail", "warning", "not_checked"]},
                "message": {"type": "string", "description": "The message in English"},
                "code": {"type": "string", "enum": MESSAGE_CODES, "description": "The message's stable code (translate it with its args)"},
                "args": {"type": "object", "additionalProperties": {"type": "string"}, "description": "The message's named arguments"},
                "details": {"type": "array", "items": {"type": "string"}, "description": "Supporting facts in English"},
                "detail_codes": {"type": "array", "description": "The same facts as codes, in the same order", "items": {
                    "type": "object", "required": ["code", "args"], "properties": {
                        "code": {"type": "string", "enum": MESSAGE_CODES},
                        "args": {"type": "object", "additionalProperties": {"type": "string"}},
                        "proof": {"type": "integer", "description": "Which proof (1-based) the fact is about, when there are several"}
                    }
                }},
                "required": {"type": "boolean"},
                "localized": {"type": "object", "description": "With ?lang= on /api/v1/verify", "properties": {
                    "lang": {"type": "string"}, "message": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "string"}}
                }}
            }},
            "Report": {"type": "object", "required": ["verdict", "kind", "secured_by", "checked_at", "checks"], "properties": {
                "verdict": {"type": "string", "enum": ["verified", "not_verified", "incomplete"]},
                "kind": {"type": "string", "enum": ["credential", "presentation"]},
                "secured_by": {"type": "string"},
                "checked_at": {"type": "string", "format": "date-time"},
                "checks": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}},
                "summary": {"type": "object"},
                "dates": {"type": "object", "description": "The dates a badge card shows: issued (the award date, awardedDate first), issued_from, signed"},
                "details": {"type": "object", "description": "What a reader needs beyond the summary: achievement_type, human_code, field_of_study, eqf_level, credits_available, credits_earned, language, alignments (name, url, framework, code, description, kind), results (name, value, status, achieved_level, result_type, value_min, value_max, required, unresolved_description), evidence, learner_name, activity_start, activity_end, tags, text_language (the language of the text read), offered_languages, related (id, language, version: the same achievement in other languages); absent members are not given"},
                "endorsements": {"type": "array", "items": {"type": "object"}, "description": "One nested report per embedded endorsement; never counts towards the verdict"},
                "credentials": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}
            }},
            "ProblemDetails": {"type": "object", "required": ["type", "title", "detail", "check", "messageCode"], "description": "RFC 9457 problem details. W3C types (VC Data Model, Data Integrity, Bitstring Status List) carry their integer code; Passerelle's own are urn:passerelle:problem:<message code>.", "properties": {
                "type": {"type": "string", "format": "uri"},
                "code": {"type": "integer"},
                "title": {"type": "string"},
                "detail": {"type": "string", "description": "The check's message, in the asked language"},
                "check": {"type": "string"},
                "messageCode": {"type": "string", "enum": MESSAGE_CODES},
                "credential": {"type": "integer", "description": "In a presentation: which credential (1-based)"}
            }},
            "RequestProblem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                "type": {"type": "string", "format": "uri"}, "code": {"type": "integer"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "field": {"type": "string", "description": "The request member at fault"}
            }},
            "VerificationResult": {"type": "object", "required": ["verified", "problemDetails", "errors", "warnings", "checks", "report"], "properties": {
                "verified": {"type": "boolean", "description": "False if and only if there is an error"},
                "problemDetails": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemDetails"}, "description": "Errors, then warnings"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemDetails"}},
                "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemDetails"}},
                "checks": {"type": "array", "items": {"type": "string"}, "description": "The checks that passed"},
                "results": {"type": "object", "description": "Presentations: challenge, domain, holder ({valid, input}) and proof ([{valid, input}])"},
                "verifiableCredential": {"type": "object", "description": "With options.returnCredential"},
                "verifiablePresentation": {"type": "object", "description": "With options.returnPresentation"},
                "report": {"$ref": "#/components/schemas/Report"}
            }}
        }}
    })
}
