//! A raw deflate (RFC 1951) inflater, for the manifest the component embeds
//! deflated ([`crate::manifest::COMPRESSED`]) and inflates when `describe`
//! is called.
//!
//! It exists for its size. A general-purpose inflater (miniz_oxide's, with
//! its lookup tables, its streaming state machine and Adler-32) took some
//! 13 KB of the component to inflate 10 KB once per `describe`, where speed
//! does not matter. This one follows Mark Adler's `puff.c` (zlib's
//! `contrib/puff`), the reference inflater written to be read: a Huffman
//! code is kept as the number of codes of each length and its symbols in
//! code order, and decoded one bit at a time; the fixed codes are built
//! when a block uses them, and the length and distance bases are computed,
//! not kept as tables.
//!
//! Sans-IO: bytes in, bytes out. Whatever the input, it returns the output
//! or the reason there is none (a stream cut short, a code over-subscribed
//! or incomplete, a distance before the start of the output), and it never
//! grows the output past the limit it is given.

/// Why a deflate stream does not inflate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The input ends before its last block does.
    #[error("the compressed data ends early")]
    Truncated,
    /// A block header has type 3, which RFC 1951 reserves.
    #[error("a block has the reserved type 3")]
    BlockType,
    /// A stored block's length is not the complement of the one after it.
    #[error("a stored block's length does not match its complement")]
    StoredLength,
    /// A dynamic block's code lengths are out of range (more than 286
    /// literal/length or 30 distance codes, a repeat with nothing to
    /// repeat or past the last length, no end-of-block code), or make a
    /// code that is over-subscribed or incomplete (an incomplete code is
    /// allowed only as one code of one bit, as `puff.c` and zlib allow).
    #[error("a block's code lengths are out of range, over-subscribed or incomplete")]
    CodeLengths,
    /// The bits read are no code of the block's Huffman codes, or are the
    /// fixed code's length symbol 286 or 287, which RFC 1951 leaves unused.
    #[error("a block uses a code its Huffman codes do not define")]
    Code,
    /// A match's distance reaches back before the start of the output.
    #[error("a distance reaches back before the start of the output")]
    Distance,
    /// The output would be longer than the limit it was given.
    #[error("the output is longer than its limit")]
    Limit,
}

/// Inflates `input`, a raw deflate stream (RFC 1951: no zlib or gzip
/// wrapper), to at most `limit` bytes. Bytes after the last block are
/// ignored.
pub fn inflate(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut bits = Bits {
        input,
        buffer: 0,
        count: 0,
    };
    let mut out = Vec::new();
    // The codes of the block being read, built anew for each block.
    let mut literals = Huffman::EMPTY;
    let mut distances = Huffman::EMPTY;
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => stored(&mut bits, &mut out, limit)?,
            1 => {
                fixed(&mut literals, &mut distances);
                codes(&mut bits, &mut out, limit, &literals, &distances)?;
            }
            2 => {
                dynamic(&mut bits, &mut literals, &mut distances)?;
                codes(&mut bits, &mut out, limit, &literals, &distances)?;
            }
            _ => return Err(InflateError::BlockType),
        }
        if last {
            return Ok(out);
        }
    }
}

/// The input read as a stream of bits, each byte's least significant bit
/// first (RFC 1951 section 3.1.1).
struct Bits<'a> {
    /// The bytes not yet read.
    input: &'a [u8],
    /// Bits read and not yet taken, the next one lowest.
    buffer: u32,
    /// How many bits `buffer` holds: fewer than 8 between two takes, so
    /// they are the rest of the last byte read.
    count: u32,
}

impl Bits<'_> {
    /// The next `need` bits (at most 16), the first one lowest. Never
    /// inlined: a dozen call sites would each get a copy specialised to
    /// their count.
    #[inline(never)]
    fn take(&mut self, need: u32) -> Result<u32, InflateError> {
        // A byte is added only while `count` is below `need`, so the buffer
        // never holds more than 23 bits.
        while self.count < need {
            let (&byte, rest) = self.input.split_first().ok_or(InflateError::Truncated)?;
            self.input = rest;
            self.buffer |= u32::from(byte) << self.count;
            self.count += 8;
        }
        let value = self.buffer & ((1 << need) - 1);
        self.buffer >>= need;
        self.count -= need;
        Ok(value)
    }
}

/// Fails if `more` bytes would take `out` past `limit`.
fn room(out: &[u8], more: usize, limit: usize) -> Result<(), InflateError> {
    if more > limit.saturating_sub(out.len()) {
        return Err(InflateError::Limit);
    }
    Ok(())
}

/// A stored block (RFC 1951 section 3.2.4): from the next byte boundary, a
/// length, its complement, and that many bytes as they are.
fn stored(bits: &mut Bits<'_>, out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
    // The bits left in the buffer are the current byte's padding.
    bits.buffer = 0;
    bits.count = 0;
    let length = bits.take(16)?;
    if bits.take(16)? != !length & 0xffff {
        return Err(InflateError::StoredLength);
    }
    let (data, rest) = bits
        .input
        .split_at_checked(length as usize)
        .ok_or(InflateError::Truncated)?;
    room(out, data.len(), limit)?;
    out.extend_from_slice(data);
    bits.input = rest;
    Ok(())
}

/// A block's literals and matches, up to its end-of-block code (RFC 1951
/// section 3.2.5), decoded with its two codes.
fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    limit: usize,
    literals: &Huffman,
    distances: &Huffman,
) -> Result<(), InflateError> {
    loop {
        let symbol = literals.decode(bits)?;
        if let Ok(byte) = u8::try_from(symbol) {
            room(out, 1, limit)?;
            out.push(byte);
            continue;
        }
        let length = match symbol - 256 {
            0 => return Ok(()),
            29 => 258,
            code @ 1..29 => {
                let (base, extra) = base_and_extra(code - 1, 2);
                base + 3 + bits.take(extra)? as usize
            }
            _ => return Err(InflateError::Code),
        };
        // Every distance code has a symbol below 30: the dynamic codes have
        // at most 30 symbols, the fixed one exactly 30.
        let (base, extra) = base_and_extra(distances.decode(bits)?, 1);
        let distance = base + 1 + bits.take(extra)? as usize;
        let start = out.len().checked_sub(distance).ok_or(InflateError::Distance)?;
        room(out, length, limit)?;
        // A match may overlap its own output (a distance shorter than its
        // length repeats the last bytes), so it is copied a byte at a time.
        // `at` stays below `out.len()`: both move on by one each time.
        for at in start..start + length {
            let byte = out[at];
            out.push(byte);
        }
    }
}

/// The base and the number of extra bits of length code `code` (symbol
/// `257 + code`, `shift` 2) or of distance code `code` (`shift` 1), as RFC
/// 1951 section 3.2.5 tabulates them: after the first two groups of
/// `1 << shift` codes without extra bits, each group has one extra bit
/// more than the group before, and each code starts where the one before
/// it ends.
fn base_and_extra(code: u16, shift: u32) -> (usize, u32) {
    let code = usize::from(code);
    let group = 1 << shift;
    let extra = (code >> shift).saturating_sub(1);
    let base = if code < group {
        code
    } else {
        (group + (code & (group - 1))) << extra
    };
    (base, extra as u32)
}

/// The fixed codes of a block of type 1 (RFC 1951 section 3.2.6): literal
/// and length codes of 8, 9, 7 and 8 bits, distance codes of 5 bits.
fn fixed(literals: &mut Huffman, distances: &mut Huffman) {
    let mut lengths = [8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    literals.build(&lengths);
    distances.build(&[5; 30]);
}

/// The order in which a dynamic block gives the lengths of its code-length
/// code (RFC 1951 section 3.2.7).
const CODE_LENGTH_ORDER: [u8; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// Reads a dynamic block's two codes (RFC 1951 section 3.2.7): the number
/// of each kind of code, the code lengths of a code-length code, and the
/// literal/length and distance code lengths in that code, run-length
/// encoded.
fn dynamic(
    bits: &mut Bits<'_>,
    literal_code: &mut Huffman,
    distance_code: &mut Huffman,
) -> Result<(), InflateError> {
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let header = bits.take(4)? as usize + 4;
    if literals > 286 || distances > 30 {
        return Err(InflateError::CodeLengths);
    }
    let mut lengths = [0u8; 286 + 30];
    // Every symbol of the order is below 19.
    for &symbol in CODE_LENGTH_ORDER.iter().take(header) {
        lengths[usize::from(symbol)] = bits.take(3)? as u8;
    }
    // The code-length code, kept where the literal/length code goes next.
    let length_code = literal_code;
    if length_code.build(&lengths[..19]) != 0 {
        return Err(InflateError::CodeLengths);
    }
    let total = literals + distances;
    let mut index = 0;
    while index < total {
        let symbol = length_code.decode(bits)?;
        let (length, repeat) = match symbol {
            0..16 => (symbol as u8, 1),
            16 => {
                let previous = index
                    .checked_sub(1)
                    .and_then(|last| lengths.get(last))
                    .ok_or(InflateError::CodeLengths)?;
                (*previous, 3 + bits.take(2)?)
            }
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        let end = index + repeat as usize;
        if end > total {
            return Err(InflateError::CodeLengths);
        }
        lengths
            .get_mut(index..end)
            .ok_or(InflateError::CodeLengths)?
            .fill(length);
        index = end;
    }
    if lengths[256] == 0 {
        return Err(InflateError::CodeLengths);
    }
    let (literal_lengths, distance_lengths) = lengths[..total].split_at(literals);
    length_code.build_usable(literal_lengths)?;
    distance_code.build_usable(distance_lengths)
}

/// A canonical Huffman code (RFC 1951 section 3.2.2), kept as `puff.c`
/// keeps one.
struct Huffman {
    /// How many symbols have a code of each length (index 0: how many have
    /// none).
    counts: [u16; 16],
    /// The symbols that have a code, in the order of their codes: by code
    /// length, then by symbol.
    symbols: [u16; 288],
}

impl Huffman {
    /// A code with no symbols, to build codes in.
    const EMPTY: Self = Huffman {
        counts: [0; 16],
        symbols: [0; 288],
    };

    /// Makes this the code whose lengths are `lengths` (one per symbol, at
    /// most 288, each at most 15), and returns how many codes of 15 bits it
    /// leaves unused: 0 for a complete code, more for an incomplete one,
    /// less than 0 for an over-subscribed one (whose symbols are not filled
    /// in). Only the first of `symbols` that the counts add up to are
    /// written, and only they are read.
    fn build(&mut self, lengths: &[u8]) -> i32 {
        self.counts = [0; 16];
        for &length in lengths {
            if let Some(count) = self.counts.get_mut(usize::from(length)) {
                *count += 1;
            }
        }
        // Each length doubles the codes left and uses `count` of them.
        let mut left = 1i32;
        for &count in &self.counts[1..] {
            left = (left << 1) - i32::from(count);
            if left < 0 {
                return left;
            }
        }
        // Where each length's symbols start in `symbols`.
        let mut offsets = [0u16; 16];
        let mut offset = 0;
        for (start, &count) in offsets[1..].iter_mut().zip(&self.counts[1..]) {
            *start = offset;
            offset += count;
        }
        for (symbol, &length) in (0u16..).zip(lengths) {
            if length == 0 {
                continue;
            }
            if let Some(offset) = offsets.get_mut(usize::from(length)) {
                if let Some(slot) = self.symbols.get_mut(usize::from(*offset)) {
                    *slot = symbol;
                }
                *offset += 1;
            }
        }
        left
    }

    /// Makes this the code of a dynamic block's `lengths`, if it is complete
    /// or has only one code, of one bit (or none: a block of literals alone
    /// has no distance codes).
    fn build_usable(&mut self, lengths: &[u8]) -> Result<(), InflateError> {
        let left = self.build(lengths);
        let single = usize::from(self.counts[0] + self.counts[1]) == lengths.len();
        if left == 0 || (left > 0 && single) {
            Ok(())
        } else {
            Err(InflateError::CodeLengths)
        }
    }

    /// The next symbol in `bits`, read a bit at a time. The codes of each
    /// length are consecutive numbers, following on from the shorter ones
    /// (RFC 1951 section 3.2.2), so a code of `n` bits less the first code
    /// of `n` bits is its symbol's place among the symbols of `n` bits.
    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, InflateError> {
        // `code` is never below `first`: a code not of this length is at
        // least `first + count`, and both are doubled for the next length.
        let (mut code, mut first, mut index) = (0usize, 0usize, 0usize);
        for &count in &self.counts[1..] {
            code |= bits.take(1)? as usize;
            let count = usize::from(count);
            if code < first + count {
                return self
                    .symbols
                    .get(index + code - first)
                    .copied()
                    .ok_or(InflateError::Code);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(InflateError::Code)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::core::{
        compress_to_output, create_comp_flags_from_zip_params, CompressionStrategy, CompressorOxide,
        TDEFLFlush,
    };

    /// Deflates `data` at `level` with miniz_oxide, as `build.rs` does.
    fn deflate(data: &[u8], level: u8) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec(data, level)
    }

    /// Deflates `data` with miniz_oxide in fixed-code blocks only.
    fn deflate_fixed(data: &[u8]) -> Vec<u8> {
        let flags = create_comp_flags_from_zip_params(6, 0, CompressionStrategy::Fixed as i32);
        let mut compressor = CompressorOxide::new(flags);
        let mut out = Vec::new();
        compress_to_output(&mut compressor, data, TDEFLFlush::Finish, |chunk| {
            out.extend_from_slice(chunk);
            true
        });
        out
    }

    /// A deterministic stream of pseudo-random numbers (xorshift64).
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| (self.next() >> 32) as u8).collect()
        }

        /// Text of words drawn from a small vocabulary: matches at every
        /// distance, up to the whole 32 KB window.
        fn words(&mut self, len: usize) -> Vec<u8> {
            const WORDS: [&str; 12] = [
                "bucket ", "object ", "key ", "region ", "signed ", "the ", "of ", "a ", "upload ", "part ",
                "\n", "list ",
            ];
            let mut text = Vec::with_capacity(len + 8);
            while text.len() < len {
                let word = WORDS[(self.next() % WORDS.len() as u64) as usize];
                text.extend_from_slice(word.as_bytes());
            }
            text.truncate(len);
            text
        }
    }

    /// The samples: empty, one byte, runs, text, noise, the manifest.
    fn samples() -> Vec<(&'static str, Vec<u8>)> {
        let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
        vec![
            ("empty", Vec::new()),
            ("one byte", b"a".to_vec()),
            ("short", b"Deflate late".to_vec()),
            ("run of 300", vec![b'z'; 300]),
            ("run of 100,000", vec![0; 100_000]),
            ("two-byte run", b"ab".repeat(40_000)),
            ("words, 3,000", noise.words(3_000)),
            ("words, 150,000", noise.words(150_000)),
            ("noise, 70,000", noise.bytes(70_000)),
            ("noise then its repeat", {
                let mut data = noise.bytes(20_000);
                data.extend_from_within(..);
                data
            }),
            ("manifest", crate::manifest::MANIFEST.as_bytes().to_vec()),
        ]
    }

    /// Every sample compressed every way the tests use: levels 0 (stored
    /// blocks), 1, 6 and 10, and fixed codes only.
    fn compressed_samples() -> Vec<(String, Vec<u8>, Vec<u8>)> {
        let mut all = Vec::new();
        for (name, data) in samples() {
            for level in [0, 1, 6, 10] {
                all.push((
                    format!("{name} at level {level}"),
                    data.clone(),
                    deflate(&data, level),
                ));
            }
            all.push((
                format!("{name} in fixed codes"),
                data.clone(),
                deflate_fixed(&data),
            ));
        }
        all
    }

    /// Writes bits as deflate packs them, to hand-build blocks.
    #[derive(Default)]
    struct Writer {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        /// `count` bits of `value`, lowest first (header fields, extra bits).
        fn bits(&mut self, value: u32, count: u32) -> &mut Self {
            for bit in 0..count {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                if value >> bit & 1 == 1 {
                    *self.bytes.last_mut().unwrap() |= 1 << (self.bits % 8);
                }
                self.bits += 1;
            }
            self
        }

        /// A Huffman code of `length` bits: highest first.
        fn code(&mut self, code: u32, length: u32) -> &mut Self {
            for bit in (0..length).rev() {
                self.bits(code >> bit & 1, 1);
            }
            self
        }

        /// A literal/length symbol in the fixed code (RFC 1951 section 3.2.6).
        fn fixed(&mut self, symbol: u32) -> &mut Self {
            match symbol {
                0..=143 => self.code(0x30 + symbol, 8),
                144..=255 => self.code(0x190 + symbol - 144, 9),
                256..=279 => self.code(symbol - 256, 7),
                _ => self.code(0xc0 + symbol - 280, 8),
            }
        }

        /// A fixed block's header: last block, type 1.
        fn fixed_block() -> Self {
            let mut writer = Self::default();
            writer.bits(1, 1).bits(1, 2);
            writer
        }
    }

    #[test]
    fn the_embedded_manifest_inflates_to_the_file() {
        let text = inflate(crate::manifest::COMPRESSED, usize::MAX).unwrap();
        assert_eq!(text, crate::manifest::MANIFEST.as_bytes());
    }

    #[test]
    fn miniz_oxides_streams_inflate_to_their_data() {
        for (name, data, compressed) in compressed_samples() {
            let inflated = inflate(&compressed, data.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(inflated == data, "{name}: the output differs");
        }
    }

    #[test]
    fn the_samples_take_every_block_type() {
        let mut types = [false; 3];
        for (_, _, compressed) in compressed_samples() {
            let mut bits = Bits {
                input: &compressed,
                buffer: 0,
                count: 0,
            };
            bits.take(1).unwrap();
            types[bits.take(2).unwrap() as usize] = true;
        }
        assert_eq!(types, [true; 3], "stored, fixed, dynamic");
    }

    #[test]
    fn one_byte_over_the_limit_is_an_error() {
        for (name, data, compressed) in compressed_samples() {
            if data.is_empty() {
                assert_eq!(inflate(&compressed, 0), Ok(Vec::new()), "{name}");
                continue;
            }
            let limit = data.len() - 1;
            assert_eq!(inflate(&compressed, limit), Err(InflateError::Limit), "{name}");
        }
    }

    #[test]
    fn a_stream_cut_anywhere_is_truncated() {
        let mut noise = Noise(7);
        let text = noise.words(3_000);
        for compressed in [deflate(&text, 0), deflate(&text, 6), deflate_fixed(&text)] {
            for cut in 0..compressed.len() {
                assert_eq!(
                    inflate(&compressed[..cut], usize::MAX),
                    Err(InflateError::Truncated),
                    "cut at {cut} of {}",
                    compressed.len()
                );
            }
        }
    }

    /// Inflates `input` with this inflater and miniz_oxide's, and checks
    /// that they agree: the same bytes, or an error from both.
    fn agrees_with_miniz_oxide(input: &[u8], limit: usize) -> bool {
        let ours = inflate(input, limit);
        let theirs = miniz_oxide::inflate::decompress_to_vec_with_limit(input, limit);
        let agree = ours.as_ref().ok() == theirs.as_ref().ok();
        assert!(agree, "{input:02x?}: {ours:?} against {theirs:?}");
        ours.is_ok()
    }

    #[test]
    fn random_bytes_inflate_or_fail_as_miniz_oxide_does() {
        let mut noise = Noise(0x5eed);
        let mut outcomes = [0; 2];
        for round in 0..5_000 {
            let len = (noise.next() % 200) as usize;
            let mut input = noise.bytes(len);
            // Every third input starts with a dynamic block's header, which
            // random bytes rarely give, so that the code lengths are read.
            if round % 3 == 0 {
                if let Some(first) = input.first_mut() {
                    *first = (*first & !0b110) | 0b100;
                }
            }
            outcomes[usize::from(agrees_with_miniz_oxide(&input, 1 << 16))] += 1;
        }
        assert!(
            outcomes[0] > 0 && outcomes[1] > 0,
            "errors, streams: {outcomes:?}"
        );
    }

    #[test]
    fn damaged_streams_inflate_or_fail_as_miniz_oxide_does() {
        let mut noise = Noise(0xdead);
        let text = noise.words(5_000);
        for original in [deflate(&text, 6), deflate_fixed(&text)] {
            for _ in 0..2_000 {
                let mut damaged = original.clone();
                for _ in 0..1 + noise.next() % 3 {
                    let at = (noise.next() % damaged.len() as u64) as usize;
                    damaged[at] ^= 1 << (noise.next() % 8);
                }
                agrees_with_miniz_oxide(&damaged, 1 << 20);
            }
        }
    }

    #[test]
    fn a_hand_built_fixed_block_with_an_overlapping_match() {
        // "ab", then a match of 6 at distance 2 (length symbol 260, distance
        // code 1), then a match of 258 at distance 1 (symbol 285).
        let mut writer = Writer::fixed_block();
        writer.fixed(u32::from(b'a')).fixed(u32::from(b'b'));
        writer.fixed(260).code(1, 5);
        writer.fixed(285).code(0, 5);
        writer.fixed(256);
        let mut expected = b"abababab".to_vec();
        expected.extend([b'b'; 258]);
        assert_eq!(inflate(&writer.bytes, usize::MAX), Ok(expected));
    }

    #[test]
    fn lengths_and_distances_take_their_extra_bits() {
        // 300 bytes of noise, then a match of 29 (symbol 271: 27 and 2 extra
        // bits) at distance 257 (code 16: 257 and 7 extra bits).
        let data = Noise(3).bytes(300);
        let mut writer = Writer::fixed_block();
        for &byte in &data {
            writer.fixed(u32::from(byte));
        }
        writer.fixed(271).bits(2, 2).code(16, 5).bits(0, 7).fixed(256);
        let mut expected = data.clone();
        expected.extend_from_within(300 - 257..300 - 257 + 29);
        assert_eq!(inflate(&writer.bytes, usize::MAX), Ok(expected));
    }

    #[test]
    fn a_match_before_the_start_is_an_error() {
        let mut writer = Writer::fixed_block();
        writer.fixed(u32::from(b'a')).fixed(257).code(1, 5).fixed(256);
        assert_eq!(inflate(&writer.bytes, usize::MAX), Err(InflateError::Distance));
    }

    #[test]
    fn the_fixed_codes_unused_length_symbols_are_errors() {
        for symbol in [286, 287] {
            let mut writer = Writer::fixed_block();
            writer.fixed(symbol).code(0, 5).fixed(256);
            assert_eq!(inflate(&writer.bytes, usize::MAX), Err(InflateError::Code));
        }
    }

    #[test]
    fn block_type_3_is_an_error() {
        assert_eq!(inflate(&[0b111, 0, 0], usize::MAX), Err(InflateError::BlockType));
    }

    #[test]
    fn a_stored_block_checks_its_length() {
        assert_eq!(
            inflate(&[1, 3, 0, 0xfc, 0xff, b'a', b'b', b'c'], 3),
            Ok(b"abc".to_vec())
        );
        assert_eq!(
            inflate(&[1, 3, 0, 0xfc, 0xfe, b'a', b'b', b'c'], 3),
            Err(InflateError::StoredLength)
        );
        assert_eq!(
            inflate(&[1, 4, 0, 0xfb, 0xff, b'a', b'b', b'c'], 4),
            Err(InflateError::Truncated)
        );
    }

    #[test]
    fn an_over_subscribed_code_length_code_is_an_error() {
        // A dynamic block of 257 literal/length and 1 distance codes whose
        // code-length code gives four symbols a code of one bit.
        let mut writer = Writer::default();
        writer.bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4);
        for _ in 0..4 {
            writer.bits(1, 3);
        }
        assert_eq!(inflate(&writer.bytes, usize::MAX), Err(InflateError::CodeLengths));
    }

    #[test]
    fn too_many_distance_codes_is_an_error() {
        let mut writer = Writer::default();
        writer.bits(1, 1).bits(2, 2).bits(0, 5).bits(30, 5).bits(0, 4);
        assert_eq!(inflate(&writer.bytes, usize::MAX), Err(InflateError::CodeLengths));
    }

    #[test]
    fn the_limit_counts_stored_literal_and_match_bytes() {
        let stored = [1, 3, 0, 0xfc, 0xff, b'a', b'b', b'c'];
        assert_eq!(inflate(&stored, 2), Err(InflateError::Limit));
        let mut writer = Writer::fixed_block();
        writer.fixed(u32::from(b'a')).fixed(258).code(0, 5).fixed(256);
        assert_eq!(inflate(&writer.bytes, 5), Ok(b"aaaaa".to_vec()));
        assert_eq!(inflate(&writer.bytes, 4), Err(InflateError::Limit));
        assert_eq!(inflate(&writer.bytes, 0), Err(InflateError::Limit));
    }

    #[test]
    fn the_length_and_distance_bases_are_rfc_1951s() {
        const LENGTH_BASES: [usize; 28] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
            163, 195, 227,
        ];
        const LENGTH_EXTRA: [u32; 28] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
        ];
        const DISTANCE_BASES: [usize; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
            3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        for (code, (&base, &extra)) in (0u16..).zip(LENGTH_BASES.iter().zip(&LENGTH_EXTRA)) {
            assert_eq!(base_and_extra(code, 2), (base - 3, extra), "length code {code}");
        }
        for (code, &base) in (0u16..).zip(&DISTANCE_BASES) {
            let extra = u32::from(code.saturating_sub(2) / 2);
            assert_eq!(base_and_extra(code, 1), (base - 1, extra), "distance code {code}");
        }
    }
}
