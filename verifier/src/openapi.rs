//! The OpenAPI 3.1 document of the JSON API (`GET /api/v1/openapi.json`). A test checks that it
//! describes exactly the API routes the router serves.

use serde_json::{json, Value};

/// The document; `domain` is the domain presentations must be bound to.
pub fn document(domain: &str) -> Value {
    let report = json!({"$ref": "#/components/schemas/Report"});
    let error = json!({"$ref": "#/components/schemas/Error"});
    let json_error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    let vcapi_result = json!({"$ref": "#/components/schemas/VerificationResult"});
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
                    {"name": "challenge", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The challenge a presentation must answer (single-use if issued by /api/v1/challenges)."},
                    {"name": "domain", "in": "query", "required": false, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"type": "object", "description": "A credential or presentation"},
                        {"type": "object", "required": ["qr"], "properties": {"qr": {"type": "string", "description": "VC1:… compact form or an https link"}}, "additionalProperties": false}
                    ]}},
                    "application/jwt": {"schema": {"type": "string", "description": "A compact JWS (vc+jwt)"}},
                    "image/png": {"schema": {"type": "string", "format": "binary", "description": "A baked badge or a photo of a QR code"}}
                }},
                "responses": {
                    "200": {"description": "The verification report (whatever the verdict)", "content": {"application/json": {"schema": report}}},
                    "400": json_error("A malformed request; `field` names the field at fault"),
                    "413": json_error("The body is larger than the cap"),
                    "422": json_error("The input is not a credential this service can read")
                }
            }},
            "/credentials/verify": {"post": {
                "summary": "W3C VC-API: verify a credential",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiableCredential"],
                    "properties": {"verifiableCredential": {"oneOf": [{"type": "object"}, {"type": "string"}]}, "options": {"type": "object"}}
                }}}},
                "responses": {
                    "200": {"description": "Verified", "content": {"application/json": {"schema": vcapi_result}}},
                    "400": {"description": "Not verified (with the checks), or a malformed request", "content": {"application/json": {"schema": {"oneOf": [vcapi_result, error]}}}},
                    "422": json_error("The input is not a credential this service can read")
                }
            }},
            "/presentations/verify": {"post": {
                "summary": "W3C VC-API: verify a presentation, with its challenge and domain",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiablePresentation"],
                    "properties": {
                        "verifiablePresentation": {"type": "object"},
                        "options": {"type": "object", "properties": {"challenge": {"type": "string"}, "domain": {"type": "string"}}}
                    }
                }}}},
                "responses": {
                    "200": {"description": "Verified", "content": {"application/json": {"schema": vcapi_result}}},
                    "400": {"description": "Not verified (with the checks; a replayed challenge fails), or a malformed request", "content": {"application/json": {"schema": {"oneOf": [vcapi_result, error]}}}},
                    "422": json_error("The input is not a presentation this service can read")
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
                    "503": json_error("Too many open challenges")
                }
            }},
            "/api/v1/scan": {"post": {
                "summary": "Read the QR codes in an image (a camera frame, a photo or a screenshot); decodes only, verifies nothing",
                "description": "The page's camera scanner posts a frame about every 400 ms when the browser cannot read QR codes itself. Each code found says what it carries; post a `document` or `link` code's text to /api/v1/verify as {\"qr\": text}. Nothing is kept.",
                "requestBody": {"required": true, "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/webp": {"schema": {"type": "string", "format": "binary"}},
                    "image/gif": {"schema": {"type": "string", "format": "binary"}}
                }},
                "responses": {
                    "200": {"description": "The codes found, in the order found (empty when the image shows none)", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["codes"],
                        "properties": {"codes": {"type": "array", "items": {
                            "type": "object", "required": ["text", "kind"],
                            "properties": {
                                "text": {"type": "string", "description": "The code's text, exactly as read"},
                                "kind": {"type": "string", "enum": ["document", "link", "unusable"], "description": "A credential or presentation (VC1:…, JSON, JWS), an http(s) link, or neither"},
                                "problem": {"type": "string", "description": "Why an `unusable` code cannot be verified"}
                            }
                        }}}
                    }}}},
                    "400": json_error("An empty body"),
                    "413": json_error("The image is larger than the caps (8 MiB, 48 megapixels)"),
                    "422": json_error("The body is not an image this service can read")
                }
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
            }}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "field": {"type": "string"}}},
            "Check": {"type": "object", "required": ["id", "outcome", "message", "required"], "properties": {
                "id": {"type": "string", "enum": ["proof", "verification_method", "json_ld", "data_model", "open_badges", "json_schema", "validity_period", "status", "challenge", "credentials", "issuer_recognised"]},
                "outcome": {"type": "string", "enum": ["pass", "fail", "warning", "not_checked"]},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "string"}},
                "required": {"type": "boolean"}
            }},
            "Report": {"type": "object", "required": ["verdict", "kind", "secured_by", "checked_at", "checks"], "properties": {
                "verdict": {"type": "string", "enum": ["verified", "not_verified", "incomplete"]},
                "kind": {"type": "string", "enum": ["credential", "presentation"]},
                "secured_by": {"type": "string"},
                "checked_at": {"type": "string", "format": "date-time"},
                "checks": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}},
                "summary": {"type": "object"},
                "credentials": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}
            }},
            "VerificationResult": {"type": "object", "required": ["verified", "checks", "warnings", "errors"], "properties": {
                "verified": {"type": "boolean"},
                "checks": {"type": "array", "items": {"type": "string"}},
                "warnings": {"type": "array", "items": {"type": "object"}},
                "errors": {"type": "array", "items": {"type": "object"}},
                "report": {"$ref": "#/components/schemas/Report"}
            }}
        }}
    })
}
