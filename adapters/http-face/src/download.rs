//! How `POST /v1/get-object` reads an object: one ranged GET of at most
//! [`FIRST_READ`] bytes first, whose answer gives the object's length, type
//! and ETag as well as its first bytes. An object (or a range) that fits is
//! answered from that one request; a larger one has those bytes sent first
//! and the rest streamed after them, pinned to the same version.
//!
//! Before, every download was headed first and then read: two requests to
//! S3, where most workflow objects fit in one. Sans-IO: the plan is worked
//! out here from numbers, and `component.rs` does the reading.

use std::ops::Range;

/// The most bytes the first request asks for. They pass through the
/// connector's and the face's memory (a streamed read does not), so this
/// bounds what a download holds at once; most objects a workflow reads
/// are smaller.
pub const FIRST_READ: u64 = 256 * 1024;

/// The bytes a download asks for: `from` to `to` inclusive, or to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The first byte.
    pub from: u64,
    /// The last byte, if not the object's end.
    pub to: Option<u64>,
    /// Whether the caller gave a range (the answer is then a 206 with a
    /// `Content-Range`).
    pub ranged: bool,
}

impl Wanted {
    /// The whole object.
    pub const WHOLE: Wanted = Wanted {
        from: 0,
        to: None,
        ranged: false,
    };

    /// The range the first request asks for: at most [`FIRST_READ`] bytes
    /// from `from`; `None` when the range is empty (`to` before `from`),
    /// which only a head can refuse in the caller's words.
    pub fn first_request(&self) -> Option<(u64, u64)> {
        let last = self.from.saturating_add(FIRST_READ - 1);
        match self.to {
            Some(to) if to < self.from => None,
            Some(to) => Some((self.from, to.min(last))),
            None => Some((self.from, last)),
        }
    }
}

/// What the first request brought: `received` bytes from `start` of an
/// object of `total` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The offset of the first byte received.
    pub start: u64,
    /// How many bytes came.
    pub received: u64,
    /// The object's length.
    pub total: u64,
}

impl Received {
    /// From the answer's `Content-Range` (a 206), or, without one, a 200
    /// whose body is the whole object (a server that ignores `Range`).
    /// `None` when the header cannot be read or does not match the bytes.
    pub fn from_answer(content_range: Option<&str>, received: u64) -> Option<Received> {
        let Some(text) = content_range else {
            return Some(Received {
                start: 0,
                received,
                total: received,
            });
        };
        let (first, last, total) = parse_content_range(text)?;
        (last.checked_sub(first)?.checked_add(1)? == received && last < total).then_some(Received {
            start: first,
            received,
            total,
        })
    }
}

/// `bytes FIRST-LAST/TOTAL` as numbers.
pub fn parse_content_range(text: &str) -> Option<(u64, u64, u64)> {
    let rest = text.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let number = |s: &str| s.trim().parse::<u64>().ok();
    Some((number(first)?, number(last)?, number(total)?))
}

/// What a download answers for what it asks of an object of a known
/// length, wherever the length came from (the first request, or a head).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// 200, or 206 for a range the caller gave.
    pub status: u16,
    /// The answer's last byte in the object; `None` when it sends none (a
    /// whole object that is empty).
    pub end: Option<u64>,
    /// The answer's `Content-Length`.
    pub length: u64,
    /// The answer's `Content-Range`, for a range the caller gave.
    pub content_range: Option<String>,
}

/// Why a range the caller gave has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unanswerable {
    /// It starts at or past the object's end (416).
    PastEnd,
    /// It ends before it starts.
    Reversed,
}

/// The answer to `wanted` from an object of `total` bytes: the range cut
/// to the object's end.
pub fn answer(wanted: &Wanted, total: u64) -> Result<Answer, Unanswerable> {
    let Some(last) = total.checked_sub(1) else {
        // Only the whole of an empty object has an answer: no bytes.
        return match wanted.ranged {
            true => Err(Unanswerable::PastEnd),
            false => Ok(Answer {
                status: 200,
                end: None,
                length: 0,
                content_range: None,
            }),
        };
    };
    if wanted.from > last {
        return Err(Unanswerable::PastEnd);
    }
    let end = wanted.to.map_or(last, |to| to.min(last));
    if end < wanted.from {
        return Err(Unanswerable::Reversed);
    }
    Ok(Answer {
        status: if wanted.ranged { 206 } else { 200 },
        end: Some(end),
        length: end - wanted.from + 1,
        content_range: wanted
            .ranged
            .then(|| format!("bytes {}-{end}/{total}", wanted.from)),
    })
}

/// The answer to a download, worked out from its first request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The status, length and `Content-Range`.
    pub answer: Answer,
    /// Which of the received bytes are sent first.
    pub first: Range<usize>,
    /// The bytes still to read after them, inclusive, if any.
    pub rest: Option<(u64, u64)>,
}

/// The plan for `wanted`, given what the first request `got`; `None` when
/// it cannot say (an empty object, a range past the end, bytes that do not
/// start where they were asked to), and a head decides instead.
pub fn plan(wanted: &Wanted, got: &Received) -> Option<Plan> {
    let answer = answer(wanted, got.total).ok()?;
    let end = answer.end?;
    if got.start > wanted.from {
        return None;
    }
    // The received bytes run from `got.start` to `have_end` inclusive.
    let have_end = got.start.checked_add(got.received)?.checked_sub(1)?;
    if have_end < wanted.from {
        return None;
    }
    let skip = usize::try_from(wanted.from - got.start).ok()?;
    let keep_end = usize::try_from(end.min(have_end) - got.start + 1).ok()?;
    let rest = (have_end < end).then_some((have_end + 1, end));
    Some(Plan {
        answer,
        first: skip..keep_end,
        rest,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ranged(from: u64, to: Option<u64>) -> Wanted {
        Wanted {
            from,
            to,
            ranged: true,
        }
    }

    #[test]
    fn the_first_request_asks_for_at_most_first_read_bytes() {
        assert_eq!(Wanted::WHOLE.first_request(), Some((0, FIRST_READ - 1)));
        assert_eq!(ranged(10, Some(19)).first_request(), Some((10, 19)));
        assert_eq!(ranged(10, None).first_request(), Some((10, 10 + FIRST_READ - 1)));
        assert_eq!(ranged(10, Some(9)).first_request(), None);
        assert_eq!(ranged(u64::MAX, None).first_request(), Some((u64::MAX, u64::MAX)));
    }

    #[test]
    fn content_range_is_read_and_checked_against_the_bytes() {
        assert_eq!(parse_content_range("bytes 0-9/100"), Some((0, 9, 100)));
        assert_eq!(parse_content_range("bytes */100"), None);
        assert_eq!(parse_content_range("bytes 0-9/*"), None);
        assert_eq!(
            Received::from_answer(Some("bytes 5-14/20"), 10),
            Some(Received {
                start: 5,
                received: 10,
                total: 20
            })
        );
        // Ten bytes announced, nine came; a range past the total.
        assert_eq!(Received::from_answer(Some("bytes 5-14/20"), 9), None);
        assert_eq!(Received::from_answer(Some("bytes 5-24/20"), 20), None);
        // A 200 without one: the whole object.
        assert_eq!(
            Received::from_answer(None, 7),
            Some(Received {
                start: 0,
                received: 7,
                total: 7
            })
        );
    }

    #[test]
    fn a_small_object_is_answered_from_the_first_request() {
        let got = Received {
            start: 0,
            received: 1024,
            total: 1024,
        };
        assert_eq!(
            plan(&Wanted::WHOLE, &got),
            Some(Plan {
                answer: Answer {
                    status: 200,
                    end: Some(1023),
                    length: 1024,
                    content_range: None,
                },
                first: 0..1024,
                rest: None,
            })
        );
    }

    #[test]
    fn a_large_object_streams_what_the_first_request_did_not_bring() {
        let got = Received {
            start: 0,
            received: FIRST_READ,
            total: 10 * FIRST_READ,
        };
        let plan = plan(&Wanted::WHOLE, &got).unwrap();
        assert_eq!(plan.answer.status, 200);
        assert_eq!(plan.answer.length, 10 * FIRST_READ);
        assert_eq!(plan.first, 0..FIRST_READ as usize);
        assert_eq!(plan.rest, Some((FIRST_READ, 10 * FIRST_READ - 1)));
    }

    #[test]
    fn a_range_is_a_206_cut_to_the_object() {
        let got = Received {
            start: 1000,
            received: 1000,
            total: 5000,
        };
        let planned = plan(&ranged(1000, Some(1999)), &got).unwrap();
        assert_eq!(planned.answer.status, 206);
        assert_eq!(
            planned.answer.content_range.as_deref(),
            Some("bytes 1000-1999/5000")
        );
        assert_eq!(planned.first, 0..1000);
        assert_eq!(planned.rest, None);

        // A range that runs past the end ends at the object's.
        let got = Received {
            start: 4000,
            received: 1000,
            total: 5000,
        };
        let planned = plan(&ranged(4000, Some(9999)), &got).unwrap();
        assert_eq!(planned.answer.length, 1000);
        assert_eq!(
            planned.answer.content_range.as_deref(),
            Some("bytes 4000-4999/5000")
        );

        // Longer than the first read: the rest follows.
        let got = Received {
            start: 10,
            received: FIRST_READ,
            total: 3 * FIRST_READ,
        };
        let planned = plan(&ranged(10, Some(2 * FIRST_READ)), &got).unwrap();
        assert_eq!(planned.answer.length, 2 * FIRST_READ - 9);
        assert_eq!(planned.rest, Some((10 + FIRST_READ, 2 * FIRST_READ)));
    }

    #[test]
    fn a_whole_object_from_a_server_that_ignores_range_is_cut_to_the_range() {
        let got = Received::from_answer(None, 100).unwrap();
        let plan = plan(&ranged(10, Some(19)), &got).unwrap();
        assert_eq!(plan.first, 10..20);
        assert_eq!(plan.rest, None);
        assert_eq!(plan.answer.content_range.as_deref(), Some("bytes 10-19/100"));
    }

    #[test]
    fn what_the_first_request_cannot_settle_goes_to_a_head() {
        // An empty object, a range past the end, bytes from the wrong place.
        let empty = Received::from_answer(None, 0).unwrap();
        assert_eq!(plan(&Wanted::WHOLE, &empty), None);
        let got = Received {
            start: 0,
            received: 10,
            total: 10,
        };
        assert_eq!(plan(&ranged(10, None), &got), None);
        let late = Received {
            start: 5,
            received: 10,
            total: 100,
        };
        assert_eq!(plan(&ranged(0, None), &late), None);
    }

    #[test]
    fn an_answer_cuts_the_range_to_the_object_or_says_why_it_has_none() {
        let whole = answer(&Wanted::WHOLE, 10).unwrap();
        assert_eq!((whole.status, whole.end, whole.length), (200, Some(9), 10));
        assert_eq!(whole.content_range, None);
        let empty = answer(&Wanted::WHOLE, 0).unwrap();
        assert_eq!((empty.status, empty.end, empty.length), (200, None, 0));
        let cut = answer(&ranged(5, Some(99)), 10).unwrap();
        assert_eq!((cut.status, cut.end, cut.length), (206, Some(9), 5));
        assert_eq!(cut.content_range.as_deref(), Some("bytes 5-9/10"));
        assert_eq!(answer(&ranged(10, None), 10), Err(Unanswerable::PastEnd));
        assert_eq!(answer(&ranged(0, None), 0), Err(Unanswerable::PastEnd));
        // Past the end beats reversed, as S3 answers 416 first.
        assert_eq!(answer(&ranged(20, Some(5)), 10), Err(Unanswerable::PastEnd));
        assert_eq!(answer(&ranged(5, Some(4)), 10), Err(Unanswerable::Reversed));
    }
}
