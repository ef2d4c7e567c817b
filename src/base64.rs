//! Base64 (RFC 4648 section 4: the standard alphabet, with `=` padding),
//! encoding only: the `Content-MD5` of an upload or a Delete Multiple
//! Objects request, and a presigned POST's policy. The connector never
//! decodes Base64.
//!
//! Written here for its size: the `base64` crate's engine (configurable
//! alphabets and padding, decoding) took 2.3 KB of the component for these
//! few encodings of at most some kilobytes. In the wire crate, built for
//! speed, since every single PUT encodes its `Content-MD5` with it.

/// The standard alphabet, indexed by a 6-bit value.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in Base64, padded with `=` to a multiple of four characters.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |at: usize| chunk.get(at).copied().map_or(0, u32::from);
        let group = byte(0) << 16 | byte(1) << 8 | byte(2);
        // A chunk of n bytes gives n + 1 characters, then padding.
        for at in 0..4 {
            let character = if at <= chunk.len() {
                // Six bits, so an index of the alphabet.
                char::from(ALPHABET[(group >> (18 - 6 * at) & 0x3f) as usize])
            } else {
                '='
            };
            out.push(character);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine as _;

    #[test]
    fn the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, encoded) in vectors {
            assert_eq!(encode(text.as_bytes()), encoded, "{text}");
        }
    }

    #[test]
    fn every_length_and_byte_as_the_base64_crate_encodes_them() {
        // Every byte value in each position of a group, at lengths that
        // end with each amount of padding.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for length in 0..200 {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect();
            let theirs = ::base64::engine::general_purpose::STANDARD.encode(&bytes);
            assert_eq!(encode(&bytes), theirs, "{bytes:?}");
        }
        let every: Vec<u8> = (0..=255).collect();
        for start in 0..3 {
            let bytes = &every[start..];
            assert_eq!(
                encode(bytes),
                ::base64::engine::general_purpose::STANDARD.encode(bytes)
            );
        }
    }
}
