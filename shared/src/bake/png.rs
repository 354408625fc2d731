//! Baked PNG images: the credential in an `iTXt` chunk with the keyword `openbadgecredential`;
//! chunks walked with CRCs checked, compressed text inflated under a cap.

use std::io::Read;

use super::{
    check_image_size, BakeError, BakedCredential, MAX_CREDENTIAL_BYTES, PNG_KEYWORD,
    PNG_MAX_CHUNK_LENGTH, PNG_SIGNATURE,
};

/// One chunk of a checked PNG datastream.
struct Chunk<'a> {
    /// Byte offset of the chunk (its length field) in the file.
    offset: usize,
    chunk_type: [u8; 4],
    data: &'a [u8],
    /// The whole chunk: length, type, data and CRC.
    raw: &'a [u8],
}

fn type_name(chunk_type: &[u8]) -> String {
    String::from_utf8_lossy(chunk_type).into_owned()
}

fn take<'a>(
    png: &'a [u8],
    offset: usize,
    needed: usize,
    what: &'static str,
) -> Result<&'a [u8], BakeError> {
    let available = png.len().saturating_sub(offset);
    if available < needed {
        return Err(BakeError::PngTruncated {
            what,
            offset,
            needed,
            available,
        });
    }
    Ok(&png[offset..offset + needed])
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Splits a PNG into chunks, checking the signature, every length, type and CRC, `IHDR` first,
/// `IEND` last and nothing after it.
fn png_chunks(png: &[u8]) -> Result<Vec<Chunk<'_>>, BakeError> {
    check_image_size(png.len())?;
    if !png.starts_with(&PNG_SIGNATURE) {
        return Err(BakeError::NotPng);
    }
    let mut chunks = Vec::new();
    let mut offset = PNG_SIGNATURE.len();
    loop {
        let header = take(png, offset, 8, "chunk header")?;
        let length = be_u32(&header[..4]);
        if length > PNG_MAX_CHUNK_LENGTH {
            return Err(BakeError::PngChunkTooLong { offset, length });
        }
        let chunk_type = [header[4], header[5], header[6], header[7]];
        if !chunk_type.iter().all(u8::is_ascii_alphabetic) {
            return Err(BakeError::PngBadChunkType {
                offset,
                chunk_type: type_name(&chunk_type),
            });
        }
        // `length` ≤ 2^31 - 1 fits in usize on every platform Rust supports with this crate.
        let length = length as usize;
        let body = take(png, offset + 8, length + 4, "chunk data and CRC")?;
        let data = &body[..length];
        let found = be_u32(&body[length..]);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&chunk_type);
        hasher.update(data);
        let computed = hasher.finalize();
        if found != computed {
            return Err(BakeError::PngBadCrc {
                chunk_type: type_name(&chunk_type),
                offset,
                found,
                computed,
            });
        }
        if chunks.is_empty() && &chunk_type != b"IHDR" {
            return Err(BakeError::PngNoIhdr {
                found: type_name(&chunk_type),
            });
        }
        let end = offset + 12 + length;
        chunks.push(Chunk {
            offset,
            chunk_type,
            data,
            raw: &png[offset..end],
        });
        offset = end;
        if &chunk_type == b"IEND" {
            if offset != png.len() {
                return Err(BakeError::PngDataAfterIend {
                    offset,
                    extra: png.len() - offset,
                });
            }
            return Ok(chunks);
        }
        if offset == png.len() {
            return Err(BakeError::PngNoIend);
        }
    }
}

/// The parts of an `iTXt` chunk (PNG §11.3.4.5).
struct Itxt<'a> {
    compressed: bool,
    text: &'a [u8],
}

fn parse_itxt(data: &[u8], offset: usize) -> Result<Itxt<'_>, BakeError> {
    let bad = |reason| BakeError::PngBadItxt { offset, reason };
    let nul = data
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the keyword"))?;
    let rest = &data[nul + 1..];
    let [flag, method, rest @ ..] = rest else {
        return Err(bad("it ends before the compression flag and method"));
    };
    let compressed = match flag {
        0 => false,
        1 => true,
        _ => return Err(bad("the compression flag is neither 0 nor 1")),
    };
    if compressed && *method != 0 {
        return Err(BakeError::PngUnknownCompression {
            offset,
            method: *method,
        });
    }
    let language_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the language tag"))?;
    let rest = &rest[language_end + 1..];
    let translated_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the translated keyword"))?;
    Ok(Itxt {
        compressed,
        text: &rest[translated_end + 1..],
    })
}

/// The credential chunk's parts if this is an `iTXt` chunk with the `openbadgecredential`
/// keyword. Other text chunks are not ours to judge: a malformed one is left alone.
fn is_credential_chunk<'a>(chunk: &Chunk<'a>) -> Result<Option<Itxt<'a>>, BakeError> {
    let keyword = chunk.data.split(|&b| b == 0).next().unwrap_or_default();
    if &chunk.chunk_type != b"iTXt" || keyword != PNG_KEYWORD.as_bytes() {
        return Ok(None);
    }
    let itxt = parse_itxt(chunk.data, chunk.offset)?;
    Ok(Some(itxt))
}

/// Finds the one credential chunk, if any; two are an error.
fn find_credential_chunk<'a>(chunks: &[Chunk<'a>]) -> Result<Option<(usize, Itxt<'a>)>, BakeError> {
    let mut found = None;
    for (index, chunk) in chunks.iter().enumerate() {
        if let Some(itxt) = is_credential_chunk(chunk)? {
            if found.is_some() {
                return Err(BakeError::DuplicateCredential {
                    image: "PNG",
                    location: format!("iTXt chunk at byte {}", chunk.offset),
                });
            }
            found = Some((index, itxt));
        }
    }
    Ok(found)
}

/// Extracts the credential of a baked PNG; `None` when it holds none. The whole file is
/// checked (CRCs, structure), and a second credential chunk is an error.
pub fn extract_png(png: &[u8]) -> Result<Option<BakedCredential>, BakeError> {
    let chunks = png_chunks(png)?;
    let Some((index, itxt)) = find_credential_chunk(&chunks)? else {
        return Ok(None);
    };
    let offset = chunks[index].offset;
    let bytes = if itxt.compressed {
        inflate_capped(itxt.text, offset)?
    } else {
        itxt.text.to_vec()
    };
    let text = String::from_utf8(bytes).map_err(|e| BakeError::CredentialNotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })?;
    BakedCredential::classify(&text).map(Some)
}

/// Inflates zlib data, stopping with an error past [`MAX_CREDENTIAL_BYTES`].
fn inflate_capped(compressed: &[u8], offset: usize) -> Result<Vec<u8>, BakeError> {
    let mut out = Vec::new();
    let cap = MAX_CREDENTIAL_BYTES as u64 + 1;
    flate2::read::ZlibDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BakeError::PngBadZlib {
            offset,
            message: e.to_string(),
        })?;
    if out.len() > MAX_CREDENTIAL_BYTES {
        return Err(BakeError::PngInflatesTooLarge {
            offset,
            limit: MAX_CREDENTIAL_BYTES,
        });
    }
    Ok(out)
}

/// Builds a whole chunk: length, type, data, CRC-32 of type and data.
fn build_chunk(chunk_type: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(chunk_type);
    hasher.update(data);
    let mut chunk = Vec::with_capacity(data.len() + 12);
    // Callers cap `data` at a few MiB, far below 2^31 - 1: the cast cannot truncate.
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(chunk_type);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&hasher.finalize().to_be_bytes());
    chunk
}

/// Bakes a credential (JSON text or compact JWS) into a PNG: one uncompressed `iTXt` chunk
/// with keyword `openbadgecredential` before the first `IDAT` (before `IEND` if there is none).
/// An existing credential chunk is replaced; every other chunk is kept byte for byte.
pub fn bake_png(png: &[u8], credential: &str) -> Result<Vec<u8>, BakeError> {
    let credential = BakedCredential::classify(credential)?;
    let chunks = png_chunks(png)?;
    let existing = find_credential_chunk(&chunks)?.map(|(index, _)| index);

    let mut data = Vec::with_capacity(PNG_KEYWORD.len() + 5 + credential.as_str().len());
    data.extend_from_slice(PNG_KEYWORD.as_bytes());
    // NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(credential.as_str().as_bytes());
    let new_chunk = build_chunk(b"iTXt", &data);

    let insert_at = chunks
        .iter()
        .position(|c| &c.chunk_type == b"IDAT" || &c.chunk_type == b"IEND")
        // png_chunks only returns a list that ends with IEND.
        .unwrap_or(chunks.len() - 1);
    let mut out = Vec::with_capacity(png.len() + new_chunk.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    for (index, chunk) in chunks.iter().enumerate() {
        if index == insert_at {
            out.extend_from_slice(&new_chunk);
        }
        if Some(index) != existing {
            out.extend_from_slice(chunk.raw);
        }
    }
    check_image_size(out.len())?;
    Ok(out)
}
