//! A strict reader for the CBOR (RFC 8949) that a CBOR-LD payload is made of: definite lengths
//! only, no tags (the CBOR-LD tag is read by the caller), no simple values but `false`, `true`
//! and `null`, every byte consumed. Nesting and item counts are capped, so hostile input costs
//! at most linear work and never overflows the stack.

use super::Vp1Error;

/// Deepest nesting of arrays and maps read.
pub(super) const MAX_DEPTH: usize = 48;
/// Most data items one payload may hold (a QR code holds under 3,000 bytes, at least one byte an
/// item).
const MAX_ITEMS: usize = 8_192;

/// One CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cbor {
    Uint(u64),
    /// A negative integer, `-1 - n` for the stored `n`.
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    /// Entries in the order they were written; keys are unique (checked on reading).
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
    Float(f64),
}

impl Cbor {
    /// The item's kind, for error messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Cbor::Uint(_) | Cbor::Negative(_) => "integer",
            Cbor::Bytes(_) => "byte string",
            Cbor::Text(_) => "text string",
            Cbor::Array(_) => "array",
            Cbor::Map(_) => "map",
            Cbor::Bool(_) => "boolean",
            Cbor::Null => "null",
            Cbor::Float(_) => "floating-point number",
        }
    }

    /// The value of a map entry with key `key`.
    pub(super) fn get(entries: &[(Cbor, Cbor)], key: u64) -> Option<&Cbor> {
        entries
            .iter()
            .find(|(k, _)| *k == Cbor::Uint(key))
            .map(|(_, v)| v)
    }
}

/// Reads exactly one item from `bytes` (trailing bytes are an error).
pub(super) fn read(bytes: &[u8]) -> Result<Cbor, Vp1Error> {
    let mut reader = Reader {
        bytes,
        offset: 0,
        items: 0,
    };
    let item = reader.item(0)?;
    if reader.offset != bytes.len() {
        return Err(Vp1Error::Cbor {
            offset: reader.offset,
            reason: "bytes follow the CBOR-LD document",
        });
    }
    Ok(item)
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
    items: usize,
}

impl Reader<'_> {
    fn fail<T>(&self, reason: &'static str) -> Result<T, Vp1Error> {
        Err(Vp1Error::Cbor {
            offset: self.offset,
            reason,
        })
    }

    fn byte(&mut self) -> Result<u8, Vp1Error> {
        let Some(&b) = self.bytes.get(self.offset) else {
            return self.fail("the data ends inside an item");
        };
        self.offset += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], Vp1Error> {
        let start = self.offset;
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return self.fail("a length runs past the end of the data");
        };
        self.offset = end;
        Ok(&self.bytes[start..end])
    }

    /// The argument of an item head whose low five bits are `info`.
    fn argument(&mut self, info: u8) -> Result<u64, Vp1Error> {
        let width = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return self.fail("indefinite lengths are not used by CBOR-LD"),
            _ => return self.fail("reserved additional information in an item head"),
        };
        let bytes = self.take(width)?;
        Ok(bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
    }

    fn item(&mut self, depth: usize) -> Result<Cbor, Vp1Error> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(Vp1Error::TooComplex {
                what: "data items",
                max: MAX_ITEMS,
            });
        }
        let head = self.byte()?;
        let (major, info) = (head >> 5, head & 0x1f);
        if major == 7 {
            return self.simple(info);
        }
        let argument = self.argument(info)?;
        match major {
            0 => Ok(Cbor::Uint(argument)),
            1 => Ok(Cbor::Negative(argument)),
            2 => Ok(Cbor::Bytes(self.take(argument)?.to_vec())),
            3 => {
                let bytes = self.take(argument)?;
                match std::str::from_utf8(bytes) {
                    Ok(text) => Ok(Cbor::Text(text.to_owned())),
                    Err(_) => self.fail("a text string is not UTF-8"),
                }
            }
            4 | 5 => {
                if depth >= MAX_DEPTH {
                    return Err(Vp1Error::TooComplex {
                        what: "levels of nesting",
                        max: MAX_DEPTH,
                    });
                }
                // Each entry takes at least one byte, so a count larger than what is left is
                // a lie: refuse it before reserving anything.
                let remaining = (self.bytes.len() - self.offset) as u64;
                if argument > remaining {
                    return self.fail("a count runs past the end of the data");
                }
                let count = argument as usize;
                if major == 4 {
                    let mut items = Vec::with_capacity(count);
                    for _ in 0..count {
                        items.push(self.item(depth + 1)?);
                    }
                    Ok(Cbor::Array(items))
                } else {
                    let mut entries: Vec<(Cbor, Cbor)> = Vec::with_capacity(count);
                    for _ in 0..count {
                        let key = self.item(depth + 1)?;
                        if entries.iter().any(|(k, _)| *k == key) {
                            return self.fail("a map has the same key twice");
                        }
                        let value = self.item(depth + 1)?;
                        entries.push((key, value));
                    }
                    Ok(Cbor::Map(entries))
                }
            }
            _ => self.fail("CBOR tags are not used inside a CBOR-LD document"),
        }
    }

    fn simple(&mut self, info: u8) -> Result<Cbor, Vp1Error> {
        match info {
            20 => Ok(Cbor::Bool(false)),
            21 => Ok(Cbor::Bool(true)),
            22 => Ok(Cbor::Null),
            25 => {
                let bytes = self.take(2)?;
                Ok(Cbor::Float(half_to_f64(u16::from_be_bytes([
                    bytes[0], bytes[1],
                ]))))
            }
            26 => {
                let bytes = self.take(4)?;
                let bits = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                Ok(Cbor::Float(f64::from(f32::from_bits(bits))))
            }
            27 => {
                let bytes = self.take(8)?;
                let mut raw = [0u8; 8];
                raw.copy_from_slice(bytes);
                Ok(Cbor::Float(f64::from_bits(u64::from_be_bytes(raw))))
            }
            23 => self.fail("`undefined` has no JSON equivalent"),
            _ => self.fail("a CBOR simple value other than false, true or null"),
        }
    }
}

/// An IEEE 754 half-precision number (RFC 8949 appendix D).
fn half_to_f64(half: u16) -> f64 {
    let exponent = i32::from((half >> 10) & 0x1f);
    let mantissa = f64::from(half & 0x3ff);
    let magnitude = match exponent {
        0 => mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (mantissa + 1024.0) * 2f64.powi(exponent - 25),
    };
    if half & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_items_cborg_writes() {
        // {100: [1, "a", h'7a00'], 101: -5, 0: true, 2: null, 4: 1.5}
        let bytes = [
            0xa5, 0x18, 0x64, 0x83, 0x01, 0x61, b'a', 0x42, 0x7a, 0x00, 0x18, 0x65, 0x24, 0x00,
            0xf5, 0x02, 0xf6, 0x04, 0xf9, 0x3e, 0x00,
        ];
        let Cbor::Map(entries) = read(&bytes).unwrap() else {
            panic!("a map")
        };
        assert_eq!(
            Cbor::get(&entries, 100),
            Some(&Cbor::Array(vec![
                Cbor::Uint(1),
                Cbor::Text("a".into()),
                Cbor::Bytes(vec![0x7a, 0])
            ]))
        );
        assert_eq!(Cbor::get(&entries, 101), Some(&Cbor::Negative(4)));
        assert_eq!(Cbor::get(&entries, 4), Some(&Cbor::Float(1.5)));
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        for bytes in [
            &[][..],
            &[0x18],
            &[0x5f],
            &[0x9f, 0xff],
            &[0x85, 0x01],
            &[0x62, 0xff, 0xfe],
            &[0xa2, 0x01, 0x02, 0x01, 0x03],
            &[0xc1, 0x01],
            &[0xf7],
            &[0x01, 0x02],
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(read(bytes).is_err(), "{bytes:02x?} should not read");
        }
        let deep = vec![0x81; MAX_DEPTH + 2];
        assert!(matches!(read(&deep), Err(Vp1Error::TooComplex { .. })));
    }
}
