#!/usr/bin/env python3
"""Builds the VC2 QR form's preset dictionary, shared/src/qr/vc2-dictionary.txt (issue 17).

The file is FIXED FOREVER once published: every VC2 code depends on its exact bytes, and a test
pins its SHA-256. This script records how it was made; rerunning it must give the same bytes
(it reads only the bundled context files, which are pinned by hash too). A different dictionary
would be a new prefix (VC3:), never a new VC2 file.

    python3 scripts/vc2-dictionary.py > shared/src/qr/vc2-dictionary.txt

Layout, farthest from the document first (DEFLATE codes nearer matches in fewer bits, so the
likeliest strings come last):
1. every type name (capitalised term) defined in the bundled OB 3.0.3, VC 2.0, Data Integrity v2,
   Bitstring Status List v1 and Multikey v1 contexts, as "Name", in the order they appear;
2. every property term of those contexts, as "term":, in the order they appear;
3. a generic OB 3.0 AchievementCredential skeleton: the context URLs and the properties the
   OB 3.0 specification's examples use, nested as there, with empty values (only values that
   nearly every OB 3.0 credential has are filled: the credential types, hashed email identity,
   the OB JSON Schema, a revocation status entry, Data Integrity proofs for eddsa-rdfc-2022 and
   eddsa-jcs-2022). It holds no text of any real or sample badge.
Everything is generic vocabulary of the standards: nothing is taken from a credential.
"""
import json
import os
import sys

FILES = os.path.join(os.path.dirname(__file__), "..", "shared", "contexts", "files")
CONTEXTS = [  # least likely first
    "multikey-v1.jsonld",
    "bitstring-status-list-v1.jsonld",
    "data-integrity-v2.jsonld",
    "credentials-v2.jsonld",
    "ob-v3p0-context-3.0.3.json",
]


def walk(context, terms, types):
    if isinstance(context, list):
        for item in context:
            walk(item, terms, types)
    elif isinstance(context, dict):
        for key, value in context.items():
            if key.startswith("@"):
                continue
            (types if key[0].isupper() or key[0].isdigit() else terms).append(key)
            if isinstance(value, dict) and "@context" in value:
                walk(value["@context"], terms, types)


def unique(items):
    seen = set()
    return [x for x in items if not (x in seen or seen.add(x))]


SKELETON = (
    '{"@context":["https://www.w3.org/ns/credentials/v2",'
    '"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",'
    '"https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",'
    '"https://w3id.org/security/data-integrity/v2"],'
    '"id":"urn:uuid:","type":["VerifiableCredential","OpenBadgeCredential"],"name":"",'
    '"description":"","image":{"id":"https://","type":"Image","caption":""},'
    '"issuer":{"id":"did:web:","type":["Profile"],"name":"","url":"https://","email":"",'
    '"description":"","image":{"id":"https://","type":"Image","caption":""}},'
    '"validFrom":"T00:00:00Z","validUntil":"T00:00:00Z","awardedDate":"T00:00:00Z",'
    '"credentialSubject":{"id":"did:key:z6Mk","type":["AchievementSubject"],'
    '"identifier":[{"type":"IdentityObject","identityHash":"sha256$","identityType":'
    '"emailAddress","hashed":true,"salt":""}],'
    '"achievement":{"id":"https://","type":["Achievement"],"achievementType":"",'
    '"name":"","description":"","criteria":{"id":"https://","narrative":""},'
    '"image":{"id":"https://","type":"Image","caption":""},"creator":{"id":"https://",'
    '"type":["Profile"],"name":""},"alignment":[{"type":["Alignment"],"targetType":'
    '"ceasn:Competency","targetName":"","targetUrl":"https://","targetDescription":"",'
    '"targetFramework":"","targetCode":""}],"creditsAvailable":,"fieldOfStudy":"",'
    '"humanCode":"","inLanguage":"","tag":[""],"resultDescription":[{"id":"https://",'
    '"type":["ResultDescription"],"name":"","resultType":"","valueMin":"",'
    '"valueMax":"","requiredValue":""}]},"creditsEarned":,"activityStartDate":"",'
    '"activityEndDate":"","result":[{"type":["Result"],"resultDescription":"https://",'
    '"value":"","status":""}]},'
    '"evidence":[{"id":"https://","type":["Evidence"],"name":"","description":"",'
    '"narrative":"","genre":"","audience":""}],'
    '"credentialSchema":[{"id":"https://purl.imsglobal.org/spec/ob/v3p0/schema/json/'
    'ob_v3p0_achievementcredential_schema.json","type":"1EdTechJsonSchemaValidator2019"}],'
    '"credentialStatus":{"id":"https://#","type":"BitstringStatusListEntry",'
    '"statusPurpose":"revocation","statusListIndex":"","statusListCredential":"https://"},'
    '"endorsement":[{"@context":["https://www.w3.org/ns/credentials/v2",'
    '"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],"id":"urn:uuid:",'
    '"type":["VerifiableCredential","EndorsementCredential"],"credentialSubject":'
    '{"id":"https://","type":["EndorsementSubject"],"endorsementComment":""}}],'
    '"proof":[{"type":"DataIntegrityProof","created":"T00:00:00Z","verificationMethod":'
    '"did:web:#key-1","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod",'
    '"proofValue":"z"}],'
    '"proof":{"type":"DataIntegrityProof","created":"T00:00:00Z","verificationMethod":'
    '"did:key:z6Mk#z6Mk","cryptosuite":"eddsa-rdfc-2022","proofPurpose":"assertionMethod",'
    '"proofValue":"z"}}'
)


def main():
    terms, types = [], []
    for name in CONTEXTS:
        with open(os.path.join(FILES, name), encoding="utf-8") as f:
            walk(json.load(f)["@context"], terms, types)
    out = "".join(f'"{t}",' for t in unique(types))
    out += "".join(f'"{t}":' for t in unique(terms))
    out += SKELETON
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
